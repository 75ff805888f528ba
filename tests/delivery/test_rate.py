"""The send rate limit: evenly spaced permits (a fake clock), and a real send that keeps to it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from digest import pipeline
from digest.delivery.rate import RateLimit
from tests.delivery.scenario import NOW, addresses, deliveries, load_subscribers, smtp_config
from tests.servers import FixtureSMTPServer


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def granted_at_once(limit: RateLimit) -> bool:
    """Whether acquire() grants a permit without waiting: a task that has not finished after
    one turn of the event loop is sleeping until its permit's time. (A waiting task is
    cancelled, so no test sleeps for real.)"""

    async def attempt() -> bool:
        task = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        if task.done():
            task.result()
            return True
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return False

    return run(attempt())


def run(coroutine: Coroutine[Any, Any, bool]) -> bool:
    return asyncio.run(coroutine)


def test_permits_are_spaced_evenly_by_the_interval() -> None:
    clock = FakeClock()
    limit = RateLimit(10, clock=clock)  # one permit every 0.1 s
    assert granted_at_once(limit)
    assert not granted_at_once(limit), "a second permit at the same instant must wait"

    clock.now += 0.2  # the waiting permit above was booked for +0.1 s
    assert granted_at_once(limit)
    clock.now += 0.05
    assert not granted_at_once(limit), "only half an interval since the last permit"


def test_a_quiet_spell_does_not_save_up_a_burst() -> None:
    clock = FakeClock()
    limit = RateLimit(5, clock=clock)
    assert granted_at_once(limit)
    clock.now += 60.0  # a minute without sending
    assert granted_at_once(limit)
    assert not granted_at_once(limit), "no burst after a pause: still one permit per 0.2 s"


def test_slow_down_pauses_every_permit_until_it_is_over() -> None:
    clock = FakeClock()
    limit = RateLimit(None, clock=clock)  # no rate limit at all
    assert all(granted_at_once(limit) for _ in range(100)), "unlimited: never waits"
    limit.slow_down(30.0)
    clock.now += 29.0
    assert not granted_at_once(limit)
    clock.now += 1.0
    assert granted_at_once(limit)
    assert granted_at_once(limit)


def test_a_real_send_keeps_to_the_rate_over_any_one_second_window(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # 10 a second: permits 100 ms apart, a margin wide enough for a busy test machine's
    # scheduling delays between a permit and its message reaching the server.
    rate = 10
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 4}, max_articles=2, rate_limit_per_second=rate)
    )
    emails = addresses(25)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)

    assert report.sent == len(emails) and all(row.status == "sent" for row in rows.values())
    assert sorted(smtp_server.handler.counts().items()) == [(e, 1) for e in emails]
    for times in (
        sorted(r.started for r in smtp_server.handler.received),  # MAIL FROM
        sorted(r.at for r in smtp_server.handler.received),  # accepted after the data
    ):
        busiest = max(sum(t <= a < t + 1.0 for a in times) for t in times)
        # At most `rate` permits start in any second; what the server sees carries the
        # scheduling jitter of a loaded machine (a delayed message bunches with the next one),
        # which may add two. Without the limit all 25 come in one burst.
        assert busiest <= rate + 2, (busiest, [round(t - times[0], 3) for t in times])
        # And the limit was really applied: without it 25 messages take a few milliseconds.
        assert times[-1] - times[0] >= (len(times) - 1) / rate * 0.9
