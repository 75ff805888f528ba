"""Benchmark: `digest send` through SMTP against its ceiling and a naive sender, in one run.

Run by hand (needs Postfix's smtp-sink and smtp-source: apt-get install -y postfix):

    python -m tests.bench.bench_delivery --recipients 100000 [--connections 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Everything goes to one Postfix smtp-sink on 127.0.0.1:
- the ceiling: Postfix's smtp-source sending as many messages of the same size (one message
  exactly as digest writes it) over the same number of persistent connections;
- digest: `digest send` of the bundled samples' issue to that many subscribers, loaded in bulk
  into a fresh database, state included (afterwards every delivery row must be "sent" and the
  sink must have counted one message per subscriber). The issue's floor: 60% of the ceiling;
- the naive sender: per recipient a new email.message.EmailMessage (the same text and HTML
  parts) and one smtplib send_message, over one connection, for a bounded sample.
Then `digest send` once more under cProfile, timed by CPU time, for a smaller list: where its
CPU goes.

With --database-url, each fresh database is created on that PostgreSQL server and dropped
afterwards (the database named in the URL is only used to connect).
"""

from __future__ import annotations

import argparse
import email
import io
import os
import platform
import pstats
import shutil
import smtplib
import sysconfig
import tempfile
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from tests.bench.delivery_rig import (
    HOST,
    REPO,
    SENDER,
    SMTP_SOURCE,
    Rig,
    Run,
    git_commit,
    sample_message,
    stop_on_signals,
    timed_run,
)

# The floor: digest's messages per second over smtp-source's, in the same run.
FLOOR = 0.60


def ceiling(rig: Rig, message: bytes, count: int, timeout: float) -> Run:
    """smtp-source's run sending count copies of message over the rig's connections."""
    path = rig.workdir / "message.lf"
    # smtp-source ends each line with CRLF itself: give it LF lines, the wire size is the same.
    path.write_bytes(message.replace(b"\r\n", b"\n"))
    before = rig.sink.settled()
    command = [SMTP_SOURCE, "-d", "-s", str(rig.connections), "-m", str(count), "-F", str(path)]
    command += ["-f", SENDER, "-t", "reader@bench.example.org", f"{HOST}:{rig.sink.port}"]
    run = timed_run(command, rig.workdir, timeout)
    received = rig.sink.settled() - before
    if received != count:
        raise RuntimeError(f"smtp-source: the sink received {received} of {count} messages")
    return run


def naive(rig: Rig, message: bytes, count: int) -> tuple[float, int]:
    """Seconds a plain email + smtplib loop takes for count recipients, and its message size."""
    parsed = email.message_from_bytes(message, policy=default_policy)
    text_part, html_part = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    unsubscribe = str(parsed["List-Unsubscribe"]).strip("<>")
    subject, sender = str(parsed["Subject"]), str(parsed["From"])
    size = 0
    before = rig.sink.settled()
    start = time.perf_counter()
    with smtplib.SMTP(HOST, rig.sink.port, timeout=30) as smtp:
        for n in range(count):
            link = f"https://news.example.org/u/reader{n}"
            msg = EmailMessage()
            msg["From"] = sender
            msg["To"] = f"reader{n}@bench.example.org"
            msg["Subject"] = subject
            msg["List-Unsubscribe"] = f"<{link}>"
            msg.set_content(text.replace(unsubscribe, link))
            msg.add_alternative(html.replace(unsubscribe, link), subtype="html")
            smtp.send_message(msg)
            if n == 0:
                size = len(msg.as_bytes())
    seconds = time.perf_counter() - start
    received = rig.sink.settled() - before
    if received != count:
        raise RuntimeError(f"naive sender: the sink received {received} of {count} messages")
    return seconds, size


def _where(path: str) -> str:
    """A profiled function's file, relative to site-packages, the repository or the stdlib."""
    paths = sysconfig.get_paths()
    for root in (paths["purelib"], str(REPO), paths["stdlib"]):
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
    return path


def _launcher(file: str, func: str) -> bool:
    """Frames that only start the command (runpy, click's dispatch): each spans the whole run."""
    return (
        func in ("<built-in method builtins.exec>", "<module>", "main", "invoke", "__call__")
        or "runpy" in file
        or "/click/" in file
    )


def _name(key: tuple[str, int, str]) -> str:
    file, line, func = key
    return f"{_where(file)}:{line}({func})" if line else func


