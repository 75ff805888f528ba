"""A real browser for the tests: Debian's Chromium, headless, driven by Playwright's sync API.

The session-scoped `browser` fixture launches the system Chromium (`/usr/bin/chromium`, or the
path in DIGEST_CHROMIUM) — Playwright's own browser downloads are never used. Playwright gives
every launch a fresh temporary profile (`--user-data-dir`), removed when the browser closes.

Playwright's sync API runs an asyncio loop and, between its calls, marks that loop as running
in the thread that uses it; `asyncio.run()` (digest's collect and send) then refuses to start in
that thread. So Playwright lives in a thread of its own for the whole session and the main
thread stays free: a test hands a function to `browser.run(fn)`, which calls `fn(browser)` with
the Playwright `Browser` in that thread and returns its result (or raises its exception).
Playwright objects must not leave `fn`; return plain data (or assert inside `fn`). Use
`open_page` inside `fn` for a page in a fresh context, closed afterwards.

Without Chromium or the playwright package the browser tests skip with the reason, except
under CI=true, where that is a failure: CI may never pass by running less.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TypeVar
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

T = TypeVar("T")

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
CALL_TIMEOUT = 300  # seconds for one browser.run(); Playwright's own waits time out sooner


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail under CI=true (never pass CI by running less)."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: a missing browser is a failure, not a skip)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """The Chromium to drive: DIGEST_CHROMIUM if set, else /usr/bin/chromium; None if missing."""
    return shutil.which(os.environ.get("DIGEST_CHROMIUM") or DEFAULT_CHROMIUM)


class BrowserThread:
    """Headless Chromium driven by Playwright in a dedicated thread; see the module docstring."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        try:
            self._call(self._start)
        except BaseException:
            self.close()
            raise

    def _call(self, fn: Callable[[], T]) -> T:
        return self._executor.submit(fn).result(timeout=CALL_TIMEOUT)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=self.executable, headless=True, args=CHROMIUM_ARGS
        )

    def run(self, fn: Callable[[Browser], T]) -> T:
        """Call fn(browser) in the Playwright thread and return its result."""
        browser = self._browser
        assert browser is not None, "the browser is closed"
        return self._call(lambda: fn(browser))

    def _stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def close(self) -> None:
        try:
            self._call(self._stop)
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    """Headless system Chromium with a fresh profile, shared by the session's browser tests."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed: pip install -e '.[test]'")
    executable = chromium_path()
    if executable is None:
        wanted = os.environ.get("DIGEST_CHROMIUM") or DEFAULT_CHROMIUM
        _unavailable(
            f"Chromium not found at {wanted} (apt-get install chromium, or DIGEST_CHROMIUM)"
        )
    chromium = BrowserThread(executable)
    try:
        yield chromium
    finally:
        chromium.close()


def _off_machine(url: str) -> bool:
    """A request that would leave this machine: anything but a file or loopback."""
    parts = urlsplit(url)
    return parts.scheme not in ("file", "data", "about") and parts.hostname not in LOOPBACK


@contextmanager
def open_page(
    browser: Browser,
    url: str,
    width: int,
    height: int = 800,
    *,
    color_scheme: Literal["light", "dark"] = "light",
) -> Iterator[Page]:
    """A page showing url in a fresh context (no shared cookies or storage) of that viewport,
    as a reader who prefers that colour scheme sees it. Requests off this machine (a mail's
    remote images) are refused: the page shows what a reader with images off sees."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=color_scheme
    )
    context.route(_off_machine, lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        yield page
    finally:
        context.close()


def save_screenshot(page: Page, test_name: str, width: int) -> Path:
    """Save a full-page screenshot as tests/artifacts/<test name>-<width>.png; return its path."""
    safe_name = re.sub(r"[^\w.-]+", "_", test_name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
