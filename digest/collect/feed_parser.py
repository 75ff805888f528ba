"""Parse feeds off the event loop within bounds: every XML feed in a child process stopped at
collect.parse_timeout_seconds and capped at collect.parse_memory_mb (JSON in a thread)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import traceback
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any

from digest.collect.feed_xml import CheckedXml, checked_xml
from digest.collect.feeds import ParsedFeed, is_json_feed, parse_checked, parse_json_feed
from digest.config import CollectSettings
from digest.errors import CollectError

log = logging.getLogger("digest")

# No XML feed is parsed in this process, however small: feedparser has quadratic paths (its
# style sanitiser took 97 s on a 63 kB feed) that hold the GIL, and in a thread nothing can stop
# them while the web app and the scheduler of the same process freeze. A child costs about
# 10 ms (forked from a server process that has the parser imported already).


class FeedParser:
    """parse_feed for a collection run, each feed within the run's bounds."""

    def __init__(self, settings: CollectSettings) -> None:
        self._settings = settings
        # Children at once: parsing is CPU work, more than the cores would only queue.
        self._children = asyncio.Semaphore(os.cpu_count() or 1)

    async def parse(self, data: bytes, url: str, content_type: str = "") -> ParsedFeed:
        """The feed in data (served as content_type, if by HTTP); CollectError when it is
        none, or breaks a bound."""
        limits = self._settings
        if is_json_feed(data):
            return await asyncio.to_thread(
                parse_json_feed, data, url, max_entries=limits.max_entries
            )
        checked = await asyncio.to_thread(
            checked_xml,
            data,
            url,
            max_entries=limits.max_entries,
            max_expansion=limits.max_bytes,
            content_type=content_type,
        )
        async with self._children:
            return await asyncio.to_thread(self._in_child, checked, url)

    def _in_child(self, checked: CheckedXml, url: str) -> ParsedFeed:
        timeout = self._settings.parse_timeout_seconds
        memory = self._settings.parse_memory_mb
        context = _context()
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(
            target=_parse_in_child,
            args=(sending, checked, url, memory * 1024 * 1024),
            name="digest-feed-parser",
            daemon=True,
        )
        try:
            child.start()
            sending.close()  # the child holds its end: a child that dies closes the pipe
            if not receiving.poll(timeout):
                raise CollectError(
                    f"{url}: not parsed within collect.parse_timeout_seconds ({timeout:g}s)",
                    hint="the feed is hostile or huge; raise collect.parse_timeout_seconds"
                    " if it is a real feed",
                )
            try:
                answer = receiving.recv()
            except EOFError:
                child.join(1)
                raise CollectError(
                    f"{url}: the feed parser stopped (exit code {child.exitcode})",
                    hint="the feed is hostile or huge; raise collect.parse_memory_mb if it is"
                    " a real feed",
                ) from None
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receiving.close()
        return _answered(answer, url, memory)


def _answered(answer: tuple[str, Any, str], url: str, memory: int) -> ParsedFeed:
    kind, value, detail = answer
    if kind == "parsed":
        assert isinstance(value, ParsedFeed)
        return value
    if kind == "refused":
        raise CollectError(value, hint=detail or None)
    if kind == "memory":
        raise CollectError(
            f"{url}: parsing needed more than collect.parse_memory_mb ({memory} MB)",
            hint="the feed is hostile or huge; raise collect.parse_memory_mb if it is a real feed",
        )
    # An error nobody foresaw in the child: the source's unexpected error; the child's
    # traceback goes to the log, which the parent's would not show.
    log.error("feed parser process, parsing %s: %s", url, detail)
    raise RuntimeError(f"{value} (in the feed parser's process)")


def _context() -> Any:
    """Children forked from a clean server process (the collector itself runs threads, which a
    plain fork would copy half-way), with the parser imported there once."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # "__main__" too: each child is then forked with the program already imported, instead
        # of running it again (digest's whole CLI) before it parses.
        context.set_forkserver_preload(["__main__", __name__])
        _start_forkserver_without_cwd()
        return context
    return multiprocessing.get_context("spawn")


_forkserver_lock = threading.Lock()


def _start_forkserver_without_cwd() -> None:
    """Start the server process with the working directory off its sys.path.

    It is started as `python -c …`, which puts the working directory first on sys.path, and
    Python 3.11's forkserver ignores the parent's path: a folder named digest/ where digest
    was started (without __init__.py) became the digest package there, and every child died
    on import. PYTHONSAFEPATH (Python 3.11) keeps it off, for that one start only."""
    with _forkserver_lock:
        saved = os.environ.get("PYTHONSAFEPATH")
        os.environ["PYTHONSAFEPATH"] = "1"
        try:
            forkserver.ensure_running()
        finally:
            if saved is None:
                del os.environ["PYTHONSAFEPATH"]
            else:
                os.environ["PYTHONSAFEPATH"] = saved


def _parse_in_child(sending: Connection, checked: CheckedXml, url: str, memory: int) -> None:
    """Runs in the child: parse within the memory cap and send back what came of it."""
    _cap_memory(memory)
    try:
        answer: tuple[str, Any, str] = ("parsed", parse_checked(checked, url), "")
    except CollectError as exc:
        answer = ("refused", exc.message, exc.hint)
    except MemoryError:
        answer = ("memory", "", "")
    except Exception as exc:
        answer = ("unexpected", f"{type(exc).__name__}: {exc}"[:2000], traceback.format_exc())
    try:
        sending.send(answer)
    except MemoryError:
        sending.send(("memory", "", ""))
    finally:
        sending.close()


def _cap_memory(budget: int) -> None:
    """At most budget bytes more than the child holds at its start."""
    try:
        import resource
    except ImportError:  # not on this platform: the deadline still holds
        return
    # The data segment (heap and anonymous mappings: all Python objects), not the address
    # space, which shared libraries fill without using memory.
    limit = _data_segment() + budget
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _data_segment() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
