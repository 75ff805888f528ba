"""Compose an issue from values: which articles it carries, in which order, under what subject."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_interval

from digest.collect.text import without_control_chars
from digest.config_sections import SUBJECT_PLACEHOLDERS, subject_pattern_problem
from digest.editorial.curate import DEFAULT_SECTION, Story, group_by_region, pick_stories
from digest.editorial.front_page import leading
from digest.errors import ConfigError
from digest.render.language import locale_of


@dataclass(frozen=True)
class Candidate:
    """An article not yet in another of the list's issues, with what decides if it qualifies."""

    story: Story
    collected_at: datetime
    source: str | None  # the name of the source it was collected from
    duplicate: bool  # a near-identical title was collected earlier


@dataclass(frozen=True)
class Entry:
    article_id: int
    section: str


@dataclass(frozen=True)
class Draft:
    """The list's draft for the period as stored, with what its editor chose: composing again
    keeps every choice."""

    entries: tuple[Entry, ...]
    excluded: frozenset[int]
    order_edited: bool  # an editor has worked on it: its order is kept
    subject: str
    subject_edited: bool
    lead_article_id: int | None = None  # the editor's lead story (None: the first)
    section_order: tuple[str, ...] = ()  # the editor's order of sections
    titles: Mapping[int, str] = field(default_factory=dict)  # the editor's own titles, by id


@dataclass(frozen=True)
class ListRules:
    """What the list's settings say about its issues."""

    slug: str
    name: str
    newsletter: str
    subject: str  # a template with {lead}, {name}, {newsletter}, {number} and {period}
    timezone: str
    max_articles: int
    sources: frozenset[str] | None  # None: every source
    language: str = "en"  # BCP 47: the language of the subject's {period}


@dataclass(frozen=True)
class Composition:
    subject: str
    entries: tuple[Entry, ...]  # in order: the first is the lead


def compose_issue(
    candidates: Iterable[Candidate],
    draft: Draft | None,
    rules: ListRules,
    period: tuple[datetime, datetime],
    now: datetime,
    number: int,
) -> Composition | None:
    """The issue numbered number for the period: the draft refreshed, or a new issue; None
    when there is no draft and nothing to put in one. The issue takes every candidate
    collected before its period's end or now, whichever is later: a send that starts late
    still carries what it collected first."""
    end = period[1]
    collected_before = max(end, now)
    excluded = draft.excluded if draft is not None else frozenset()
    candidates = list(candidates)
    qualifying = (
        c.story
        for c in candidates
        if c.collected_at <= collected_before
        # A story already collected under a near-identical title is not told twice.
        and not c.duplicate
        and (rules.sources is None or c.source in rules.sources)
        and c.story.id not in excluded
    )
    stories = pick_stories(qualifying, rules.max_articles)
    if draft is None and not stories:
        return None
    if draft is None or not draft.order_edited:
        # Untouched by editors: rank and group afresh with whatever was collected since.
        kept: tuple[Entry, ...] = ()
        added = [story for section in group_by_region(stories) for story in section.stories]
    else:
        # An editor chose this order: keep it, and add new articles after it.
        kept = draft.entries
        kept_ids = {entry.article_id for entry in kept}
        added = [s for s in stories if s.id not in kept_ids][: rules.max_articles - len(kept)]
    entries = kept + tuple(Entry(s.id, s.region or DEFAULT_SECTION) for s in added)
    titles = {c.story.id: c.story.title for c in candidates}
    subject = subject_for(rules, number, period, entries, draft, titles)
    return Composition(subject=subject, entries=entries)


def subject_for(
    rules: ListRules,
    number: int,
    period: tuple[datetime, datetime],
    entries: Sequence[Entry],
    draft: Draft | None,
    titles: Mapping[int, str],
) -> str:
    """The issue's subject: the one its editor wrote, else the list's pattern filled in with
    the lead story as the email shows it (titles: the articles' own, by id; the editor's
    titles in the draft win)."""
    if draft is not None and draft.subject_edited:
        return draft.subject
    if draft is not None:
        titles = {**titles, **draft.titles}
        lead = lead_of(entries, draft.section_order, draft.lead_article_id)
    else:
        lead = lead_of(entries)
    return issue_subject(rules, number, *period, lead=titles.get(lead or 0, ""))


def lead_of(
    entries: Sequence[Entry], section_order: Sequence[str] = (), chosen: int | None = None
) -> int | None:
    """The article that leads the issue (front_page.leading) among the entries as the email
    shows them: the first section in the editor's order of sections (else the first present),
    then its stories in the order they come (layout.arranged)."""
    present = [entry.section for entry in entries]
    first = next((name for name in section_order if name in present), None)
    if first is None and present:
        first = present[0]
    first_shown = [entry.article_id for entry in entries if entry.section == first]
    others = [entry.article_id for entry in entries if entry.section != first]
    return leading(first_shown + others, chosen)


def issue_subject(
    rules: ListRules, number: int, start: datetime, end: datetime, lead: str = ""
) -> str:
    """The list's subject pattern filled in; {lead} is the lead story's title (the period's
    days in an issue without stories)."""
    zone = ZoneInfo(rules.timezone)
    # The period's first and last local days (a period ending at midnight ends the day before).
    first_day = start.astimezone(zone)
    last_day = (end - timedelta(microseconds=1)).astimezone(zone)
    # "30 Nov – 6 Dec 2026", « 30 nov. – 6 déc. 2026 » (Babel, the list's language).
    period = format_interval(
        first_day.date(), last_day.date(), "yMMMd", locale=locale_of(rules.language)
    )
    # Checked when the settings are read; checked again here, as rules can come from elsewhere.
    problem = subject_pattern_problem(rules.subject)
    if problem:
        raise ConfigError(
            f"lists: {rules.slug}: subject: {problem}",
            hint="use " + ", ".join(f"{{{name}}}" for name in SUBJECT_PLACEHOLDERS),
        )
    return rules.subject.format(
        # One plain line whoever wrote the title: a feed's (cleaned when collected) or an
        # editor's stored before their titles were checked; str.format leaves its braces be.
        lead=" ".join(without_control_chars(lead).split()) or period,
        name=rules.name,
        newsletter=rules.newsletter,
        number=number,
        period=period,
    )
