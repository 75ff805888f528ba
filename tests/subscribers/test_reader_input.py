"""What a reader may type: names, time zones, choices; and the in-process rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from subscribers.rate_limit import SlidingWindow
from subscribers.reader_input import FormProblem, chosen, clean_name, clean_timezone

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["A\rB", "A\nB", "A\tB", "A\x00", "A\x7f", "A\u2028B", "A\u2029B"])
def test_names_with_control_characters_or_line_breaks_are_refused(name: str) -> None:
    with pytest.raises(FormProblem, match="line breaks or control characters"):
        clean_name(name)


def test_names_are_trimmed_and_may_be_empty_or_any_script() -> None:
    assert clean_name("  Amina Diallo ") == "Amina Diallo"
    assert clean_name("   ") is None
    assert clean_name("Ngozi Ọkọnkwọ 李") == "Ngozi Ọkọnkwọ 李"
    with pytest.raises(FormProblem, match="at most 200"):
        clean_name("x" * 201)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "/etc/localtime", "UTC\n"])
def test_only_real_time_zones_are_kept(zone: str) -> None:
    if zone.strip() == "UTC":
        assert clean_timezone(zone) == "UTC"
        return
    with pytest.raises(FormProblem, match="Africa/Dakar"):
        clean_timezone(zone)


def test_choices_come_from_those_offered_in_their_order() -> None:
    assert chosen(["b", "a", "b"], ["a", "b", "c"], "topics") == ["a", "b"]
    with pytest.raises(FormProblem, match="Choose topics from those shown"):
        chosen(["a", "zz"], ["a", "b"], "topics")


def test_the_window_allows_limit_attempts_then_slides() -> None:
    window = SlidingWindow(limit=2, window=timedelta(minutes=10))

    assert [window.allow("ip", NOW + timedelta(minutes=m)) for m in (0, 1, 2)] == [
        True,
        True,
        False,
    ]
    assert window.allow("other", NOW) is True
    assert window.allow("ip", NOW + timedelta(minutes=10)) is True  # the first has aged out
    assert window.allow("ip", NOW + timedelta(minutes=10, seconds=1)) is False


def test_a_flood_of_keys_does_not_grow_without_bound() -> None:
    window = SlidingWindow(limit=1, window=timedelta(minutes=10), max_keys=100)
    for i in range(1000):
        window.allow(f"key-{i}", NOW)

    assert len(window._seen) <= 100
