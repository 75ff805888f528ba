"""What every route needs: settings, the clock, the page templates and the pipeline runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from anyio import CapacityLimiter
from starlette.requests import HTTPConnection

from digest.config import Settings
from digest.pipeline import Runtime
from digest.web.click_counter import ClickCounter
from digest.web.pages import Pages
from digest.web.passwords import Editors

Clock = Callable[[], datetime]


@dataclass
class WebState:
    settings: Settings
    clock: Clock
    pages: Pages
    editors: Editors
    # Opened when the app starts serving and closed when it stops (see app.lifespan).
    runtime: Runtime | None = None
    # Password hashing is deliberately slow and memory-hungry: a few at a time, not one per
    # request, so a burst of login attempts cannot exhaust the machine's memory.
    hashing: CapacityLimiter | None = None
    # Counted story links: opened and closed with the runtime.
    click_counter: ClickCounter | None = None

    @property
    def rt(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("the web app is not started: serve it through its lifespan")
        return self.runtime

    @property
    def clicks(self) -> ClickCounter:
        if self.click_counter is None:
            raise RuntimeError("the web app is not started: serve it through its lifespan")
        return self.click_counter

    def now(self) -> datetime:
        return self.clock()


def web_state(connection: HTTPConnection) -> WebState:
    state = connection.app.state.web
    assert isinstance(state, WebState)
    return state
