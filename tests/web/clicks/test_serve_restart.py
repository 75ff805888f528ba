"""`digest serve` as a real process, stopped in the middle of a burst of clicks and started
again: every click it answered is stored (the answer waits for the commit)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from tests.bench.bench_clicks import (
    Server,
    burst_with_restart,
    free_port,
    sent_issue,
    stored_clicks,
)

CLICKS = 400


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_answered_click_is_lost_when_serve_stops_mid_burst(
    write_config: Any, signum: signal.Signals
) -> None:
    port = free_port()
    settings = write_config(
        {
            "newsletter": {"base_url": f"http://127.0.0.1:{port}"},
            "web": {"secure_cookies": False, "max_connections_per_client": 1000},
        }
    )
    paths, issue_id = sent_issue(settings.config_path)
    server = Server(settings.config_path, port)
    server.start()
    try:
        run = asyncio.run(burst_with_restart(server, paths, CLICKS, 20, signum))
    finally:
        server.stop()
    stored = stored_clicks(settings.config_path, issue_id)
    assert run.ok == CLICKS  # each click sent again until answered
    if signum == signal.SIGTERM:
        assert stored == CLICKS  # the requests in flight were finished, the rest refused
    else:
        # A kill may cut off answers to clicks already stored; those are sent again.
        assert CLICKS <= stored <= CLICKS + 20