def print_profile(path: Path, top: int = 15) -> None:
    stats = pstats.Stats(str(path), stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = list(stats.stats.items())  # type: ignore[attr-defined]
    for title, column, skip in (
        ("cumulative time (launcher frames - runpy, click - left out)", 3, _launcher),
        ("own time (tottime)", 2, None),
    ):
        entries.sort(key=lambda item, c=column: item[1][c], reverse=True)
        shown = [e for e in entries if skip is None or not skip(e[0][0], e[0][2])][:top]
        print(f"\n  top {top} by {title}, of {total:.2f} s profiled:")
        print(f"  {'cum s':>8} {'own s':>8} {'calls':>10}  function")
        for key, (_cc, calls, own, cum, _callers) in shown:
            print(f"  {cum:8.2f} {own:8.2f} {calls:10d}  {_name(key)}")
    # Who pays for the costliest own-time functions (their callers, by time spent for them).
    print("\n  callers of the top 3 by own time:")
    for key, (*_, callers) in entries[:3]:
        print(f"  {_name(key)}")
        ranked = sorted(callers.items(), key=lambda item: item[1][3], reverse=True)
        for caller, (_cc, calls, own, cum) in ranked[:3]:
            print(f"  {cum:8.2f} {own:8.2f} {calls:10d}    <- {_name(caller)}")


def _load() -> str:
    """The 1-minute load average over the cores: the figures' weather."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4, help="SMTP sessions in parallel")
    parser.add_argument("--database-url", help="PostgreSQL server to use instead of SQLite")
    parser.add_argument(
        "--naive", type=int, default=10_000, help="naive sender's sample, at most (0: none)"
    )
    parser.add_argument(
        "--profile", type=int, default=10_000, help="recipients of the profiled send (0: none)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per send, at most")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    stop_on_signals()

    count = args.recipients
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-delivery-"))
    try:
        print(
            f"digest {git_commit()} · Python {platform.python_version()} · {os.cpu_count()} cores"
            f" · {'PostgreSQL' if args.database_url else 'SQLite'} · {args.connections}"
            f" connection(s) · working folder {workdir} · load average {_load()}"
        )
        message = sample_message(workdir)
        size_kb = len(message) / 1024
        with Rig(workdir, args.database_url, args.connections) as rig:
            print(f"smtp-sink on {HOST}:{rig.sink.port}; a digest message is {size_kb:.1f} KB")

            sink_before = rig.sink.cpu_seconds()
            source_run = ceiling(rig, message, count, args.timeout)
            sink_ceiling_cpu = rig.sink.cpu_seconds() - sink_before
            ceiling_s = source_run.seconds
            print(f"ceiling: smtp-source, {count} messages: {ceiling_s:.2f} s")

            with rig.prepared("throughput", count) as prepared:
                print(
                    f"digest: fresh database + collect {prepared.setup_seconds:.1f} s, "
                    f"{count} subscribers loaded in {prepared.load_seconds:.1f} s; "
                    f"pool: {rig.describe_pool()}"
                )
                sink_before = rig.sink.cpu_seconds()
                digest_run = rig.send(prepared, args.timeout)
                sink_digest_cpu = rig.sink.cpu_seconds() - sink_before
            print(
                f"digest send: {digest_run.seconds:.2f} s, peak RSS "
                f"{digest_run.peak_rss_mb:.0f} MB; all {count} rows sent, sink received {count}"
            )

            naive_count = min(count, args.naive)
            naive_s, naive_size = naive(rig, message, naive_count) if naive_count else (0.0, 0)
            if naive_count:
                print(f"naive sender: {naive_count} messages: {naive_s:.2f} s")

            profile_count = min(count, args.profile)
            if profile_count:
                profile = workdir / "send.prof"
                with rig.prepared("profile", profile_count) as prepared:
                    profiled = rig.send(prepared, args.timeout, profile=profile)

        rates = {
            "ceiling": count / ceiling_s,
            "digest": count / digest_run.seconds,
            "naive": naive_count / naive_s if naive_count else 0.0,
        }
        rows = [
            (f"smtp-source, {args.connections} conn.", count, size_kb, ceiling_s, "ceiling"),
            (
                f"digest send, {args.connections} conn.",
                count,
                size_kb,
                digest_run.seconds,
                "digest",
            ),
        ]
        if naive_count:
            rows.append(
                ("naive email+smtplib, 1 conn.", naive_count, naive_size / 1024, naive_s, "naive")
            )
        print(f"\n  {'sender':<30} {'messages':>9} {'size KB':>8} {'seconds':>9} {'msg/s':>8}")
        for label, n, kb, seconds, key in rows:
            print(f"  {label:<30} {n:>9} {kb:>8.1f} {seconds:>9.2f} {rates[key]:>8.0f}")
        print(f"\n  load average at the end: {_load()} (a busy machine lowers wall-time ratios)")
        share = rates["digest"] / rates["ceiling"]
        verdict = "meets" if share >= FLOOR else "BELOW"
        print(
            f"\n  digest / ceiling: {share:.2f} ({verdict} the floor of {FLOOR:.2f}),"
            " state included"
        )
        if naive_count:
            print(f"  digest / naive:   {rates['digest'] / rates['naive']:.2f}×")
        if digest_run.cpu_seconds:
            # On a machine busy with other work, wall time says little; CPU time per message
            # says what each side costs. With a core each, the slower side sets the pace.
            print(
                "\n  CPU ms per message (user + system):"
                f"\n    smtp-source {1000 * source_run.cpu_seconds / count:.3f}"
                f" + smtp-sink {1000 * sink_ceiling_cpu / count:.3f}"
                f"\n    digest send {1000 * digest_run.cpu_seconds / count:.3f}"
                f" + smtp-sink {1000 * sink_digest_cpu / count:.3f}"
                f"\n    sink's CPU per message / digest's: "
                f"{sink_ceiling_cpu / digest_run.cpu_seconds:.2f}"
            )
        if profile_count:
            print(
                f"\nwhere digest's time goes: `digest send` to {profile_count} recipients under"
                f" cProfile (CPU time), {profiled.seconds:.2f} s"
                f" ({profile_count / profiled.seconds:.0f} msg/s with the profiler on)"
            )
            print_profile(profile)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
