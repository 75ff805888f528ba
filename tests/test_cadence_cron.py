"""Schedules in every form (cron, @aliases, daily/weekly/monthly) and their times across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.cadence import (
    decide,
    next_time,
    occurrences,
    parse_schedule,
    period_ending,
    previous_time,
    upcoming,
    waves,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Clocks go forward in Paris on Sunday 28 March 2027 (CET +01 → CEST +02).
PARIS_SPRING = utc(2027, 3, 25)


@pytest.mark.parametrize(
    ("text", "zone", "start", "expected"),
    [
        # A range of days, by name and by cron's numbers (1 = Monday): no weekend, and 07:00
        # is 06:00 UTC before the change, 05:00 after it.
        (
            "0 7 * * MON-FRI",
            "Europe/Paris",
            PARIS_SPRING,
            [utc(2027, 3, 25, 6), utc(2027, 3, 26, 6), utc(2027, 3, 29, 5), utc(2027, 3, 30, 5)],
        ),
        (
            "0 7 * * 1-5",
            "Europe/Paris",
            PARIS_SPRING,
            [utc(2027, 3, 25, 6), utc(2027, 3, 26, 6), utc(2027, 3, 29, 5), utc(2027, 3, 30, 5)],
        ),
        # A list of hours, every day.
        (
            "30 6,18 * * *",
            "Europe/Paris",
            utc(2027, 3, 27, 12),
            [utc(2027, 3, 27, 17, 30), utc(2027, 3, 28, 4, 30), utc(2027, 3, 28, 16, 30)],
        ),
        # A step: every six hours from midnight; 00:00 on the night of the change is still CET.
        (
            "0 */6 * * *",
            "Europe/Paris",
            utc(2027, 3, 27, 20),
            [utc(2027, 3, 27, 23), utc(2027, 3, 28, 4), utc(2027, 3, 28, 10), utc(2027, 3, 28, 16)],
        ),
        # A step over cron's weekday numbers: 0, 2, 4, 6 are Sunday, Tuesday, Thursday, Saturday.
        (
            "0 9 * * */2",
            "UTC",
            utc(2026, 11, 23),  # a Monday
            [
                utc(2026, 11, 24, 9),
                utc(2026, 11, 26, 9),
                utc(2026, 11, 28, 9),
                utc(2026, 11, 29, 9),
            ],
        ),
        # Sunday is 0 and 7; month names.
        (
            "15 6 * * 7",
            "UTC",
            utc(2026, 11, 23),
            [utc(2026, 11, 29, 6, 15), utc(2026, 12, 6, 6, 15)],
        ),
        ("0 8 1 jan,jul *", "UTC", utc(2026, 11, 23), [utc(2027, 1, 1, 8), utc(2027, 7, 1, 8)]),
        # @daily is midnight; New York's clocks go back on 1 November 2026 (EDT → EST).
        (
            "@daily",
            "America/New_York",
            utc(2026, 10, 31),
            [utc(2026, 10, 31, 4), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)],
        ),
        # @weekly is Sunday midnight, @monthly the 1st at midnight.
        ("@weekly", "UTC", utc(2026, 11, 23), [utc(2026, 11, 29), utc(2026, 12, 6)]),
        ("@monthly", "UTC", utc(2026, 11, 23), [utc(2026, 12, 1), utc(2027, 1, 1)]),
        # Monthly, across the change: 07:00 CET on 1 March, 07:00 CEST on 1 April.
        ("0 7 1 * *", "Europe/Paris", utc(2027, 2, 15), [utc(2027, 3, 1, 6), utc(2027, 4, 1, 5)]),
        (
            "monthly 1 07:00",
            "Europe/Paris",
            utc(2027, 2, 15),
            [utc(2027, 3, 1, 6), utc(2027, 4, 1, 5)],
        ),
        (
            "monthly last 18:00",
            "Europe/Paris",
            utc(2027, 2, 1),
            [utc(2027, 2, 28, 17), utc(2027, 3, 31, 16), utc(2027, 4, 30, 16)],
        ),
        (
            "monthly 1st mon 07:00",
            "UTC",
            utc(2026, 11, 23),
            [utc(2026, 12, 7, 7), utc(2027, 1, 4, 7)],
        ),
        # Both a day of the month and days of the week: either one, as cron has it.
        (
            "0 7 1 * mon",
            "UTC",
            utc(2026, 11, 24),
            [utc(2026, 11, 30, 7), utc(2026, 12, 1, 7), utc(2026, 12, 7, 7)],
        ),
        # The friendly forms.
        ("daily 07:00", "UTC", utc(2026, 11, 23, 8), [utc(2026, 11, 24, 7), utc(2026, 11, 25, 7)]),
        (
            "mon-fri 07:00",
            "UTC",
            utc(2026, 11, 27, 8),  # a Friday, after the send
            [utc(2026, 11, 30, 7), utc(2026, 12, 1, 7)],
        ),
        ("weekly thu 07:30", "UTC", utc(2026, 11, 23), [utc(2026, 11, 26, 7, 30)]),
    ],
)
def test_each_form_gives_its_times_in_the_lists_zone(
    text: str, zone: str, start: datetime, expected: list[datetime]
) -> None:
    spec = parse_schedule(text)
    assert upcoming(spec, zone, start, len(expected)) == expected
    assert next_time(spec, zone, start) == expected[0]
    assert previous_time(spec, zone, expected[-1]) == expected[-1]
    if len(expected) > 1:
        assert previous_time(spec, zone, expected[-1] - timedelta(seconds=1)) == expected[-2]


def test_an_hour_skipped_or_repeated_by_dst_gives_one_send() -> None:
    spec = parse_schedule("30 2 * * *")
    spring = occurrences(spec, "Europe/Paris", utc(2027, 3, 27, 12), utc(2027, 3, 29, 12))
    # 02:30 does not exist on 28 March: it comes at 03:30 CEST (01:30 UTC), once.
    assert spring == [utc(2027, 3, 28, 1, 30), utc(2027, 3, 29, 0, 30)]
    autumn = occurrences(spec, "Europe/Paris", utc(2027, 10, 30, 12), utc(2027, 11, 1, 12))
    # 02:30 comes twice on 31 October: the first (CEST, 00:30 UTC) counts.
    assert autumn == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]


def test_a_monthly_period_runs_from_the_previous_send() -> None:
    spec = parse_schedule("monthly 1 07:00")
    start, end = period_ending(spec, "Europe/Paris", utc(2027, 3, 15))
    assert (start, end) == (utc(2027, 3, 1, 6), utc(2027, 4, 1, 5))


def test_a_missed_weekday_send_within_the_grace_is_due() -> None:
    spec = parse_schedule("0 7 * * MON-FRI")
    tuesday = utc(2026, 11, 24, 7)
    decision = decide(
        spec, "UTC", tuesday + timedelta(hours=2), tuesday - timedelta(days=1), timedelta(hours=6)
    )
    assert decision.due == tuesday


def test_waves_keep_the_wall_time_of_each_send_of_the_day() -> None:
    spec = parse_schedule("0 7,19 * * *")
    evening = utc(2026, 11, 23, 19)
    assert waves(spec, "UTC", evening, ["Asia/Tokyo", "UTC"]) == {
        utc(2026, 11, 23, 10): ("Asia/Tokyo",),  # 19:00 in Tokyo (UTC+9)
        evening: ("UTC",),
    }


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("61 7 * * *", "minute"),
        ("0 25 * * *", "hour"),
        ("0 7 32 * *", "day"),
        ("0 7 * 13 *", "month"),
        ("0 7 * * FUNDAY", "day_of_week"),
        ("0 7 * * 8", "day_of_week"),
        ("0 7 * * fri-mon", "day_of_week"),
        ("mon 25:00", "hour"),
        ("funday 07:00", "day_of_week"),
        ("monthly 32 07:00", "day"),
    ],
)
def test_a_bad_field_is_named(text: str, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: "):
        parse_schedule(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 7 * *", "expected 5 fields"),
        ("@fortnightly", "expected one of @hourly"),
        ("monday at seven", "expected a day and a time"),
        ("0 7 30 2 *", "never comes"),
        ("0 7 29 2 *", "less than once a year"),
    ],
)
def test_a_schedule_that_cannot_be_read_says_why(text: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_schedule(text)
