"""The delivery benchmarks' rig: Postfix's smtp-sink, scratch databases and configs, fast
subscriber loading, and `digest` runs timed with their peak RSS.

digest is driven only through its command line, as a user would; the rig touches the
database directly only to load subscribers in bulk and to read the delivery rows back.
Everything listens and connects on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, make_url, text

from tests.conftest import TEST_FROM, TEST_POSTAL_ADDRESS

REPO = Path(__file__).resolve().parents[2]
FEEDS = REPO / "digest" / "samples" / "feeds"
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
GNU_TIME = "/usr/bin/time"
HOST = "127.0.0.1"
LIST_SLUG = "weekly"
SENDER = "digest@news.example.org"
# digest send flags that set the number of SMTP connections, should the command grow one.
POOL_FLAGS = ("--connections", "--pool-size", "--pool", "--concurrency")


def stop_on_signals() -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C does, so every `with` below stops what it started."""

    def _exit(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)


def git_commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Sink:
    """Postfix's smtp-sink on 127.0.0.1, counting the messages it has received (-c)."""

    def __init__(self, workdir: Path) -> None:
        if not os.access(SMTP_SINK, os.X_OK) or not os.access(SMTP_SOURCE, os.X_OK):
            sys.exit(f"{SMTP_SINK} / {SMTP_SOURCE} missing: apt-get install -y postfix")
        self.port = _free_port()
        self._log = workdir / "smtp-sink.out"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sink:
        # As root, smtp-sink insists on dropping privileges once listening.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [SMTP_SINK, "-c", *user, f"{HOST}:{self.port}", "256"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    break
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    sys.exit(f"smtp-sink did not start: {self._log.read_text(errors='replace')}")
                time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            _stop(self._process)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) smtp-sink has used so far."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def received(self) -> int:
        """Messages received so far ("mesg=N" of the last counter line smtp-sink printed)."""
        with self._log.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 256))
            counts = re.findall(rb"mesg=(\d+)", log.read())
        return int(counts[-1]) if counts else 0

    def settled(self) -> int:
        """The count once it has stopped moving (the counter lags the last reply a little)."""
        last, deadline = self.received(), time.monotonic() + 2
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.received()
            if now == last:
                return now
            last = now
        return last


@contextlib.contextmanager
def scratch_database(workdir: Path, server_url: str | None, name: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in workdir, or a new database on the PostgreSQL
    server of server_url (created here and dropped on the way out)."""
    if server_url is None:
        path = workdir / f"{name}.db"
        for leftover in workdir.glob(f"{name}.db*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        for leftover in workdir.glob(f"{name}.db*"):
            leftover.unlink()
        return
    url = make_url(server_url)
    if not url.drivername.startswith("postgresql"):
        sys.exit(f"--database-url: expected a postgresql+psycopg:// URL, got {url.drivername}")
    database = f"digest_bench_{os.getpid()}_{name}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        try:
            yield url.set(database=database).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        admin.dispose()


def write_config(
    path: Path,
    *,
    database_url: str,
    smtp_port: int | None,
    connections: int | None = None,
) -> Path:
    """A config.yaml for the bundled sample sources; SMTP to the sink, or a file outbox."""
    workdir = path.parent
    delivery: dict[str, Any] = {"transport": "file", "file": {"directory": str(workdir / "outbox")}}
    if smtp_port is not None:
        smtp: dict[str, Any] = {"host": HOST, "port": smtp_port, "security": "none"}
        if connections is not None:
            smtp["pool_size"] = connections
        delivery = {"transport": "smtp", "smtp": smtp}
    config = {
        # Not the shipped placeholders, which an SMTP send refuses.
        "newsletter": {"from_address": TEST_FROM, "postal_address": TEST_POSTAL_ADDRESS},
        "database": {"url": database_url},
        "sources": [
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
        ],
        "lists": [
            {"slug": LIST_SLUG, "name": "The Weekly Regional Digest", "demo_subscribers": []}
        ],
        "delivery": delivery,
        "paths": {"templates": str(REPO / "templates"), "previews": str(workdir / "previews")},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def digest_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "digest", "--config", str(config), *args]


def run_digest(config: Path, *args: str, timeout: float = 300) -> str:
    """Run one digest command to completion (killed after timeout); its stdout."""
    result = subprocess.run(
        digest_command(config, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"digest {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def send_flags(connections: int) -> list[str]:
    """`digest send`'s pool-size flag, if it has one today (read from its --help)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "digest", "send", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for flag in POOL_FLAGS:
        if re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text):
            return [flag, str(connections)]
    return []


