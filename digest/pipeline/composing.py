"""Compose: the issue of a list for a period, created or refreshed while it is a draft."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest import db
from digest.cadence import parse_schedule, period_ending
from digest.config import ListSettings, Settings
from digest.editorial.compose import (
    Candidate,
    Draft,
    Entry,
    ListRules,
    compose_issue,
    subject_for,
)
from digest.editorial.curate import Story, week_period
from digest.errors import DigestError
from digest.models import Article, Issue, IssueArticle, Source
from digest.pipeline.runtime import Runtime
from digest.states import IssueStatus
from subscribers import membership
from subscribers.models import MailingList


@dataclass(frozen=True)
class IssueRef:
    id: int
    list_slug: str
    number: int
    status: IssueStatus
    article_count: int
    period_start: datetime
    period_end: datetime
    subject: str
    send_at: datetime | None = None  # a draft's send time chosen by an editor


def compose(
    rt: Runtime, list_slug: str, now: datetime, *, period_at: datetime | None = None
) -> IssueRef | None:
    """The issue of the list for the period holding period_at (default: now): created, or
    refreshed while still a draft (the rules: editorial.compose). None when there is no issue
    yet and nothing new to put in one."""
    lst = rt.settings.mailing_list(list_slug)
    start, end = period_of(lst, period_at or now)
    for _attempt in range(2):
        try:
            with db.transaction(rt.sessions) as session:
                return _compose_in(session, rt.settings, lst, start, end, now)
        except IntegrityError:
            continue  # another process created the same (list, period) issue first: reuse it
    raise DigestError(f"could not compose the issue of {list_slug!r} for {start:%Y-%m-%d}")


def period_of(lst: ListSettings, now: datetime) -> tuple[datetime, datetime]:
    """A scheduled list's issue covers the time since its previous send, up to the send it
    goes out at (the first scheduled time at or after now); a list sent only by hand, the
    week (Monday to Monday in its zone) holding now."""
    if lst.schedule is None:
        return week_period(now, lst.timezone)
    return period_ending(parse_schedule(lst.schedule.send), lst.timezone, now)


def _compose_in(
    session: Session,
    settings: Settings,
    lst: ListSettings,
    start: datetime,
    end: datetime,
    now: datetime,
) -> IssueRef | None:
    mailing_list = membership.get_list(session, lst.slug)
    issue = session.scalar(
        select(Issue).where(Issue.list_id == mailing_list.id, Issue.period_start == start)
    )
    if issue is not None and issue.status != IssueStatus.DRAFT:
        return issue_ref(issue, lst.slug)
    number = issue.number if issue is not None else _next_number(session, mailing_list.id)
    composition = compose_issue(
        _candidates(session, mailing_list.id, issue),
        None if issue is None else _draft(issue),
        list_rules(settings, lst),
        (start, end),
        now,
        number,
    )
    if composition is None:
        return None
    if issue is None:
        issue = Issue(
            list_id=mailing_list.id,
            number=number,
            period_start=start,
            period_end=end,
            subject="",
            status=IssueStatus.DRAFT,
        )
        session.add(issue)
        session.flush()
    issue.subject = composition.subject
    _store_entries(session, issue, composition.entries)
    session.flush()
    return issue_ref(issue, lst.slug)


def _candidates(session: Session, list_id: int, issue: Issue | None) -> list[Candidate]:
    """The articles not yet in another of the list's issues."""
    in_other_issues = (
        select(IssueArticle.article_id)
        .join(Issue, Issue.id == IssueArticle.issue_id)
        .where(Issue.list_id == list_id)
    )
    if issue is not None:
        in_other_issues = in_other_issues.where(Issue.id != issue.id)
    rows = session.execute(
        select(Article, Source.name)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.not_in(in_other_issues))
    )
    return [
        Candidate(
            story=story_of(article),
            collected_at=article.collected_at,
            source=source,
            duplicate=article.duplicate_of_id is not None,
        )
        for article, source in rows
    ]


def stored_entries(issue: Issue) -> tuple[Entry, ...]:
    """The issue's entries as stored, in their positions."""
    return tuple(Entry(e.article_id, e.section) for e in issue.entries)


def _draft(issue: Issue) -> Draft:
    edits = issue.story_edits or {}
    return Draft(
        entries=stored_entries(issue),
        excluded=frozenset(issue.excluded_article_ids or ()),
        order_edited=issue.edited_at is not None,
        subject=issue.subject,
        subject_edited=issue.subject_edited,
        lead_article_id=issue.lead_article_id,
        section_order=tuple(issue.section_order or ()),
        titles={int(key): edit["title"] for key, edit in edits.items() if edit.get("title")},
    )


def refresh_subject(settings: Settings, issue: Issue) -> None:
    """A draft's subject after its editor changed it: the list's pattern filled in again with
    the lead as it now is (chosen, moved, retitled); a subject the editor wrote stays."""
    # In the positions just given: the loaded list keeps its order until read again.
    placed = sorted(issue.entries, key=lambda entry: entry.position)
    draft = replace(_draft(issue), entries=tuple(Entry(e.article_id, e.section) for e in placed))
    titles = {entry.article_id: entry.article.title for entry in placed}
    rules = list_rules(settings, settings.mailing_list(issue.mailing_list.slug))
    period = (issue.period_start, issue.period_end)
    issue.subject = subject_for(rules, issue.number, period, draft.entries, draft, titles)


def _next_number(session: Session, list_id: int) -> int:
    return (session.scalar(select(func.max(Issue.number)).where(Issue.list_id == list_id)) or 0) + 1


def list_rules(settings: Settings, lst: ListSettings) -> ListRules:
    return ListRules(
        slug=lst.slug,
        name=lst.name,
        newsletter=settings.newsletter.name,
        subject=lst.subject,
        timezone=lst.timezone,
        max_articles=lst.max_articles,
        sources=None if lst.sources is None else frozenset(lst.sources),
        language=lst.language,
    )


def _store_entries(session: Session, issue: Issue, entries: tuple[Entry, ...]) -> None:
    """The issue's entries made the composition's: those already in place stay, the rest
    are added after them."""
    stored = stored_entries(issue)
    if entries[: len(stored)] != stored:
        issue.entries.clear()
        session.flush()
    for entry in entries[len(issue.entries) :]:
        issue.entries.append(
            IssueArticle(
                article_id=entry.article_id, position=len(issue.entries), section=entry.section
            )
        )


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
        language=article.language,
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
        send_at=issue.send_at,
    )
