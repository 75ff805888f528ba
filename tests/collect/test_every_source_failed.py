"""`digest collect` and `digest run` exit 3 when every source failed, after their report; one
failing source among working ones is a warning and exits 0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from digest.cli.output import EXIT_EVERY_SOURCE_FAILED
from tests.cli_runner import Finished, run_digest
from tests.servers import FixtureHTTPServer, Route
from tests.test_pipeline import full_item, rss


def digest(config: Path, *args: str) -> Finished:
    return run_digest(
        ["--config", str(config), "--now", "2026-11-23T08:00+00:00", *args], cwd=config.parent
    )


def sources(http_server: FixtureHTTPServer, *paths: str) -> list[dict[str, str]]:
    return [{"name": f"Desk {n}", "url": http_server.url(path)} for n, path in enumerate(paths)]


def test_the_documented_code_is_3() -> None:
    assert EXIT_EVERY_SOURCE_FAILED == 3
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "exit 3" in readme


def test_collect_exits_3_when_every_source_failed_and_still_prints_the_report(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/broken.xml"] = Route(b"", status=500)
    config = write_config({"sources": sources(http_server, "/broken.xml", "/missing.xml")})

    result = digest(config.config_path, "collect")

    assert result.returncode == 3, result.stderr
    assert "Collected 0 new article(s) from 2 source(s), 2 failed" in result.stdout
    assert "/broken.xml: HTTP 500" in result.stdout and "/missing.xml: HTTP 404" in result.stdout
    # The warnings logged as each source failed, then the one line and its hint.
    lines = result.stderr.strip().splitlines()
    assert lines[-2:] == [
        "error: every source failed (2 of 2): nothing was collected",
        "hint: see each source's error above and fix its url in config.yaml; "
        "`digest sources` shows their health",
    ]


def test_run_exits_3_when_every_source_failed_after_its_whole_report(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    config = write_config({"sources": sources(http_server, "/missing.xml")})

    result = digest(config.config_path, "run")

    assert result.returncode == 3, result.stderr
    assert "Collected 0 new article(s) from 1 source(s), 1 failed" in result.stdout
    assert "No new articles for weekly: no issue this week, nothing sent." in result.stdout
    assert "error: every source failed (1 of 1): nothing was collected\n" in result.stderr


def test_one_failing_source_among_working_ones_is_a_warning_and_exits_0(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/good.xml"] = Route(rss([full_item(1)]))
    config = write_config({"sources": sources(http_server, "/good.xml", "/missing.xml")})

    for command in ("collect", "run"):
        result = digest(config.config_path, command)
        assert result.returncode == 0, result.stderr
        assert "from 2 source(s), 1 failed" in result.stdout
        assert "Desk 1: " in result.stdout and "/missing.xml: HTTP 404" in result.stdout
        assert "every source failed" not in result.stderr


def test_no_source_at_all_is_not_a_failure(write_config: Any) -> None:
    config = write_config({"sources": []})
    result = digest(config.config_path, "collect")
    assert result.returncode == 0, result.stderr
    assert "Collected 0 new article(s) from 0 source(s)" in result.stdout
