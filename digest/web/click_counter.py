"""What the counted-link route keeps while the app serves: where each story link goes (cached),
the scanner rule's memory, and the writer that stores clicks in batches.

Every click's answer waits until the batch holding it is committed: a 302 means the click is
stored, so stopping the server (or its crash) loses nothing it answered. One task writes at a
time and a burst shares its transactions (one upsert per story, not a row lock per click)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool

from digest.click_rules import Judgement, ScannerFilter
from digest.pipeline import clicks
from digest.pipeline.clicks import ClickKey, Target
from digest.pipeline.runtime import Runtime
from subscribers.client_network import client_network

log = logging.getLogger("digest.web")

# Where each story link of a sent issue goes, for this long: its stories do not change.
TARGET_SECONDS = 60.0
TARGETS_MAX = 10_000


class ClickWriter:
    """Clicks added by many requests, written by one task in batches."""

    def __init__(self, write: Callable[[Mapping[ClickKey, int]], int]) -> None:
        self._write = write
        self._pending: Counter[ClickKey] = Counter()
        self._waiting: list[asyncio.Future[bool]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="click writer")

    async def add(self, changes: Mapping[ClickKey, int]) -> bool:
        """Store these changes with the next batch; True once committed."""
        if self._closing:
            return await run_in_threadpool(self._written, dict(changes))
        self._pending.update(changes)
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self._wake.set()
        return await done

    async def close(self) -> None:
        """Write what is pending, then stop."""
        self._closing = True
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._waiting:
                batch, waiting = self._pending, self._waiting
                self._pending, self._waiting = Counter(), []
                ok = await run_in_threadpool(self._written, batch)
                for done in waiting:
                    if not done.done():
                        done.set_result(ok)
            if self._closing and not self._waiting:
                return

    def _written(self, batch: Mapping[ClickKey, int]) -> bool:
        try:
            return self._write(batch) == 0
        except Exception:
            log.exception("%d story clicks could not be stored", sum(batch.values()))
            return False


class ClickCounter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        analytics = rt.settings.analytics
        self.rules = ScannerFilter(analytics.scanner_window_seconds, analytics.scanner_clients_max)
        self.writer = ClickWriter(lambda batch: clicks.record(rt, batch))
        self._targets: OrderedDict[tuple[int, int], tuple[float, Target | None]] = OrderedDict()
        # Clients are told apart by a hash keyed with this process's own random key, held only
        # in memory: no address or user agent is stored, and no hash outlives the process.
        self._client_key = secrets.token_bytes(32)

    async def target(self, issue_id: int, article_id: int) -> Target | None:
        key = (issue_id, article_id)
        now = time.monotonic()
        cached = self._targets.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await run_in_threadpool(clicks.target, self.rt, issue_id, article_id)
        if found is not None and found.sent:  # a draft's stories and state may still change
            self._targets[key] = (now + TARGET_SECONDS, found)
            self._targets.move_to_end(key)
            while len(self._targets) > TARGETS_MAX:
                self._targets.popitem(last=False)
        return found

    def client(self, host: str | None, user_agent: str) -> str:
        data = f"{client_network(host)}\0{user_agent}".encode("utf-8", "replace")
        return hashlib.blake2b(data, key=self._client_key, digest_size=16).hexdigest()

    def judge(
        self, client: str, issue_id: int, article_id: int, stories: int, reader: int | None
    ) -> Judgement:
        return self.rules.judge(
            client, issue_id, article_id, stories=stories, now=time.monotonic(), reader=reader
        )

    async def store(
        self, issue_id: int, article_id: int, judgement: Judgement, reader: int | None
    ) -> bool:
        changes: Counter[ClickKey] = Counter()
        if judgement.counted:
            changes[issue_id, article_id, reader] += 1
        for taken_article, taken_reader in judgement.taken_back:
            changes[issue_id, taken_article, taken_reader] -= 1
        return await self.writer.add(changes) if changes else True

    async def close(self) -> None:
        await self.writer.close()
