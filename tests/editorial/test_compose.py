"""compose_issue: which articles an issue carries, in which order, under what subject."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digest.editorial.compose import (
    Candidate,
    Composition,
    Draft,
    Entry,
    ListRules,
    compose_issue,
)
from digest.editorial.curate import Story
from digest.errors import ConfigError

START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 23, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RULES = ListRules(
    slug="weekly",
    name="Weekly",
    newsletter="The Digest",
    subject="{name} #{number}: {period}",
    timezone="UTC",
    max_articles=3,
    sources=None,
)


def candidate(
    article_id: int,
    *,
    region: str = "Europe",
    published: datetime | None = None,
    collected: datetime = NOW,
    source: str | None = "Wire",
    duplicate: bool = False,
) -> Candidate:
    story = Story(
        id=article_id,
        title=f"Story {article_id}",
        url=f"https://example.org/{article_id}",
        region=region,
        tags=(),
        reading_minutes=2,
        summary="",
        published_at=published or START + timedelta(hours=article_id),
    )
    return Candidate(story=story, collected_at=collected, source=source, duplicate=duplicate)


def draft(
    *entries: tuple[int, str],
    excluded: frozenset[int] = frozenset(),
    order_edited: bool = False,
    subject: str = "Weekly #4: 16 Nov – 22 Nov 2026",
    subject_edited: bool = False,
) -> Draft:
    return Draft(
        entries=tuple(Entry(article_id, section) for article_id, section in entries),
        excluded=excluded,
        order_edited=order_edited,
        subject=subject,
        subject_edited=subject_edited,
    )


def compose(
    candidates: list[Candidate],
    existing: Draft | None = None,
    rules: ListRules = RULES,
    now: datetime = NOW,
) -> Composition:
    composition = compose_issue(candidates, existing, rules, (START, END), now, 4)
    assert composition is not None
    return composition


def ids(composition: Composition) -> list[int]:
    return [entry.article_id for entry in composition.entries]


# which articles qualify --------------------------------------------------------------------


def test_nothing_to_put_in_a_new_issue_composes_none() -> None:
    assert compose_issue([], None, RULES, (START, END), NOW, 1) is None
    late = candidate(1, collected=END + timedelta(days=1))
    assert compose_issue([late], None, RULES, (START, END), NOW, 1) is None


def test_a_draft_with_nothing_left_is_composed_empty() -> None:
    assert compose([], draft((1, "Europe"))).entries == ()


def test_articles_collected_up_to_the_period_end_qualify() -> None:
    at_end = candidate(1, collected=END)
    after_end = candidate(2, collected=END + timedelta(seconds=1))

    assert ids(compose([at_end, after_end])) == [1]


def test_a_late_send_takes_what_was_collected_until_now() -> None:
    late_now = END + timedelta(hours=6)
    before_now = candidate(1, collected=END + timedelta(hours=5))
    after_now = candidate(2, collected=END + timedelta(hours=7))

    assert ids(compose([before_now, after_now], now=late_now)) == [1]


def test_a_duplicate_is_not_told_twice() -> None:
    assert ids(compose([candidate(1), candidate(2, duplicate=True)])) == [1]


def test_a_list_with_sources_takes_only_theirs() -> None:
    rules = replace(RULES, sources=frozenset({"Wire"}))
    mixed = [candidate(1), candidate(2, source="Blog"), candidate(3, source=None)]

    assert ids(compose(mixed, rules=rules)) == [1]
    assert sorted(ids(compose(mixed))) == [1, 2, 3]


def test_the_editors_exclusions_stay_out() -> None:
    composed = compose([candidate(1), candidate(2)], draft(excluded=frozenset({2})))

    assert ids(composed) == [1]


# order and cap -----------------------------------------------------------------------------


def test_an_untouched_issue_is_ranked_newest_first_and_grouped_by_region() -> None:
    stories = [
        candidate(1, region="Africa"),
        candidate(2, region="Europe"),
        candidate(3, region="Africa"),
        candidate(4, region=""),
    ]
    composed = compose(stories, rules=replace(RULES, max_articles=10))

    assert composed.entries == (
        Entry(4, "More news"),
        Entry(3, "Africa"),
        Entry(1, "Africa"),
        Entry(2, "Europe"),
    )


def test_an_untouched_draft_is_ranked_afresh() -> None:
    composed = compose([candidate(1), candidate(2)], draft((1, "Europe")))

    assert ids(composed) == [2, 1]


def test_the_editors_order_is_kept_and_new_articles_come_after_it() -> None:
    edited = draft((1, "Asia"), (2, "Europe"), order_edited=True)

    composed = compose([candidate(1), candidate(2), candidate(3)], edited)

    assert composed.entries == (Entry(1, "Asia"), Entry(2, "Europe"), Entry(3, "Europe"))


def test_at_most_max_articles_the_newest() -> None:
    composed = compose([candidate(n) for n in range(1, 6)])

    assert ids(composed) == [5, 4, 3]


def test_the_cap_counts_the_articles_the_editor_kept() -> None:
    edited = draft((1, "Europe"), (2, "Europe"), order_edited=True)

    composed = compose([candidate(n) for n in range(1, 6)], edited)

    assert ids(composed) == [1, 2, 5]


# subject -----------------------------------------------------------------------------------


def test_the_subject_follows_the_lists_template() -> None:
    assert compose([candidate(1)]).subject == "Weekly #4: Nov 16\u2009–\u200922, 2026"


@pytest.mark.parametrize(
    ("language", "period"),
    [
        ("fr", "16–22 nov. 2026"),
        ("ar", "16–22 نوفمبر 2026"),
        ("en-GB", "16\u2009–\u200922 Nov 2026"),
    ],
)
def test_the_subjects_period_is_in_the_lists_language(language: str, period: str) -> None:
    rules = replace(RULES, language=language)

    assert compose([candidate(1)], rules=rules).subject == f"Weekly #4: {period}"


def test_the_subject_names_the_periods_local_days() -> None:
    rules = replace(RULES, timezone="Pacific/Auckland")

    assert compose([candidate(1)], rules=rules).subject == "Weekly #4: Nov 16\u2009–\u200923, 2026"


def test_a_subject_the_editor_wrote_is_kept() -> None:
    edited = draft(subject="A week of storms", subject_edited=True)

    assert compose([candidate(1)], edited).subject == "A week of storms"


def test_the_subject_names_the_lead_story() -> None:
    rules = replace(RULES, subject="{lead} | {name} #{number}")
    candidates = [candidate(1, region="Africa"), candidate(2, region="Europe"), candidate(3)]

    # Newest first, grouped by region: story 3 (Europe) leads.
    assert compose(candidates, rules=rules).subject == "Story 3 | Weekly #4"


def test_the_subject_names_the_editors_lead_with_their_title() -> None:
    rules = replace(RULES, subject="{lead}")
    candidates = [candidate(1, region="Africa"), candidate(2, region="Europe")]
    chosen = replace(draft((2, "Europe"), (1, "Africa")), lead_article_id=1)

    assert compose(candidates, chosen, rules=rules).subject == "Story 1"
    retitled = replace(chosen, titles={1: "The editor's own title"})
    assert compose(candidates, retitled, rules=rules).subject == "The editor's own title"
    # The first story of the section the editor put first, when no lead was chosen.
    reordered = replace(draft((2, "Europe"), (1, "Africa")), section_order=("Africa", "Europe"))
    assert compose(candidates, reordered, rules=rules).subject == "Story 1"
    # A chosen lead taken out of the issue leads no more: the first as shown does.
    gone = replace(reordered, lead_article_id=99)
    assert compose(candidates, gone, rules=rules).subject == "Story 1"


def test_an_unknown_placeholder_in_the_subject_is_a_config_error() -> None:
    rules = replace(RULES, subject="{title}")

    with pytest.raises(ConfigError, match="weekly"):
        compose([candidate(1)], rules=rules)


def test_a_hostile_lead_title_makes_one_plain_subject_line() -> None:
    rules = replace(RULES, subject="{lead} · {name}")
    hostile = "Ports\x00 {name} %(list)s %s\x1b[31m\r\nBcc: all@example.org\u2028 reopen"
    chosen = replace(draft((1, "Africa")), titles={1: hostile})

    subject = compose([candidate(1, region="Africa")], chosen, rules=rules).subject

    assert subject == "Ports {name} %(list)s %s[31m Bcc: all@example.org reopen · Weekly"
