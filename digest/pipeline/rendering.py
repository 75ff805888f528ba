"""Render: an issue from the database through the email templates; previews, checks, archive."""

from __future__ import annotations

import webbrowser
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from digest.config import Settings
from digest.editorial.compose import issue_subject
from digest.editorial.curate import Section, Story, for_topics, topic_key
from digest.editorial.front_page import lead_story
from digest.editorial.layout import arranged, edited_story
from digest.errors import NotFoundError
from digest.links import is_http_url
from digest.models import Issue
from digest.pipeline.clicks import CountedLinks, most_read_of
from digest.pipeline.composing import (
    IssueRef,
    compose,
    issues_of,
    list_rules,
    stored_entries,
    story_of,
)
from digest.pipeline.runtime import Runtime
from digest.render.checks import Check, run_checks
from digest.render.email import IssueView, Markers, Recipient, RenderedIssue, personalise
from digest.states import IssueStatus
from subscribers import reader_urls
from subscribers.addresses import normalise_address
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.tokens import TokenSubject


def issue_view(settings: Settings, issue: Issue) -> IssueView:
    """What the templates see of an issue, read inside the caller's session."""
    lst = settings.mailing_list(issue.mailing_list.slug)
    sections: dict[str, list[Story]] = {}
    articles = {entry.article_id: entry.article for entry in issue.entries}
    edits = issue.story_edits or {}
    for entry in arranged(stored_entries(issue), issue.section_order or ()):
        story = edited_story(story_of(articles[entry.article_id]), edits.get(str(entry.article_id)))
        sections.setdefault(entry.section, []).append(linkable(story))
    zone = ZoneInfo(lst.timezone)
    session = object_session(issue)
    most_read = most_read_of(session, issue, lst.most_read) if lst.most_read and session else ()
    return IssueView(
        newsletter_name=settings.newsletter.name,
        list_name=lst.name,
        number=issue.number,
        period_start=issue.period_start.astimezone(zone).date(),
        period_end=(issue.period_end - timedelta(microseconds=1)).astimezone(zone).date(),
        subject=issue.subject,
        sections=tuple(Section(region, tuple(items)) for region, items in sections.items()),
        postal_address=settings.newsletter.postal_address,
        base_url=settings.newsletter.base_url,
        archive_url=archive_url(settings, lst.slug, issue.number),
        intro=issue.intro or "",
        most_read=tuple(linkable(story) for story in most_read),
        language=lst.language,
        lead_article_id=issue.lead_article_id if issue.lead_article_id in articles else None,
    )


def linkable(story: Story) -> Story:
    """The story with only http(s) links: one stored with another scheme (javascript:, data:,
    file:) shows unlinked and without its image, whatever let it into the database."""
    url = story.url if is_http_url(story.url) else ""
    image_url = story.image_url if story.image_url and is_http_url(story.image_url) else None
    if (url, image_url) == (story.url, story.image_url):
        return story
    return replace(story, url=url, image_url=image_url)


def archive_url(settings: Settings, slug: str, number: int) -> str:
    return reader_urls.archive_url(settings.newsletter.base_url, slug, number)


def render_view(
    rt: Runtime, issue_id: int, topics: tuple[str, ...] = ()
) -> tuple[IssueView, RenderedIssue]:
    """The issue as the readers of these topics (a topic_key; none: everyone) receive it."""
    markers = Markers.drawn()
    with rt.sessions() as session:
        issue = session.get(Issue, issue_id)
        if issue is None:
            raise NotFoundError(f"issue {issue_id} not found")
        view = issue_view(rt.settings, issue)
        counts_clicks = rt.settings.counts_clicks(issue.mailing_list.slug)
        rules = list_rules(rt.settings, rt.settings.mailing_list(issue.mailing_list.slug))
        period = (issue.period_start, issue.period_end)
        subject_edited = issue.subject_edited
    if topics:
        everyones_lead = lead_story(view.sections, view.lead_article_id)
        view = replace(view, sections=for_topics(view.sections, topics))
        own_lead = lead_story(view.sections, view.lead_article_id)
        # A copy whose topics leave the issue's lead out leads with its own first story: so
        # does its subject (the list's pattern), unless the editor wrote the subject.
        if (
            own_lead is not None
            and everyones_lead is not None
            and own_lead.id != everyones_lead.id
            and not subject_edited
        ):
            subject = issue_subject(rules, view.number, *period, lead=own_lead.title)
            view = replace(view, subject=subject)
    if counts_clicks:
        links = CountedLinks(
            rt.settings.newsletter.base_url, rt.signer.clicks, markers.story_reader
        )
        view = links.counted(view, issue_id)
    return view, rt.renderer.render(view, markers)


