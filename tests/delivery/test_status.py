"""`digest status`: each issue of a list with its deliveries counted by state, as a user sees it."""

from __future__ import annotations

import re
from datetime import timedelta

from digest import pipeline
from subscribers import membership
from tests.delivery.scenario import NOW, digest, load_subscribers, smtp_config
from tests.servers import Fault, FixtureSMTPServer

COLUMNS = ("queued", "sending", "sent", "deferred", "failed", "uncertain", "skipped")


def status_rows(output: str) -> dict[int, dict[str, str | int]]:
    """The table's rows by issue number: status, approval and a count per delivery state."""
    rows: dict[int, dict[str, str | int]] = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 3 + len(COLUMNS) and cells[0].isdigit():
            counts = {state: int(n) for state, n in zip(COLUMNS, cells[3:], strict=True)}
            rows[int(cells[0])] = {"status": cells[1], "approval": cells[2], **counts}
    return rows


def test_status_prints_the_deliveries_of_each_issue_by_state(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"data_timeout_seconds": 0.5}, retry_delay_seconds=60)
    )
    config = settings.config_path
    empty = digest(config, "status")
    assert empty.returncode == 0, empty.stderr
    assert "No issue of weekly yet." in empty.stdout

    ok = [f"ok{n}@example.org" for n in range(4)]
    refused, later, gone, stalled = (
        "refused@example.org",
        "later@example.org",
        "gone@example.org",
        "stalled@example.org",
    )
    smtp_server.handler.faults = {
        refused: [Fault.code(550, "rcpt")],
        later: [Fault.code(451, "data")],
        gone: [Fault.code(452, "rcpt")],
        stalled: [Fault.stalled(2.0)],
    }
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, [*ok, refused, later, gone, stalled])
        pipeline.send(rt, "weekly", NOW)

        first = digest(config, "status", "--list", "weekly")
        assert first.returncode == 0, first.stderr
        assert "weekly: deliveries by state" in first.stdout
        assert status_rows(first.stdout) == {
            1: {
                "status": "sending",
                "approval": "pending",
                **dict.fromkeys(COLUMNS, 0),
                "sent": 4,
                "deferred": 2,
                "failed": 1,
                "uncertain": 1,
            }
        }

        # One of the deferred unsubscribes before the retry: skipped, not sent.
        with rt.sessions.begin() as session:
            lst = membership.get_list(session, "weekly")
            membership.remove_subscriber(session, lst, gone, now=NOW)
        pipeline.send(rt, "weekly", NOW + timedelta(hours=1))

    second = digest(config, "status")
    assert second.returncode == 0, second.stderr
    assert status_rows(second.stdout) == {
        1: {
            "status": "sent",
            "approval": "pending",
            **dict.fromkeys(COLUMNS, 0),
            "sent": 5,
            "failed": 1,
            "uncertain": 1,
            "skipped": 1,
        }
    }


def test_status_names_every_state_in_full_at_80_columns(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # 80 columns: a common terminal, and what rich assumes when the output is not a terminal
    # (`digest status > report.txt`, a cron mail). The counts must stay readable there.
    settings = write_config(smtp_config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, ["ok@example.org"])
        pipeline.send(rt, "weekly", NOW)

    result = digest(settings.config_path, "status", COLUMNS="80")

    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout, result.stdout
    for state in COLUMNS:
        assert state in result.stdout, state
