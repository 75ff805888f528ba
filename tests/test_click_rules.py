"""The pure click rules: UTM parameters, and the link-scanner rule (no clock, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.click_rules import ScannerFilter, with_utm
from digest.config import load_settings
from digest.config_analytics import UtmSettings
from digest.errors import ConfigError

WINDOW = 60.0


def test_utm_parameters_are_added_and_the_sites_own_are_kept() -> None:
    utm = UtmSettings(source="digest", medium="email", campaign="{list}-{number}")

    assert with_utm("https://a.example/x", utm, "weekly", 7) == (
        "https://a.example/x?utm_source=digest&utm_medium=email&utm_campaign=weekly-7"
    )
    assert with_utm("https://a.example/x?id=3&utm_source=site#top", utm, "weekly", 7) == (
        "https://a.example/x?id=3&utm_source=site&utm_medium=email&utm_campaign=weekly-7#top"
    )
    assert with_utm("https://a.example/x", None, "weekly", 7) == "https://a.example/x"


def test_a_campaign_pattern_with_an_unknown_name_is_refused_naming_the_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("analytics:\n  utm:\n    campaign: '{lst}-{number}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "analytics.utm.campaign" in caught.value.message
    assert "{list} and {number}" in caught.value.message
    path.write_text("analytics:\n  per_reder: true\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "did you mean 'per_reader'?" in caught.value.message


def test_a_reader_following_some_stories_counts_once_each() -> None:
    rules = ScannerFilter(WINDOW, 1000)

    assert rules.judge("a", 1, 10, stories=4, now=0).reason == "counted"
    assert rules.judge("a", 1, 11, stories=4, now=1).reason == "counted"
    assert rules.judge("a", 1, 10, stories=4, now=2).reason == "repeat"  # the same story again
    assert rules.judge("a", 1, 12, stories=4, now=3).reason == "counted"
    # Another client, another issue: their own.
    assert rules.judge("b", 1, 10, stories=4, now=3).reason == "counted"
    assert rules.judge("a", 2, 10, stories=4, now=3).reason == "counted"
    # After the window the same reader's click counts again.
    assert rules.judge("a", 1, 10, stories=4, now=WINDOW + 0.5).reason == "counted"


def test_a_client_following_every_story_within_the_window_is_a_scanner() -> None:
    rules = ScannerFilter(WINDOW, 1000)
    verdicts = [rules.judge("gw", 1, article, stories=3, now=0.1 * article) for article in (7, 8)]
    assert [v.reason for v in verdicts] == ["counted", "counted"]

    last = rules.judge("gw", 1, 9, stories=3, now=0.3, reader=None)

    assert last.reason == "scanner" and not last.counted
    assert sorted(last.taken_back) == [(7, None), (8, None)]  # its earlier clicks taken back
    later = rules.judge("gw", 1, 7, stories=3, now=5)
    assert later.reason == "scanner" and later.taken_back == ()
    # A reader behind another address at the same time is counted.
    assert rules.judge("reader", 1, 7, stories=3, now=5).counted


def test_every_story_over_more_than_the_window_is_a_reader() -> None:
    rules = ScannerFilter(WINDOW, 1000)
    for i, article in enumerate((7, 8, 9)):
        assert rules.judge("a", 1, article, stories=3, now=i * (WINDOW / 2 + 1)).counted


def test_a_one_story_issue_is_never_judged_a_scan() -> None:
    rules = ScannerFilter(WINDOW, 1000)
    assert rules.judge("a", 1, 7, stories=1, now=0).counted


def test_the_readers_of_taken_back_clicks_are_given_back() -> None:
    rules = ScannerFilter(WINDOW, 1000)
    rules.judge("gw", 1, 7, stories=2, now=0, reader=42)
    assert rules.judge("gw", 1, 8, stories=2, now=1, reader=42).taken_back == ((7, 42),)


def test_memory_is_bounded_by_forgetting_the_oldest_clients() -> None:
    rules = ScannerFilter(WINDOW, 100)
    for n in range(1000):
        rules.judge(f"c{n}", 1, 7, stories=3, now=0)
    assert len(rules) == 100
    assert rules.judge("c0", 1, 7, stories=3, now=1).counted  # forgotten: counted again
    assert rules.judge("c999", 1, 7, stories=3, now=1).reason == "repeat"
