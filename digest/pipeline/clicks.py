"""Story clicks: where a counted link goes, the counts stored (upserts, no row read first),
and what the editor reads of them (per story, per 100 delivered; the most read)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest import db
from digest.click_rules import with_utm
from digest.editorial.curate import Story
from digest.errors import NotFoundError
from digest.links import is_http_url
from digest.models import Article, Delivery, Issue, IssueArticle, ReaderClick, StoryClick
from digest.pipeline.composing import issues_of, story_of
from digest.pipeline.runtime import Runtime
from digest.render.email import IssueView
from digest.states import DeliveryStatus, IssueStatus
from subscribers import reader_urls
from subscribers.models import MailingList, Subscriber
from subscribers.tokens import ClickSigner

log = logging.getLogger(__name__)

# (issue id, article id, subscriber id or None) -> clicks to add (taken back: negative).
ClickKey = tuple[int, int, int | None]


@dataclass(frozen=True)
class CountedLinks:
    """How a rendering links its stories: the counted link, with the reader's part a marker."""

    base_url: str
    signer: ClickSigner
    reader_marker: str

    def url(self, issue_id: int, article_id: int, stories: int | None = None) -> str:
        token = self.signer.story_token(issue_id, article_id, stories)
        return reader_urls.click_url(self.base_url, self.reader_marker, token)

    def counted(self, view: IssueView, issue_id: int) -> IssueView:
        """The view (as one set of readers gets it) with each story's link counted; each
        link says how many stories this mail holds, for the scanner rule."""
        stories = sum(len(section.stories) for section in view.sections)

        def link(story: Story) -> Story:
            return replace(story, url=self.url(issue_id, story.id, stories)) if story.url else story

        return replace(
            view,
            sections=tuple(
                replace(section, stories=tuple(map(link, section.stories)))
                for section in view.sections
            ),
        )


@dataclass(frozen=True)
class Target:
    """Where a counted link goes: a story the issue holds, with the UTM parameters."""

    url: str
    stories: int  # in the issue, for the scanner rule
    sent: bool  # clicks on a draft's links (previews, tests) are never counted


def target(rt: Runtime, issue_id: int, article_id: int) -> Target | None:
    """The article URL of this story of this issue; None if the issue holds no such story."""
    with rt.sessions() as session:
        row = session.execute(
            select(Article.url, Issue.number, Issue.status, MailingList.slug)
            .join(IssueArticle, IssueArticle.article_id == Article.id)
            .join(Issue, Issue.id == IssueArticle.issue_id)
            .join(MailingList, MailingList.id == Issue.list_id)
            .where(IssueArticle.issue_id == issue_id, IssueArticle.article_id == article_id)
        ).first()
        if row is None or not is_http_url(row.url):
            return None
        stories = session.scalar(
            select(func.count()).select_from(IssueArticle).where(IssueArticle.issue_id == issue_id)
        )
    url = with_utm(row.url.strip(), rt.settings.analytics.utm, row.slug, row.number)
    return Target(url, int(stories or 0), row.status != IssueStatus.DRAFT)


def record(rt: Runtime, clicks: Mapping[ClickKey, int]) -> int:
    """Add these clicks in one transaction; if it fails (an issue or reader deleted meanwhile),
    each story's apart, so one bad item fails only itself. Returns the clicks not stored."""
    try:
        _store(rt, clicks)
        return 0
    except IntegrityError:
        log.warning("storing %d story clicks at once failed; storing each apart", len(clicks))
    lost = 0
    for key, n in clicks.items():
        try:
            _store(rt, {key: n})
        except IntegrityError as exc:
            log.error("story click %s could not be stored: %s", key[:2], exc.orig)
            lost += max(n, 0)
    return lost


