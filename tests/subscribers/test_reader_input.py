"""What a reader may type: names, time zones, choices."""

from __future__ import annotations

import pytest

from subscribers.reader_input import FormProblem, chosen, clean_name, clean_timezone


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
