"""Render: an issue from the database through the email templates; previews written to files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from digest.editorial.curate import Section, Story
from digest.errors import DigestError
from digest.models import Issue
from digest.pipeline.composing import IssueRef, compose, story_of
from digest.pipeline.runtime import Runtime
from digest.render.email import IssueView, Recipient, RenderedIssue, personalise


def render(rt: Runtime, issue_id: int) -> RenderedIssue:
    with rt.sessions() as session:
        issue = session.get(Issue, issue_id)
        if issue is None:
            raise DigestError(f"issue {issue_id} not found")
        sections: dict[str, list[Story]] = {}
        for entry in issue.entries:
            sections.setdefault(entry.section, []).append(story_of(entry.article))
        lst = rt.settings.mailing_list(issue.mailing_list.slug)
        zone_start = issue.period_start.astimezone(ZoneInfo(lst.timezone))
        zone_end = (issue.period_end - timedelta(days=1)).astimezone(ZoneInfo(lst.timezone))
        view = IssueView(
            newsletter_name=rt.settings.newsletter.name,
            list_name=lst.name,
            number=issue.number,
            period_start=zone_start.date(),
            period_end=zone_end.date(),
            subject=issue.subject,
            sections=tuple(Section(region, tuple(items)) for region, items in sections.items()),
            postal_address=rt.settings.newsletter.postal_address,
            base_url=rt.settings.newsletter.base_url,
        )
    return rt.renderer.render(view)


@dataclass(frozen=True)
class Preview:
    issue: IssueRef
    path: Path


def preview(
    rt: Runtime, list_slug: str, now: datetime, *, text: bool = False, out: Path | None = None
) -> Preview | None:
    """Write the coming issue (composed now, not sent) to a file, as a sample reader sees it."""
    ref = compose(rt, list_slug, now)
    if ref is None:
        return None
    rendered = render(rt, ref.id)
    sample = Recipient(
        email="reader@example.org",
        unsubscribe_url=f"{rt.settings.newsletter.base_url}/u/preview",
    )
    html_out, text_out = personalise(rendered, sample)
    suffix = "txt" if text else "html"
    path = out or rt.settings.resolve(rt.settings.paths.previews) / (
        f"{list_slug}-issue-{ref.number}.{suffix}"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text_out if text else html_out, encoding="utf-8")
    return Preview(ref, path)