def _store(rt: Runtime, clicks: Mapping[ClickKey, int]) -> None:
    stories: Counter[tuple[int, int]] = Counter()
    readers: Counter[tuple[int, int, int]] = Counter()
    for (issue_id, article_id, subscriber_id), n in clicks.items():
        stories[issue_id, article_id] += n
        if subscriber_id is not None:
            readers[issue_id, article_id, subscriber_id] += n
    with rt.sessions.begin() as session:
        # Sorted: every process takes the rows' locks in the same order (no deadlock).
        _add(session, StoryClick, [(*k, n) for k, n in sorted(stories.items()) if n])
        if readers:
            known = set(
                session.scalars(
                    select(Subscriber.id).where(Subscriber.id.in_({k[2] for k in readers}))
                )
            )
            kept = [(*k, n) for k, n in sorted(readers.items()) if n and k[2] in known]
            _add(session, ReaderClick, kept)


def _add(
    session: Session, model: type[StoryClick] | type[ReaderClick], rows: Sequence[tuple[int, ...]]
) -> None:
    if not rows:
        return
    keys = [c.name for c in model.__mapper__.primary_key]
    insert = db.dialect_insert(session)(model).values(
        [dict(zip([*keys, "clicks"], row, strict=True)) for row in rows]
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=keys, set_={"clicks": model.clicks + insert.excluded.clicks}
        )
    )


@dataclass(frozen=True)
class StoryCount:
    article_id: int
    title: str
    url: str
    clicks: int
    per_100: float | None  # clicks per 100 delivered; None before any delivery


@dataclass(frozen=True)
class IssueClicks:
    number: int
    subject: str
    status: IssueStatus
    delivered: int
    stories: list[StoryCount]


def story_counts(session: Session, issue_id: int) -> tuple[int, list[StoryCount]]:
    """(deliveries sent, each story of the issue in its order with its clicks)."""
    delivered = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.issue_id == issue_id, Delivery.status == DeliveryStatus.SENT)
    )
    rows = session.execute(
        select(Article.id, Article.title, Article.url, func.coalesce(StoryClick.clicks, 0))
        .join(IssueArticle, IssueArticle.article_id == Article.id)
        .outerjoin(
            StoryClick,
            (StoryClick.issue_id == IssueArticle.issue_id)
            & (StoryClick.article_id == IssueArticle.article_id),
        )
        .where(IssueArticle.issue_id == issue_id)
        .order_by(IssueArticle.position)
    )
    delivered = int(delivered or 0)
    return delivered, [
        StoryCount(
            article_id,
            title,
            url,
            int(clicks),
            round(100 * clicks / delivered, 1) if delivered else None,
        )
        for article_id, title, url, clicks in rows
    ]


def issue_clicks(rt: Runtime, list_slug: str, number: int) -> IssueClicks:
    """One issue of a list with its stories' clicks, for `digest status --issue`."""
    with rt.sessions() as session:
        issue = session.scalars(issues_of(list_slug).where(Issue.number == number)).first()
        if issue is None:
            raise NotFoundError(
                f"no issue #{number} of {list_slug!r}",
                hint=f"see its issues: digest status --list {list_slug}",
            )
        delivered, stories = story_counts(session, issue.id)
        return IssueClicks(issue.number, issue.subject, issue.status, delivered, stories)


def most_read_of(session: Session, issue: Issue, limit: int) -> tuple[Story, ...]:
    """The stories of the list's previous sent issue most followed, most first (ties: in the
    issue's order); none without clicks."""
    previous = session.scalar(
        select(Issue.id)
        .where(
            Issue.list_id == issue.list_id,
            Issue.number < issue.number,
            Issue.status != IssueStatus.DRAFT,
        )
        .order_by(Issue.number.desc())
        .limit(1)
    )
    if previous is None:
        return ()
    articles = session.scalars(
        select(Article)
        .join(StoryClick, StoryClick.article_id == Article.id)
        .join(
            IssueArticle,
            (IssueArticle.article_id == Article.id) & (IssueArticle.issue_id == previous),
        )
        .where(StoryClick.issue_id == previous, StoryClick.clicks > 0)
        .order_by(StoryClick.clicks.desc(), IssueArticle.position)
        .limit(limit)
    )
    return tuple(story_of(article) for article in articles)
