"""PageExtractor: pages extracted off the event loop, in worker processes once there are many."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from digest.collect.extract import extract_article
from digest.pipeline.extracting import POOL_AFTER_PAGES, PageExtractor

PAGES = sorted((Path(__file__).resolve().parents[2] / "digest" / "samples" / "pages").glob("*"))


def _worker_pid() -> int:
    return os.getpid()


def test_many_pages_are_extracted_in_worker_processes_with_the_same_result() -> None:
    pages = [(p.read_bytes(), f"https://news.example.org/{p.stem}/") for p in PAGES]
    batch = (pages * (POOL_AFTER_PAGES // len(pages) + 2))[: POOL_AFTER_PAGES + 6]

    async def run() -> tuple[list[str], set[int]]:
        async with PageExtractor(workers=2) as extractor:
            texts = await asyncio.gather(*(extractor.extract(h, u, None) for h, u in batch))
            assert extractor._pool is not None  # past POOL_AFTER_PAGES: processes
            loop = asyncio.get_running_loop()
            pids = {await loop.run_in_executor(extractor._pool, _worker_pid) for _ in range(4)}
        return [t.text for t in texts], pids

    texts, pids = asyncio.run(run())

    expected = {u: extract_article(h, u).text for h, u in pages}
    assert texts == [expected[u] for _h, u in batch]
    assert os.getpid() not in pids
