"""week_period, pick_stories and group_by_region: the period, stories and sections of an issue."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.editorial.curate import Section, Story, group_by_region, pick_stories, week_period

PARIS = ZoneInfo("Europe/Paris")


# week_period -------------------------------------------------------------------------------


def test_week_period_in_utc() -> None:
    start, end = week_period(datetime(2026, 11, 18, 15, 0, tzinfo=UTC), "UTC")

    assert start == datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert start.weekday() == 0
    assert start.tzinfo is not None and end.tzinfo is not None


def test_week_period_starts_on_monday_midnight_in_the_given_zone() -> None:
    start, end = week_period(datetime(2026, 11, 18, 15, 0, tzinfo=UTC), "Africa/Lagos")

    assert start == datetime(2026, 11, 16, 0, 0, tzinfo=ZoneInfo("Africa/Lagos"))
    assert start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert (start.astimezone(ZoneInfo("Africa/Lagos")).hour, start.weekday()) == (0, 0)
    assert end - start == timedelta(days=7)


def test_week_period_uses_the_local_date_not_the_utc_date() -> None:
    # Sunday 23:30 UTC is already Monday morning in Tokyo: a new week there.
    now = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)

    tokyo_start, _ = week_period(now, "Asia/Tokyo")
    utc_start, _ = week_period(now, "UTC")
    # Monday 03:00 UTC is still Sunday evening in New York: the previous week there.
    new_york_start, new_york_end = week_period(
        datetime(2026, 11, 16, 3, 0, tzinfo=UTC), "America/New_York"
    )

    assert tokyo_start == datetime(2026, 11, 16, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert utc_start == datetime(2026, 11, 9, tzinfo=UTC)
    assert new_york_start == datetime(2026, 11, 9, tzinfo=ZoneInfo("America/New_York"))
    assert new_york_end == datetime(2026, 11, 16, tzinfo=ZoneInfo("America/New_York"))


def test_week_period_accepts_any_aware_datetime() -> None:
    now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
    same_instant = now.astimezone(ZoneInfo("Asia/Kolkata"))

    assert week_period(same_instant, "Europe/Paris") == week_period(now, "Europe/Paris")


def test_week_period_boundaries_belong_to_the_week_they_start() -> None:
    monday = datetime(2026, 11, 16, 0, 0, tzinfo=PARIS)
    just_before = monday - timedelta(microseconds=1)

    assert week_period(monday, "Europe/Paris")[0] == monday
    assert week_period(just_before, "Europe/Paris")[1] == monday


def test_week_period_over_spring_dst_change_in_paris() -> None:
    # Clocks go forward on Sunday 29 March 2026: that week is 167 hours long.
    start, end = week_period(datetime(2026, 3, 26, 12, 0, tzinfo=UTC), "Europe/Paris")

    assert start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # Monday 23 March 00:00 CET
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 30 March 00:00 CEST
    assert start.utcoffset() == timedelta(hours=1)
    assert end.utcoffset() == timedelta(hours=2)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)


def test_week_period_on_the_dst_sunday_itself() -> None:
    # 01:30 UTC on 29 March is 03:30 CEST, after the change, still in the week of 23 March.
    start, end = week_period(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Europe/Paris")

    assert (start.month, start.day, end.month, end.day) == (3, 23, 3, 30)


def test_week_period_over_autumn_dst_change_in_paris() -> None:
    # Clocks go back on Sunday 25 October 2026: that week is 169 hours long.
    start, end = week_period(datetime(2026, 10, 21, 9, 0, tzinfo=UTC), "Europe/Paris")

    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=169)


def test_consecutive_weeks_meet_without_gap_or_overlap() -> None:
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    for _ in range(6):
        start, end = week_period(now, "Europe/Paris")
        next_start, _ = week_period(end, "Europe/Paris")
        assert next_start == end
        assert start < now < end
        now += timedelta(days=7)


def test_week_period_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        week_period(datetime(2026, 11, 18, 15, 0), "UTC")


# pick_stories ------------------------------------------------------------------------------


def story(id: int, day: int | None, region: str = "West Africa") -> Story:
    published = None if day is None else datetime(2026, 11, day, 9, 0, tzinfo=UTC)
    return Story(
        id=id,
        title=f"Story {id}",
        url=f"https://news.example.net/{id}",
        region=region,
        tags=(),
        reading_minutes=2,
        summary="A summary.",
        published_at=published,
    )


def test_pick_stories_newest_first() -> None:
    stories = [story(1, 16), story(2, 20), story(3, 18)]

    assert [s.id for s in pick_stories(stories, 10)] == [2, 3, 1]


def test_pick_stories_puts_undated_stories_last() -> None:
    stories = [story(1, None), story(2, 16), story(3, None), story(4, 22)]

    picked = pick_stories(stories, 10)

    assert [s.id for s in picked[:2]] == [4, 2]
    assert {s.id for s in picked[2:]} == {1, 3}


def test_pick_stories_limit_keeps_the_newest() -> None:
    stories = [story(i, 10 + i) for i in range(1, 8)]

    assert [s.id for s in pick_stories(stories, 3)] == [7, 6, 5]
    assert pick_stories(stories, 0) == []
    assert len(pick_stories(stories, 100)) == 7


def test_pick_stories_limit_drops_undated_before_dated() -> None:
    stories = [story(1, None), story(2, None), story(3, 16)]

    assert [s.id for s in pick_stories(stories, 1)] == [3]


def test_pick_stories_order_does_not_depend_on_input_order() -> None:
    stories = [story(1, 16), story(2, 16), story(3, None), story(4, None), story(5, 18)]
    expected = [s.id for s in pick_stories(stories, 10)]

    rng = random.Random(7)
    for _ in range(10):
        shuffled = stories[:]
        rng.shuffle(shuffled)
        assert [s.id for s in pick_stories(shuffled, 10)] == expected


def test_pick_stories_compares_instants_across_zones() -> None:
    early = story(1, 16)
    # 10:00 in Paris on the 16th is 09:00 UTC: the same instant as early, plus one minute.
    later = Story(
        **{**early.__dict__, "id": 2, "published_at": datetime(2026, 11, 16, 10, 1, tzinfo=PARIS)}
    )

    assert [s.id for s in pick_stories([early, later], 2)] == [2, 1]


def test_pick_stories_of_nothing() -> None:
    assert pick_stories([], 5) == []


# group_by_region --------------------------------------------------------------------------


def test_group_by_region_in_order_of_first_appearance() -> None:
    stories = [
        story(1, 20, "West Africa"),
        story(2, 19, "Northern Africa"),
        story(3, 18, "West Africa"),
        story(4, 17, "East Africa"),
        story(5, 16, "Northern Africa"),
    ]

    sections = group_by_region(stories)

    assert [s.region for s in sections] == ["West Africa", "Northern Africa", "East Africa"]
    assert [[x.id for x in s.stories] for s in sections] == [[1, 3], [2, 5], [4]]
    assert all(isinstance(s, Section) and isinstance(s.stories, tuple) for s in sections)


def test_group_by_region_stories_without_region_go_to_more_news() -> None:
    sections = group_by_region([story(1, 20, ""), story(2, 19, "West Africa"), story(3, 18, "")])

    assert [(s.region, [x.id for x in s.stories]) for s in sections] == [
        ("More news", [1, 3]),
        ("West Africa", [2]),
    ]


def test_group_by_region_of_nothing() -> None:
    assert group_by_region([]) == []


def test_a_readers_topics_keep_only_matching_stories() -> None:
    from digest.editorial.curate import Section, for_topics, topic_key

    def story(id_: int, region: str, *tags: str) -> Story:
        return Story(id_, f"t{id_}", f"https://x/{id_}", region, tags, 3, "s", None)

    sections = [
        Section(
            "Northern Africa",
            (story(1, "Northern Africa", "Global ties"), story(2, "Northern Africa")),
        ),
        Section("West Africa", (story(3, "West Africa", "Economy"),)),
    ]
    assert topic_key(["  global   TIES", "Economy", ""]) == ("economy", "global ties")
    kept = for_topics(sections, topic_key(["Global ties"]))
    assert [(s.region, [x.id for x in s.stories]) for s in kept] == [("Northern Africa", [1])]
    by_region = for_topics(sections, topic_key(["west africa"]))
    assert [(s.region, [x.id for x in s.stories]) for s in by_region] == [("West Africa", [3])]
    assert for_topics(sections, ()) == tuple(sections)
    assert for_topics(sections, topic_key(["Sport"])) == ()
