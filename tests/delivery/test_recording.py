"""Each result is recorded as it comes: before the same connection's next message is accepted,
so a crash repeats at most one message per connection; SMTP commands pipelined (RFC 2920)
when the server offers it, one at a time when it does not."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select

from digest import pipeline
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import SendResult
from digest.models import Delivery
from tests.delivery.scenario import NOW, addresses, deliveries, load_subscribers, smtp_config
from tests.servers import FixtureSMTPServer


@contextlib.contextmanager
def slow_recording(engine: Engine, seconds: float = 0.02) -> Iterator[None]:
    """Each row marked sent takes `seconds` longer to write (a slow disk, a busy database):
    recording lags behind the messages unless sending waits for it. Done by the database
    itself, a trigger, so it slows every way of writing the row, the driver's included."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "CREATE FUNCTION slow_recording() RETURNS trigger AS $$ BEGIN "
                f"PERFORM pg_sleep({seconds}); RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER slow_recording BEFORE UPDATE ON deliveries FOR EACH ROW "
                "WHEN (NEW.status = 'sent') EXECUTE FUNCTION slow_recording()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER slow_recording BEFORE UPDATE ON deliveries "
                "WHEN NEW.status = 'sent' BEGIN SELECT slow_recording(); END"
            )

    def sleeper(dbapi_connection: Any, *_: object) -> None:
        # Every pooled SQLite connection gets the function the trigger calls, at checkout.
        dbapi_connection.create_function("slow_recording", 0, lambda: time.sleep(seconds))

    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "checkout", sleeper)
    try:
        yield
    finally:
        if sqlite:
            event.remove(engine, "checkout", sleeper)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "DROP TRIGGER slow_recording" + ("" if sqlite else " ON deliveries")
            )
            if not sqlite:
                connection.exec_driver_sql("DROP FUNCTION slow_recording()")


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_result_is_recorded_before_its_connection_finishes_the_next_message(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 3}, batch_size=40))
    emails = addresses(60)
    handler = smtp_server.handler
    handler.pipelining = pipelining
    engine = create_engine(settings.database.url)
    seen: list[tuple[str, str | None]] = []  # (previous recipient, its row's status then)
    lock = threading.Lock()

    def check(previous: str | None, _recipient: str) -> None:
        # The server has this message's data and final dot: the message before it on this
        # connection must be on record already.
        if previous is None:
            return
        with engine.connect() as connection:
            status = connection.scalar(select(Delivery.status).where(Delivery.email == previous))
        with lock:
            seen.append((previous, status))

    handler.on_data = check
    try:
        with pipeline.runtime(settings, NOW) as rt:
            pipeline.collect(rt, NOW)
            load_subscribers(rt, emails)
            with slow_recording(rt.engine):
                report = pipeline.send(rt, "weekly", NOW)
            rows = deliveries(rt)
    finally:
        engine.dispose()

    assert report.sent == len(emails)
    assert {row.status for row in rows.values()} == {"sent"}
    assert len(seen) >= len(emails) - 3 * 2, "too few messages followed another on a connection"
    assert [entry for entry in seen if entry[1] != "sent"] == []
    # Commands went together exactly when the server offered PIPELINING.
    assert handler.pipelined and set(handler.pipelined) == {pipelining}


@pytest.mark.parametrize(
    "address", ["evil@example.org>\r\nRCPT TO:<victim@example.net", "evil>@example.org"]
)
def test_an_address_that_would_split_a_command_fails_alone(
    smtp_server: FixtureSMTPServer, address: str
) -> None:
    smtp_server.handler.pipelining = True
    pool = SmtpPool(host="127.0.0.1", port=smtp_server.port, security="none", size=1)
    message = b"Subject: hi\r\n\r\nHello.\r\n"

    async def send() -> list[SendResult]:
        await pool.open()
        try:
            return [
                await pool.send("digest@example.org", address, message),
                await pool.send("digest@example.org", "fine@example.org", message),
            ]
        finally:
            await pool.close()

    evil, fine = asyncio.run(send())

    assert evil.outcome == "failed" and "no SMTP command may carry" in evil.reply
    assert fine.outcome == "sent"
    assert smtp_server.handler.attempts == {"fine@example.org": 1}