def render(rt: Runtime, issue_id: int, topics: tuple[str, ...] = ()) -> RenderedIssue:
    return render_view(rt, issue_id, topics)[1]


class IssueRenderings:
    """The renderings of one run, each made once: the issue as the readers of one set of
    topics receive it, shared by the preview, the checks and the send. Only for as long as
    the issue's stories stand still: a run composes first, then renders."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._made: dict[tuple[int, tuple[str, ...]], tuple[IssueView, RenderedIssue]] = {}

    def view(self, issue_id: int, topics: tuple[str, ...] = ()) -> tuple[IssueView, RenderedIssue]:
        key = (issue_id, topics)
        if key not in self._made:
            self._made[key] = render_view(self.rt, issue_id, topics)
        return self._made[key]


def signed_recipient(
    rt: Runtime, subscriber_id: int, list_id: int, email: str, issue_id: int | None = None
) -> Recipient:
    """A subscriber's own links: each token works for its one purpose only. In an issue's
    mail (issue_id) its story links are counted, as the reader's only with per_reader."""
    subject = TokenSubject(subscriber_id, list_id)
    base = rt.settings.newsletter.base_url
    story_reader = reader_urls.CLICK_PREVIEW
    if issue_id is not None:
        story_reader = (
            rt.signer.clicks.reader_token(issue_id, subscriber_id)
            if rt.settings.analytics.per_reader
            else reader_urls.CLICK_MAIL
        )
    return Recipient(
        email=email,
        unsubscribe_url=reader_urls.reader_url(
            base, "unsubscribe", rt.signer.sign("unsubscribe", subject)
        ),
        preferences_url=reader_urls.reader_url(
            base, "preferences", rt.signer.sign("preferences", subject)
        ),
        story_reader=story_reader,
    )


def sample_reader(settings: Settings) -> Recipient:
    """Stands in for a reader in previews and checks; its links carry no one's token."""
    base = settings.newsletter.base_url
    return Recipient(
        "reader@example.org",
        reader_urls.reader_url(base, "unsubscribe", "preview"),
        reader_urls.reader_url(base, "preferences", "preview"),
    )


def anonymous_reader(settings: Settings) -> Recipient:
    """The web version: no personal data, no working token of anyone."""
    base = settings.newsletter.base_url
    return Recipient(
        "a subscriber",
        reader_urls.tokenless_url(base, "unsubscribe"),
        reader_urls.tokenless_url(base, "preferences"),
        story_reader=reader_urls.CLICK_WEB,
    )


def find_reader(session: Session, rt: Runtime, list_id: int, address: str) -> Recipient:
    email = normalise_address(address)
    row = session.execute(
        select(Subscriber.id, Subscriber.email)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscriber.email == email, Subscription.list_id == list_id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"{email} is not a subscriber of this list",
            hint="see who is: digest subscribers list --all",
        )
    return signed_recipient(rt, row.id, list_id, row.email)


def checks(rt: Runtime, issue_id: int, renderings: IssueRenderings | None = None) -> list[Check]:
    """The pre-send checks of an issue, on a sample reader's copy."""
    view, rendered = (renderings or IssueRenderings(rt)).view(issue_id)
    sample = sample_reader(rt.settings)
    html_out, text_out = personalise(rendered, sample)
    return run_checks(
        html=html_out,
        text=text_out,
        subject=rendered.subject,
        sections=view.sections,
        unsubscribe_url=sample.unsubscribe_url,
    )