@dataclass
class Run:
    """One timed process: wall seconds, peak RSS, CPU seconds (user + system, 0 when GNU time
    is missing) and its output."""

    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0


def _vm_hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def timed_run(command: list[str], workdir: Path, timeout: float) -> Run:
    """Run command, measuring wall time and peak RSS; killed (and an error) after timeout.

    The peak comes from GNU time's %M when /usr/bin/time exists, else from polling VmHWM.
    Not from our own wait4(): subprocess starts children with vfork, and Linux then counts
    this process's own high-water mark in the child's ru_maxrss.
    """
    out_path, err_path = workdir / "run.stdout", workdir / "run.stderr"
    rss_path = workdir / "run.maxrss"
    rss_path.unlink(missing_ok=True)
    if os.access(GNU_TIME, os.X_OK):
        command = [GNU_TIME, "-f", "%M %U %S", "-o", str(rss_path), *command]
    peak_kb = 0
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        # A session of its own: a timeout or Ctrl-C here stops time and the command together.
        process = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            while process.poll() is None:
                if time.perf_counter() - start > timeout:
                    raise TimeoutError(f"{' '.join(command)} still running after {timeout:.0f} s")
                peak_kb = max(peak_kb, _vm_hwm_kb(process.pid))
                time.sleep(0.05)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        seconds = time.perf_counter() - start
    cpu = 0.0
    if rss_path.exists():
        # GNU time writes a "Command exited with non-zero status" line first when it did.
        kb, user, system = rss_path.read_text().split()[-3:]
        peak_kb, cpu = int(kb), float(user) + float(system)
    run = Run(
        cpu_seconds=cpu,
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{run.stderr}")
    return run


def _subscriber_rows(first_id: int, count: int, postgres: bool) -> Iterator[tuple[Any, ...]]:
    created: Any = datetime(2026, 1, 5, tzinfo=UTC)
    if not postgres:  # SQLAlchemy's SQLite DateTime format, UTC without a zone
        created = created.strftime("%Y-%m-%d %H:%M:%S.%f")
    for n in range(first_id, first_id + count):
        yield n, f"reader{n}@bench.example.org", None, "active", created, 0, "[]"


def _batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def load_subscribers(database_url: str, count: int, batch_size: int = 20_000) -> float:
    """Add count active subscribers, each confirmed on the list, in bulk (COPY on PostgreSQL,
    executemany on SQLite), generated batch by batch; return the seconds it took."""
    start = time.perf_counter()
    engine = create_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as conn:
            list_id = conn.execute(
                text("SELECT id FROM mailing_lists WHERE slug = :slug"), {"slug": LIST_SLUG}
            ).scalar_one()
            first_id = conn.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM subscribers"))
            first_id = first_id.scalar_one()
            subscribers = _subscriber_rows(first_id, count, postgres)
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            if postgres:
                with cursor.copy(
                    "COPY subscribers (id, email, name, status, created_at, soft_bounces, topics)"
                    " FROM STDIN"
                ) as copy:
                    for row in subscribers:
                        copy.write_row(row)
                with cursor.copy(
                    "COPY subscriptions (subscriber_id, list_id, status, origin, created_at,"
                    " confirmed_at) FROM STDIN"
                ) as copy:
                    for n, _e, _n, _s, created, *_ in _subscriber_rows(first_id, count, postgres):
                        copy.write_row((n, list_id, "confirmed", "import", created, created))
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('subscribers', 'id'),"
                    " (SELECT MAX(id) FROM subscribers))"
                )
            else:
                for batch in _batches(subscribers, batch_size):
                    cursor.executemany(
                        "INSERT INTO subscribers (id, email, name, status, created_at,"
                        " soft_bounces, topics) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        batch,
                    )
                    cursor.executemany(
                        "INSERT INTO subscriptions (subscriber_id, list_id, status, origin,"
                        " created_at, confirmed_at) VALUES (?, ?, 'confirmed', 'import', ?, ?)",
                        [(row[0], list_id, row[4], row[4]) for row in batch],
                    )
            cursor.close()
    finally:
        engine.dispose()
    return time.perf_counter() - start


