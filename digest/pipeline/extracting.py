"""Article extraction off the event loop: a thread for a few pages, worker processes for many."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from types import TracebackType

from digest.collect.extract import ExtractedArticle, extract_article

# Fewer pages than this in a run are extracted in a thread: starting processes costs more.
POOL_AFTER_PAGES = 16


class PageExtractor:
    """extract_article without holding the event loop; CPU-bound work spread over the cores."""

    def __init__(self, workers: int = 0) -> None:
        self._workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._pages = 0

    async def __aenter__(self) -> PageExtractor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    async def extract(
        self,
        html: bytes,
        url: str,
        selector: str | None,
        content_type: str | None = None,
        with_metadata: bool = True,
    ) -> ExtractedArticle:
        """The page's article; content_type (the HTTP header) names the page's charset;
        with_metadata: whether the page's metadata is needed (see extract_article)."""
        work = partial(
            extract_article, html, url, selector, content_type, with_metadata=with_metadata
        )
        self._pages += 1
        loop = asyncio.get_running_loop()
        if self._pages < POOL_AFTER_PAGES or self._workers < 2:
            return await asyncio.to_thread(work)
        if self._pool is None:
            # spawn, not fork: the collector runs threads (HTTP clients, test servers), and
            # forking a threaded process can deadlock the child.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
        return await loop.run_in_executor(self._pool, work)
