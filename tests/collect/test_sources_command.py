"""`digest sources`: each source's health as a table, failing sources flagged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cli_runner import Finished, run_digest
from tests.servers import FixtureHTTPServer, Route
from tests.terminal import digest_on_terminal
from tests.test_pipeline import full_item, rss


def digest(config: Path, *args: str, now: str) -> Finished:
    # Wide enough that every table row stays on one line.
    return run_digest(
        ["--config", str(config), "--now", now, *args], cwd=config.parent, env={"COLUMNS": "250"}
    )


def test_sources_shows_health_and_flags_a_source_that_keeps_failing(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/good.xml"] = Route(
        rss([full_item(1), full_item(2)]), headers={"ETag": '"g1"'}
    )
    http_server.routes["/bad.xml"] = Route(b"", status=500)
    http_server.routes["/gone.xml"] = Route(b"", status=410)
    settings = write_config(
        {
            "collect": {"failing_after": 2},
            "sources": [
                {"name": "Good Desk", "url": http_server.url("/good.xml")},
                {"name": "Bad Desk", "url": http_server.url("/bad.xml")},
                {"name": "Idle Desk", "url": http_server.url("/idle.xml")},
                {"name": "Gone Desk", "url": http_server.url("/gone.xml")},
            ],
        }
    )
    config = settings.config_path
    before = digest(config, "sources", now="2026-11-23T08:00+00:00")
    assert before.returncode == 0, before.stderr
    assert "not fetched yet" in before.stdout and "FAILING" not in before.stdout

    for hour in ("08", "09"):
        collected = digest(config, "collect", now=f"2026-11-23T{hour}:00+00:00")
    assert "Gone Desk: not fetched: inactive" in collected.stdout
    http_server.routes["/idle.xml"] = Route(rss([full_item(3)]))
    digest(config, "collect", now="2026-11-23T10:00+00:00")
    shown = digest(config, "sources", now="2026-11-23T10:05+00:00")

    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if line.startswith("│") and "Desk" in line]
    lines = {row.split("│")[1].strip(): row for row in rows}
    assert "ok" in lines["Good Desk"] and '"g1"' in lines["Good Desk"]
    assert "2026-11-23 10:00" in lines["Good Desk"]
    assert "FAILING (3x)" in lines["Bad Desk"] and "HTTP 500" in lines["Bad Desk"]
    assert "never" in lines["Bad Desk"]
    # A source that failed before and works now is healthy again.
    assert "ok" in lines["Idle Desk"] and "FAILING" not in lines["Idle Desk"]
    assert "inactive" in lines["Gone Desk"] and "410" in lines["Gone Desk"]
    assert "Needs attention: Bad Desk, Gone Desk" in shown.stdout

    # Gone from config.yaml: disabled, still shown with its history, no longer flagged.
    kept = [s for s in settings.model_dump(mode="json")["sources"] if s["name"] != "Bad Desk"]
    write_config({"collect": {"failing_after": 2}, "sources": kept})
    later = digest(config, "sources", now="2026-11-23T10:10+00:00")
    rows = [line for line in later.stdout.splitlines() if line.startswith("│") and "Desk" in line]
    assert "disabled" in {row.split("│")[1].strip(): row for row in rows}["Bad Desk"]
    assert "Needs attention: Gone Desk (" in later.stdout


def test_collect_shows_a_progress_bar_on_a_terminal_and_nothing_when_redirected(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/one.xml"] = Route(rss([full_item(1)]))
    http_server.routes["/two.xml"] = Route(rss([full_item(2)]))
    settings = write_config(
        {
            "sources": [
                {"name": "One Desk", "url": http_server.url("/one.xml")},
                {"name": "Two Desk", "url": http_server.url("/two.xml")},
            ]
        }
    )
    config = settings.config_path
    args = ["--config", str(config), "--now", "2026-11-23T08:00+00:00", "collect"]
    code, stdout, shown = digest_on_terminal(config.parent, *args)
    assert code == 0, shown
    assert "collecting" in shown and "2/2" in shown and "source/s" in shown
    assert stdout == "Collected 2 new article(s) from 2 source(s)\n"
    redirected = run_digest(args, cwd=config.parent)
    assert redirected.returncode == 0 and redirected.stderr == ""
