"""A send of the sample issue to many subscribers over SMTP, for the delivery tests: the config,
subscribers loaded in bulk, delivery rows read back, and the `digest` command run in this process
or as a process of its own.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, literal, select

from digest import db, pipeline
from digest.config import Settings
from digest.delivery.smtp import SmtpPool
from digest.errors import DeliveryError
from digest.models import Delivery
from subscribers.models import MailingList, Subscriber, Subscription
from tests.cli_runner import Finished, run_digest
from tests.servers import FixtureSMTPServer, _free_port

REPO = Path(__file__).resolve().parents[2]
FEEDS = REPO / "digest" / "samples" / "feeds"
# The installed console script, as a user runs it.
DIGEST = str(Path(sys.executable).parent / "digest")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning
PENDING = ("queued", "sending", "deferred")

# The bundled sample feeds, read from files: no network beyond 127.0.0.1.
SOURCES = [
    {
        "name": "Maghreb Dispatch",
        "file": str(FEEDS / "northern-africa.xml"),
        "region": "Northern Africa",
    },
    {
        "name": "Sahel & Coast Weekly",
        "file": str(FEEDS / "west-africa.atom"),
        "region": "West Africa",
    },
]


def smtp_config(
    smtp_server: FixtureSMTPServer,
    *,
    smtp: dict[str, Any] | None = None,
    max_articles: int = 20,
    **delivery: Any,
) -> dict[str, Any]:
    """Overrides for the write_config fixture: the sample sources, one list without demo
    readers, and delivery over SMTP to the fixture server (plus the given delivery keys)."""
    return {
        "sources": SOURCES,
        "lists": [
            {
                "slug": "weekly",
                "name": "The Weekly",
                "timezone": "UTC",
                "demo_subscribers": [],
                "max_articles": max_articles,
            }
        ],
        "delivery": {
            "transport": "smtp",
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "security": "none",
                **(smtp or {}),
            },
            **delivery,
        },
    }


def addresses(count: int, domain: str = "example.org") -> list[str]:
    return [f"reader{n:05d}@{domain}" for n in range(count)]


def load_subscribers(
    rt: pipeline.Runtime, emails: Iterable[str], list_slug: str = "weekly"
) -> None:
    """Confirmed subscribers of the list, inserted in bulk (two statements, any count)."""
    rows = [{"email": e, "status": "active", "created_at": NOW, "soft_bounces": 0} for e in emails]
    with db.transaction(rt.sessions) as session:
        list_id = session.scalar(select(MailingList.id).where(MailingList.slug == list_slug))
        assert list_id is not None
        before = session.scalar(select(func.coalesce(func.max(Subscriber.id), 0)))
        session.execute(insert(Subscriber), rows)
        when = literal(NOW, db.UTCDateTime())
        new = select(
            Subscriber.id, literal(list_id), literal("confirmed"), literal("import"), when, when
        ).where(Subscriber.id > before)
        columns = ["subscriber_id", "list_id", "status", "origin", "created_at", "confirmed_at"]
        session.execute(insert(Subscription).from_select(columns, new))


def queue_everything(rt: pipeline.Runtime, now: datetime | None = None) -> None:
    """Start the send (at `now`, else the real time) with a transport whose server is not
    there: the issue is marked sending, every row is queued, nothing goes out."""
    nowhere = SmtpPool(host="127.0.0.1", port=_free_port(), security="none", timeout=2)
    with pytest.raises(DeliveryError, match="cannot connect"):
        pipeline.send(rt, "weekly", now or db.utcnow(), transport=nowhere)


def queued_issue(rt: pipeline.Runtime, emails: Iterable[str]) -> None:
    """The sample issue collected and composed now, its list's readers loaded, a delivery row
    queued for each and none sent: where workers start in the multi-worker tests."""
    pipeline.collect(rt, db.utcnow())
    load_subscribers(rt, emails)
    queue_everything(rt)


def sample_send(
    write_config: Callable[[dict[str, Any]], Settings],
    smtp_server: FixtureSMTPServer,
    readers: int,
    *,
    queued: bool = True,
    pool_size: int | None = None,
    **delivery: Any,
) -> tuple[Settings, list[str]]:
    """The sample issue (one article) for `readers` readers, to be sent over SMTP to the
    fixture server by processes a test starts: its settings and the readers' addresses.
    Queued (every row waiting for a worker) unless `queued` is false (collected and loaded,
    for a `digest send` to start); `pool_size` connections a sender, the given delivery keys;
    the server counts messages rather than keeping them."""
    smtp = {"pool_size": pool_size} if pool_size is not None else None
    settings = write_config(smtp_config(smtp_server, smtp=smtp, max_articles=1, **delivery))
    emails = addresses(readers)
    now = db.utcnow()
    with pipeline.runtime(settings, now) as rt:
        if queued:
            queued_issue(rt, emails)
        else:
            pipeline.collect(rt, now)
            load_subscribers(rt, emails)
    smtp_server.handler.keep_content = False
    return settings, emails


def wait_for_messages(
    process: subprocess.Popen[str], smtp_server: FixtureSMTPServer, count: int
) -> None:
    """Until the server has received `count` messages in all; fails if the process ends first
    or a minute passes."""
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.received) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{process.args} sent fewer than {count} messages"
        time.sleep(0.01)


def worker_until_sent(
    processes: Processes, settings: Settings, smtp_server: FixtureSMTPServer, count: int
) -> tuple[str, str]:
    """`digest worker --interval 0.2` run until the server has `count` messages (a minute at
    most), then stopped with SIGTERM: its stdout and stderr, once it has exited 0."""
    worker = processes.start(settings.config_path, "worker", "--interval", "0.2")
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    stdout, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stdout + stderr
    return stdout, stderr


def service_worker_until_sent(
    rt: pipeline.Runtime,
    settings: Settings,
    smtp_server: FixtureSMTPServer,
    count: int,
    caplog: pytest.LogCaptureFixture,
) -> list[str]:
    """The service's delivery worker run in a thread until the server has `count` messages (a
    minute at most), then stopped: the warnings it logged."""
    from digest.service import Parts, Service

    service = Service(settings, db.utcnow, Parts(web=False, scheduler=False), "", 0)
    worker = threading.Thread(target=service._work, args=(rt,))
    with caplog.at_level(logging.WARNING, logger="digest"):
        worker.start()
        deadline = time.monotonic() + 60
        while len(smtp_server.handler.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        service.stop.set()
        worker.join(30)
    return [r.getMessage() for r in caplog.records if r.name == "digest.service"]


def finished(*processes: subprocess.Popen[str], stop: bool = False) -> list[str]:
    """Each process's output once it has exited 0 (after SIGTERM, when `stop`)."""
    outputs = []
    for process in processes:
        if stop:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out + err
        outputs.append(out)
    return outputs


