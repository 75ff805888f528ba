"""The Atom feed of a list's archive: its sent issues, loaded and handed to render.atom."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from digest.editorial.curate import Section
from digest.models import Issue
from digest.pipeline.composing import issues_of
from digest.pipeline.rendering import archive_url, issue_view
from digest.pipeline.runtime import Runtime
from digest.render.atom import ArchiveEntry, ArchiveFeed, atom_feed
from digest.states import IssueStatus
from subscribers import reader_urls
from subscribers.models import MailingList

FEED_ENTRIES = 50  # the newest issues a feed holds; older ones stay in the archive page
SUMMARY_CHARACTERS = 600
SUMMARY_TITLES = 10
# A list row is made when the config names it; only a list never synced lacks one.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def archive_feed(rt: Runtime, list_slug: str) -> bytes:
    """The feed of the list's issues that went out (as the archive page lists them), newest
    first. Raises ConfigError for a list not in config.yaml."""
    settings = rt.settings
    lst = settings.mailing_list(list_slug)
    base = settings.newsletter.base_url
    with rt.sessions() as session:
        created = session.scalar(
            select(MailingList.created_at).where(MailingList.slug == list_slug)
        )
        issues = session.scalars(
            issues_of(list_slug).where(Issue.status != IssueStatus.DRAFT).limit(FEED_ENTRIES)
        ).all()
        entries = [
            ArchiveEntry(
                url=archive_url(settings, list_slug, issue.number),
                title=issue.subject,
                summary=summary(issue.intro or "", issue_view(settings, issue).sections),
                updated=issue.sent_at or issue.created_at,
            )
            for issue in issues
        ]
    page = base + reader_urls.archive_list_path(list_slug)
    return atom_feed(
        ArchiveFeed(
            title=f"{settings.newsletter.name}: {lst.name}",
            author=settings.newsletter.name,
            page_url=page,
            feed_url=base + reader_urls.archive_feed_path(list_slug),
            created=created or EPOCH,
            entries=entries,
        )
    )


def summary(intro: str, sections: tuple[Section, ...]) -> str:
    """The editor's introduction's first paragraph, else the issue's first stories' titles."""
    first = next((p.strip() for p in intro.split("\n\n") if p.strip()), "")
    if not first:
        titles = [story.title for section in sections for story in section.stories]
        shown = titles[:SUMMARY_TITLES]
        more = len(titles) - len(shown)
        first = "In this issue: " + "; ".join(shown) + (f"; and {more} more" if more else "")
    if len(first) > SUMMARY_CHARACTERS:
        first = first[: SUMMARY_CHARACTERS - 1].rstrip() + "…"
    return " ".join(first.split())