@dataclass(frozen=True)
class Preview:
    issue: IssueRef
    path: Path


def preview(
    rt: Runtime,
    list_slug: str,
    now: datetime,
    *,
    text: bool = False,
    out: Path | None = None,
    as_email: str | None = None,
    open_browser: bool = False,
    composed: IssueRef | None = None,
    renderings: IssueRenderings | None = None,
) -> Preview | None:
    """Write the coming issue (composed now, not sent) to a file, exactly as one reader
    (as_email, with their own links) or a sample reader would receive it. A run that has
    composed the issue already passes it, with the renderings it shares."""
    ref = composed or compose(rt, list_slug, now)
    if ref is None:
        return None
    recipient = sample_reader(rt.settings)
    topics: tuple[str, ...] = ()
    if as_email:
        with rt.sessions() as session:
            issue = session.get(Issue, ref.id)
            assert issue is not None
            recipient = find_reader(session, rt, issue.list_id, as_email)
            topics = topic_key(
                session.scalar(
                    select(Subscriber.topics).where(Subscriber.email == normalise_address(as_email))
                )
                or ()
            )
    # The reader's own copy: only the stories of the topics they chose.
    rendered = (renderings or IssueRenderings(rt)).view(ref.id, topics)[1]
    html_out, text_out = personalise(rendered, recipient)
    suffix = "txt" if text else "html"
    path = out or rt.settings.resolve(rt.settings.paths.previews) / (
        f"{list_slug}-issue-{ref.number}.{suffix}"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text_out if text else html_out, encoding="utf-8")
    if open_browser:
        webbrowser.open(path.resolve().as_uri())
    return Preview(ref, path)


@dataclass(frozen=True)
class ArchivedIssue:
    number: int
    subject: str
    sent_at: datetime | None
    url: str


def archive(rt: Runtime, list_slug: str) -> list[ArchivedIssue]:
    """The issues of a list that have gone out (or are going out), newest first."""
    with rt.sessions() as session:
        issues = session.scalars(issues_of(list_slug).where(Issue.status != IssueStatus.DRAFT))
        return [
            ArchivedIssue(
                i.number, i.subject, i.sent_at, archive_url(rt.settings, list_slug, i.number)
            )
            for i in issues
        ]


def web_version(rt: Runtime, list_slug: str, number: int) -> str:
    """The HTML of a sent issue for the web: the same for everyone, with no one's data."""
    with rt.sessions() as session:
        issue_id = session.scalar(
            select(Issue.id)
            .join(MailingList, MailingList.id == Issue.list_id)
            .where(
                MailingList.slug == list_slug,
                Issue.number == number,
                Issue.status != IssueStatus.DRAFT,
            )
        )
        stored = None if issue_id is None else session.get(Issue, issue_id)
        if stored is not None and stored.web_html is not None:
            return stored.web_html  # as it was when the send started, whatever changed since
    if issue_id is None:
        raise NotFoundError(f"no sent issue #{number} of {list_slug!r}")
    return render_web_version(rt, issue_id)


def stored_web_version(rt: Runtime, issue_id: int) -> str | None:
    """The web version stored when the issue's send started (None: not started, or before
    versions were stored)."""
    with rt.sessions() as session:
        issue = session.get(Issue, issue_id)
        if issue is None:
            raise NotFoundError(f"issue {issue_id} not found")
        return issue.web_html


def render_web_version(
    rt: Runtime, issue_id: int, renderings: IssueRenderings | None = None
) -> str:
    """The issue's web version rendered now from today's templates (a send stores it once):
    everyone's rendering, with no one's values."""
    rendered = (renderings or IssueRenderings(rt)).view(issue_id)[1]
    return personalise(rendered, anonymous_reader(rt.settings))[0]
