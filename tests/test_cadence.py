"""Schedule arithmetic with a fixed clock: weekly times, DST both ways, grace, missed runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.cadence import (
    Weekly,
    decide,
    next_time,
    occurrences,
    parse_weekly,
    period_ending,
    wall_time,
    wave_window,
    waves,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 07:00", Weekly((0,), 7, 0)),
        ("Monday 7:00", Weekly((0,), 7, 0)),
        ("mon,thu 07:30", Weekly((0, 3), 7, 30)),
        ("sun 02:30", Weekly((6,), 2, 30)),
        ("0 7 * * 1", Weekly((0,), 7, 0)),
        ("15 6 * * 0", Weekly((6,), 6, 15)),
        ("15 6 * * 7", Weekly((6,), 6, 15)),
        ("0 7 * * 1,4", Weekly((0, 3), 7, 0)),
    ],
)
def test_parse_weekly(text: str, expected: Weekly) -> None:
    assert parse_weekly(text) == expected


@pytest.mark.parametrize(
    "text", ["funday 07:00", "mon 25:00", "mon 07:61", "every day", "0 7 * 1 1"]
)
def test_parse_weekly_refuses_what_it_cannot_do(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("*", r"\*")):
        parse_weekly(text)


def test_weekly_in_the_lists_zone() -> None:
    monday_7 = parse_weekly("mon 07:00")
    # Casablanca is UTC+1: Monday 07:00 there is 06:00 UTC.
    after = next_time(monday_7, "Africa/Casablanca", datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert after == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    just_before = datetime(2026, 11, 23, 5, 59, tzinfo=UTC)
    assert next_time(monday_7, "Africa/Casablanca", just_before) == datetime(
        2026, 11, 23, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected_utc"),
    [
        # Clocks go forward: 02:30 does not exist that night; it happens at 03:30.
        ("Europe/Paris", date(2027, 3, 28), 2, datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        ("America/New_York", date(2026, 3, 8), 2, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        # Clocks go back: the half hour happens twice; the first one counts.
        ("Europe/Paris", date(2026, 10, 25), 2, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("America/New_York", date(2026, 11, 1), 1, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_a_send_on_a_dst_night_happens_once(
    zone: str, day: date, hour: int, expected_utc: datetime
) -> None:
    spec = Weekly((day.weekday(),), hour, 30)
    assert wall_time(day, hour, 30, ZoneInfo(zone)) == expected_utc
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    found = occurrences(spec, zone, start, start + timedelta(days=3))
    assert found == [expected_utc]


def test_weekly_times_keep_their_wall_clock_across_dst() -> None:
    spec = parse_weekly("mon 07:00")
    times = occurrences(
        spec,
        "Europe/Paris",
        datetime(2026, 10, 15, tzinfo=UTC),
        datetime(2026, 11, 5, tzinfo=UTC),
    )
    assert [t.astimezone(ZoneInfo("Europe/Paris")).hour for t in times] == [7, 7, 7]
    assert [t.hour for t in times] == [5, 6, 6]  # 07:00 CEST, then 07:00 CET


GRACE = timedelta(hours=6)
MONDAY_7 = parse_weekly("mon 07:00")
DUE = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Casablanca


@pytest.mark.parametrize(
    ("now", "last_done", "due", "skipped"),
    [
        (DUE, None, DUE, None),  # on time
        (DUE + timedelta(hours=5, minutes=59), None, DUE, None),  # down, back within grace
        (DUE + timedelta(hours=6, minutes=1), None, None, DUE),  # beyond grace: skipped
        (DUE + timedelta(hours=1), DUE, None, None),  # done already: never twice
        (DUE - timedelta(minutes=1), DUE - timedelta(days=7), None, None),  # not yet
        (DUE + timedelta(days=7), DUE, DUE + timedelta(days=7), None),  # next week's
    ],
)
def test_decide(
    now: datetime, last_done: datetime | None, due: datetime | None, skipped: datetime | None
) -> None:
    decision = decide(MONDAY_7, "Africa/Casablanca", now, last_done, GRACE)
    assert (decision.due, decision.skipped) == (due, skipped)
    if skipped:
        assert "beyond the grace" in decision.reason


def test_the_period_runs_from_the_previous_send_to_this_one() -> None:
    monday_7 = parse_weekly("mon 07:00")
    send = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 07:00 in Casablanca (UTC+1)
    previous = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    # The draft, 12 h before, the send itself and any time in between belong to the same issue.
    for now in (send - timedelta(hours=12), send, previous + timedelta(seconds=1)):
        assert period_ending(monday_7, "Africa/Casablanca", now) == (previous, send)
    # One second after the send, the next issue's period has begun.
    following = (send, datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert period_ending(monday_7, "Africa/Casablanca", send + timedelta(seconds=1)) == following


def test_a_twice_weekly_schedule_has_periods_of_its_own_length() -> None:
    mon_thu = parse_weekly("mon,thu 07:00")
    start, end = period_ending(mon_thu, "UTC", datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert (start, end) == (
        datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
    )


def test_a_period_across_a_dst_change_is_an_hour_short() -> None:
    monday_7 = parse_weekly("mon 07:00")
    start, end = period_ending(monday_7, "Europe/Paris", datetime(2027, 3, 29, 5, 0, tzinfo=UTC))
    assert end - start == timedelta(days=7, hours=-1)  # clocks went forward on 28 March


def test_local_time_waves_follow_each_readers_zone() -> None:
    monday_7 = parse_weekly("mon 07:00")
    anchor = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 07:00 in Casablanca
    found = waves(
        monday_7,
        "Africa/Casablanca",
        anchor,
        ["America/New_York", "Asia/Tokyo", "Africa/Casablanca", "Africa/Lagos", "Asia/Tokyo"],
    )
    assert found == {
        datetime(2026, 11, 29, 22, 0, tzinfo=UTC): ("Asia/Tokyo",),  # 07:00 Monday in Tokyo
        # Lagos is also UTC+1 in winter: one wave for both zones.
        datetime(2026, 11, 30, 6, 0, tzinfo=UTC): ("Africa/Casablanca", "Africa/Lagos"),
        datetime(2026, 11, 30, 12, 0, tzinfo=UTC): ("America/New_York",),
    }
    first, last = wave_window(monday_7, "Africa/Casablanca", anchor)
    assert first == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # UTC+14
    assert last == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # UTC-12
    assert all(first <= moment <= last for moment in found)


def test_a_wave_in_a_zone_whose_clocks_skip_the_hour_still_comes_once() -> None:
    sunday_230 = parse_weekly("sun 02:30")
    anchor = datetime(2027, 3, 28, 2, 30, tzinfo=UTC)  # the list is on UTC
    found = waves(sunday_230, "UTC", anchor, ["Europe/Paris", "UTC"])
    # 02:30 does not exist in Paris that night: it comes at 03:30 local, 01:30 UTC.
    assert found == {
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC): ("Europe/Paris",),
        anchor: ("UTC",),
    }