def sent_once_each(
    settings: Settings, smtp_server: FixtureSMTPServer, emails: list[str], why: str
) -> None:
    """Every reader got the message exactly once and every row is recorded as sent; `why`
    says what a repeat would mean."""
    counts = smtp_server.handler.counts()
    assert set(counts) == set(emails)
    repeated = {email: n for email, n in counts.items() if n > 1}
    assert not repeated, f"{len(repeated)} recipient(s) got the message twice: {why}"
    with pipeline.runtime(settings, db.utcnow()) as rt:
        assert states(rt) == {"sent": len(emails)}


def deliveries(rt: pipeline.Runtime) -> dict[str, Delivery]:
    """Every delivery row, by address."""
    with rt.sessions() as session:
        return {d.email: d for d in session.scalars(select(Delivery))}


def untouched(rows: dict[str, Delivery], emails: list[str]) -> bool:
    """Whether these readers' rows are queued, no attempt counted: as before any send."""
    return all((rows[e].status, rows[e].attempts) == ("queued", 0) for e in emails)


def states(rt: pipeline.Runtime) -> dict[str, int]:
    with rt.sessions() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return {status: count for status, count in rows}


def digest(config: Path, *args: str, **env: str) -> Finished:
    """`digest --config CONFIG ARGS…` run to completion in this process, as a user would run it
    in the config's folder (env: variables set on top of the test's environment)."""
    return run_digest(
        ["--config", str(config), *args], cwd=config.parent, env={"COLUMNS": "160"} | env
    )


class Processes:
    """`digest` processes a test starts in the background; whatever still runs when the test
    ends (a failed assertion, say) is killed, so it never outlives the test's database."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, config: Path, *args: str) -> subprocess.Popen[str]:
        """Start `digest --config CONFIG ARGS…`."""
        process = subprocess.Popen(
            [DIGEST, "--config", str(config), *args],
            cwd=config.parent,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        self.started.append(process)
        return process

    def workers(self, config: Path, count: int, *args: str) -> list[subprocess.Popen[str]]:
        """Start `count` `digest --config CONFIG worker ARGS…` at once."""
        return [self.start(config, "worker", *args) for _ in range(count)]

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate()


def environment() -> dict[str, str]:
    # The config file says everything: no DIGEST_* override from the caller's environment.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ["COLUMNS"] = "160"  # rich tables at a known width (wide enough for any table)
    return environ
