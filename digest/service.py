"""The always-on service (`digest serve`): web app, scheduler and delivery worker, one process.

SIGTERM (or Ctrl-C) stops new work; the batches in flight finish and are recorded, then the
process exits within service.shutdown_grace_seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from digest import pipeline
from digest.config import Settings
from digest.delivery.growing_wait import PassWaits
from digest.errors import HeartbeatLost, SenderRefused, ServerUnavailable
from digest.schedule import Clock
from digest.scheduled_jobs import ScheduledJobs
from digest.scheduler import Scheduler
from digest.stopping import StopAfterBatch, stop_between_batches

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("digest.service")


@dataclass(frozen=True)
class Parts:
    web: bool = True
    scheduler: bool = True
    worker: bool = True


class Service:
    """Runs the chosen parts until SIGTERM/SIGINT, then stops them within the grace."""

    def __init__(
        self, settings: Settings, clock: Clock, parts: Parts, host: str, port: int
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.parts = parts
        self.host = host
        self.port = port
        self.stop = threading.Event()
        self._signalled: str | None = None  # set by the signal handler, read by run()

    def run(self) -> int:
        """Serve until stopped; the exit status (0: stopped cleanly within the grace)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        rt = pipeline.open_runtime(self.settings, self.clock())
        threads: list[threading.Thread] = []
        scheduler: Scheduler | None = None
        server: uvicorn.Server | None = None
        try:
            if self.parts.worker:
                threads.append(_thread("delivery-worker", self._work, rt))
            if self.parts.scheduler:
                scheduler = Scheduler(ScheduledJobs(rt, self.stop), self.clock)
                scheduler.start()
            if self.parts.web:
                server = self._web_server()
                threads.append(_thread("web", server.run))
            log.info(
                "serving: %s",
                ", ".join(name for name, on in vars(self.parts).items() if on) or "nothing",
            )
            failed = False
            # Poll, never block in self.stop.wait() here: the signal handler runs in this
            # thread, and an Event.set() from it while this thread holds the Event's lock
            # deadlocks (seen: a SIGTERM that never stopped the service).
            while not self.stop.is_set():
                time.sleep(0.2)
                if self._signalled is not None:
                    log.info("%s: stopping after the work in flight", self._signalled)
                    self.stop.set()
                elif server is not None and not threads[-1].is_alive():
                    log.error("the web server stopped (is port %s in use?)", self.port)
                    self.stop.set()
                    failed = True
            return self._shut_down(scheduler, server, threads) or int(failed)
        finally:
            rt.close()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only a plain assignment: taking a lock (Event.set, logging) in a signal handler can
        # deadlock against the interrupted code of the same thread. The main loop acts on it.
        self._signalled = signal.Signals(signum).name

    def _work(self, rt: pipeline.Runtime) -> None:
        """The delivery worker: deliver every send under way, then wait; stop between batches.
        While the SMTP server cannot take mail, the wait starts at the interval (a second at
        least) and doubles, up to delivery.retry_delay_seconds (PassWaits)."""
        progress = stop_between_batches(self.stop)
        interval = self.settings.service.worker_interval_seconds
        waits = PassWaits(interval, self.settings.delivery.retry_delay_seconds)
        while not self.stop.is_set():
            wait = interval
            try:
                reports = pipeline.deliver_pending(rt, self.clock(), progress=progress)
            except StopAfterBatch:
                break
            except (SenderRefused, HeartbeatLost, ServerUnavailable) as exc:  # the rows wait
                wait = waits.after(exc)
                log.warning("delivery worker: %s (%s); trying again in %g s", exc, exc.hint, wait)
                reports = []
            except Exception:  # keep working; its rows are free again once it has stopped
                log.exception("delivery worker: a pass failed")
                reports = []
            else:
                wait = waits.after(None)
            for report in reports:
                if report.issue is not None and (report.sent or report.deferred or report.failed):
                    log.info(
                        "delivered %s sent, %s deferred, %s failed",
                        report.sent,
                        report.deferred,
                        report.failed,
                        extra={"list": report.issue.list_slug, "issue": report.issue.number},
                    )
            self.stop.wait(wait)

    def _web_server(self) -> uvicorn.Server:
        import uvicorn

        from digest.web import create_app
        from digest.web.serving import server_config

        app = create_app(self.settings, clock=self.clock)
        return uvicorn.Server(server_config(app, self.settings, self.host, self.port))

    def _shut_down(
        self,
        scheduler: Scheduler | None,
        server: uvicorn.Server | None,
        threads: list[threading.Thread],
    ) -> int:
        deadline = time.monotonic() + self.settings.service.shutdown_grace_seconds
        if server is not None:
            server.should_exit = True
        if scheduler is not None:
            threads.append(_thread("scheduler-shutdown", scheduler.shutdown))
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [t.name for t in threads if t.is_alive()]
        if busy:
            log.error(
                "still busy after %ss (%s): exiting anyway; unrecorded messages are claimed "
                "again once this worker's heartbeat is delivery.worker_stale_seconds old",
                self.settings.service.shutdown_grace_seconds,
                ", ".join(busy),
            )
            logging.shutdown()
            os._exit(1)  # the threads still running cannot be joined in time
        log.info("stopped")
        return 0


def _thread(name: str, target: Callable[..., object], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread
