"""Stories and sections: the hand-sent week, newest-first ranking, grouping by region and
the stories of a reader's topics (compose.py decides which stories an issue carries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Where a story without a region goes.
DEFAULT_SECTION = "More news"


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    url: str
    region: str
    tags: tuple[str, ...]
    reading_minutes: int
    summary: str
    published_at: datetime | None
    image_url: str | None = None
    image_alt: str | None = None
    # The article's own language (BCP 47), when known: its card's lang and direction.
    language: str | None = None


@dataclass(frozen=True)
class Section:
    region: str
    stories: tuple[Story, ...]


def week_period(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The week (Monday 00:00 to Monday 00:00, in the list's zone) that contains now."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    following = monday + timedelta(days=7)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start, end


def pick_stories(candidates: Iterable[Story], limit: int) -> list[Story]:
    """Newest first (undated last), at most limit."""
    ordered = sorted(
        candidates,
        key=lambda s: (s.published_at is not None, s.published_at or datetime.min, s.id),
        reverse=True,
    )
    return ordered[:limit]


def group_by_region(stories: Sequence[Story]) -> list[Section]:
    """Sections in the order their first story appears; stories keep their order inside."""
    sections: dict[str, list[Story]] = {}
    for story in stories:
        sections.setdefault(story.region or DEFAULT_SECTION, []).append(story)
    return [Section(region, tuple(items)) for region, items in sections.items()]


def topic_key(topics: Iterable[str]) -> tuple[str, ...]:
    """A reader's topics in one spelling (case and spacing folded, sorted): readers with the
    same key get the same digest."""
    return tuple(sorted({" ".join(t.split()).casefold() for t in topics if t.strip()}))


def for_topics(sections: Sequence[Section], topics: tuple[str, ...]) -> tuple[Section, ...]:
    """The sections with only the stories whose region or a tag is one of the reader's topics
    (a topic_key); no topics means everything. Sections left empty are dropped."""
    if not topics:
        return tuple(sections)
    wanted = set(topics)
    kept = []
    for section in sections:
        stories = tuple(
            story
            for story in section.stories
            if not wanted.isdisjoint(topic_key((story.region, *story.tags)))
        )
        if stories:
            kept.append(Section(section.region, stories))
    return tuple(kept)