def delivery_counts(database_url: str) -> dict[str, int]:
    """Delivery rows by state, read straight from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
            return {status: count for status, count in rows}
    finally:
        engine.dispose()


def sample_message(workdir: Path) -> bytes:
    """One message exactly as digest writes it: a file-outbox send of the same issue to one
    reader, in a scratch SQLite database of its own."""
    here = workdir / "sample"
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    config = write_config(
        here / "config.yaml", database_url=f"sqlite:///{here / 'sample.db'}", smtp_port=None
    )
    run_digest(config, "collect")
    run_digest(config, "subscribers", "add", "reader1@bench.example.org")
    run_digest(config, "send")
    (eml,) = (here / "outbox").glob("*.eml")
    return eml.read_bytes()


@dataclass
class Prepared:
    """A scratch database holding the collected issue's articles and count subscribers."""

    config: Path
    database_url: str
    count: int
    setup_seconds: float
    load_seconds: float


class Rig:
    """One sink, a working folder, and fresh databases ready to send to count subscribers."""

    def __init__(self, workdir: Path, server_url: str | None, connections: int) -> None:
        self.workdir = workdir
        self.server_url = server_url
        self.connections = connections
        self.sink = Sink(workdir)
        self.flags: list[str] = []
        self.config_pool_size = True

    def __enter__(self) -> Rig:
        self.sink.__enter__()
        self.flags = send_flags(self.connections)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sink.__exit__(*exc)

    def describe_pool(self) -> str:
        how = []
        if self.flags:
            how.append(" ".join(self.flags))
        if self.config_pool_size:
            how.append(f"delivery.smtp.pool_size: {self.connections}")
        return "; ".join(how) or "none accepted (the engine's default)"

    @contextlib.contextmanager
    def prepared(self, name: str, count: int) -> Iterator[Prepared]:
        with scratch_database(self.workdir, self.server_url, name) as database_url:
            start = time.perf_counter()
            config = self._config(name, database_url)
            run_digest(config, "collect")  # also creates the list from the config
            setup = time.perf_counter() - start
            load = load_subscribers(database_url, count)
            yield Prepared(config, database_url, count, setup, load)

    def _config(self, name: str, database_url: str) -> Path:
        path = self.workdir / f"{name}.yaml"
        pool_size = self.connections if self.config_pool_size else None
        write_config(
            path, database_url=database_url, smtp_port=self.sink.port, connections=pool_size
        )
        try:
            run_digest(path, "db", "upgrade")
        except RuntimeError as exc:
            if pool_size is None or "pool_size" not in str(exc):
                raise
            # An engine without the key: its own default pool.
            self.config_pool_size = False
            write_config(path, database_url=database_url, smtp_port=self.sink.port)
            run_digest(path, "db", "upgrade")
        return path

    def send(self, prepared: Prepared, timeout: float, profile: Path | None = None) -> Run:
        """`digest send` to the sink, timed; then every row must be sent and the sink must have
        received exactly one message per subscriber."""
        before = self.sink.settled()
        command = digest_command(prepared.config, "send", *self.flags)
        if profile is not None:
            # Timed by CPU, not wall time: see tests/bench/cpu_profile.py.
            command = [command[0], "-m", "tests.bench.cpu_profile", str(profile), *command[2:]]
        run = timed_run(command, self.workdir, timeout)
        received = self.sink.settled() - before
        counts = delivery_counts(prepared.database_url)
        if counts != {"sent": prepared.count} or received != prepared.count:
            raise RuntimeError(
                f"expected {prepared.count} rows sent and received; rows by state: {counts}, "
                f"received by smtp-sink: {received}\n{run.stdout}{run.stderr}"
            )
        return run
