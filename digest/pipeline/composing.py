"""Compose: the issue of a list for a period, created or refreshed while it is a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest import db
from digest.cadence import parse_weekly, period_ending
from digest.config import ListSettings, Settings
from digest.editorial.curate import (
    DEFAULT_SECTION,
    Story,
    group_by_region,
    pick_stories,
    week_period,
)
from digest.errors import ConfigError, DigestError
from digest.models import Article, Issue, IssueArticle, Source
from digest.pipeline.runtime import Runtime
from subscribers import membership
from subscribers.models import MailingList


@dataclass(frozen=True)
class IssueRef:
    id: int
    list_slug: str
    number: int
    status: str
    article_count: int
    period_start: datetime
    period_end: datetime
    subject: str


def compose(
    rt: Runtime, list_slug: str, now: datetime, *, period_at: datetime | None = None
) -> IssueRef | None:
    """The issue of the list for the period holding period_at (default: now): created, or
    refreshed while still a draft. None when there is no issue yet and nothing new to put in
    one. A draft takes every article not yet in an issue collected before its period's end or
    now, whichever is later: a send that starts late still carries what it collected first."""
    lst = rt.settings.mailing_list(list_slug)
    start, end = period_of(lst, period_at or now)
    for _attempt in range(2):
        try:
            with db.transaction(rt.sessions) as session:
                return _compose_in(session, rt.settings, lst, start, end, max(end, now))
        except IntegrityError:
            continue  # another process created the same (list, period) issue first: reuse it
    raise DigestError(f"could not compose the issue of {list_slug!r} for {start:%Y-%m-%d}")


def period_of(lst: ListSettings, now: datetime) -> tuple[datetime, datetime]:
    """A scheduled list's issue covers the time since its previous send, up to the send it
    goes out at (the first scheduled time at or after now); a list sent only by hand, the
    week (Monday to Monday in its zone) holding now."""
    if lst.schedule is None:
        return week_period(now, lst.timezone)
    return period_ending(parse_weekly(lst.schedule.send), lst.timezone, now)


def _compose_in(
    session: Session,
    settings: Settings,
    lst: ListSettings,
    start: datetime,
    end: datetime,
    collected_before: datetime,
) -> IssueRef | None:
    mailing_list = membership.get_list(session, lst.slug)
    issue = session.scalar(
        select(Issue).where(Issue.list_id == mailing_list.id, Issue.period_start == start)
    )
    if issue is not None and issue.status != "draft":
        return issue_ref(issue, lst.slug)
    in_other_issues = (
        select(IssueArticle.article_id)
        .join(Issue, Issue.id == IssueArticle.issue_id)
        .where(Issue.list_id == mailing_list.id)
    )
    if issue is not None:
        in_other_issues = in_other_issues.where(Issue.id != issue.id)
    query = select(Article).where(
        Article.collected_at <= collected_before, Article.id.not_in(in_other_issues)
    )
    # A story already collected under a near-identical title this week is not told twice.
    query = query.where(Article.duplicate_of_id.is_(None))
    if lst.sources is not None:
        query = query.join(Source, Source.id == Article.source_id).where(
            Source.name.in_(lst.sources)
        )
    if issue is not None and issue.excluded_article_ids:
        query = query.where(Article.id.not_in(issue.excluded_article_ids))
    articles = {a.id: a for a in session.scalars(query)}
    stories = pick_stories((story_of(a) for a in articles.values()), lst.max_articles)
    if issue is None:
        if not stories:
            return None
        number = (
            session.scalar(select(func.max(Issue.number)).where(Issue.list_id == mailing_list.id))
            or 0
        ) + 1
        issue = Issue(
            list_id=mailing_list.id,
            number=number,
            period_start=start,
            period_end=end,
            subject="",
            status="draft",
        )
        session.add(issue)
        session.flush()
    if not issue.subject_edited:
        issue.subject = _subject(settings, lst, issue.number, start, end)
    if issue.edited_at is None:
        # Untouched by editors: rank and group afresh with whatever was collected since.
        issue.entries.clear()
        session.flush()
        ordered = [story for section in group_by_region(stories) for story in section.stories]
    else:
        # An editor chose this order: keep it, and add new articles after it.
        kept = {entry.article_id for entry in issue.entries}
        ordered = [s for s in stories if s.id not in kept][: lst.max_articles - len(kept)]
    for story in ordered:
        issue.entries.append(
            IssueArticle(
                article_id=story.id,
                position=len(issue.entries),
                section=story.region or DEFAULT_SECTION,
            )
        )
    session.flush()
    return issue_ref(issue, lst.slug)


def _subject(
    settings: Settings, lst: ListSettings, number: int, start: datetime, end: datetime
) -> str:
    zone = ZoneInfo(lst.timezone)
    # The period's first and last local days (a period ending at midnight ends the day before).
    first_day = start.astimezone(zone)
    last_day = (end - timedelta(microseconds=1)).astimezone(zone)
    try:
        return lst.subject.format(
            name=lst.name,
            newsletter=settings.newsletter.name,
            number=number,
            period=f"{first_day:%-d %b} – {last_day:%-d %b %Y}",
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"lists: {lst.slug}: subject: unknown placeholder {exc}",
            hint="use {name}, {newsletter}, {number} or {period}",
        ) from None


def story_of(article: Article) -> Story:
    return Story(
        id=article.id,
        title=article.title,
        url=article.url,
        region=article.region,
        tags=tuple(article.tags or ()),
        reading_minutes=article.reading_minutes,
        summary=article.summary,
        published_at=article.published_at,
        image_url=article.image_url,
        image_alt=article.image_alt,
    )


def issues_of(list_slug: str) -> Select[Issue]:
    """The issues of a list, newest first (a query to narrow further or run)."""
    return (
        select(Issue)
        .join(MailingList, MailingList.id == Issue.list_id)
        .where(MailingList.slug == list_slug)
        .order_by(Issue.number.desc())
    )


def issue_ref(issue: Issue, slug: str) -> IssueRef:
    return IssueRef(
        id=issue.id,
        list_slug=slug,
        number=issue.number,
        status=issue.status,
        article_count=len(issue.entries),
        period_start=issue.period_start,
        period_end=issue.period_end,
        subject=issue.subject,
    )
