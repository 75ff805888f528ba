"""Each source's health: as `digest sources` shows it, and as the editor's pages warn of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from digest.models import Source
from digest.pipeline.runtime import Runtime


@dataclass(frozen=True)
class SourceState:
    """What `digest sources` shows of one source."""

    name: str
    url: str
    active: bool
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    items_seen: int
    etag: str | None
    last_modified: str | None
    retry_after_at: datetime | None
    failing: bool  # failed collect.failing_after times in a row or more


def source_states(rt: Runtime) -> list[SourceState]:
    """Every configured source's health, in the order of config.yaml."""
    order = {s.name: i for i, s in enumerate(rt.settings.sources)}
    with rt.sessions() as session:
        rows = [r for r in session.scalars(select(Source)) if r.name in order]
    rows.sort(key=lambda r: order[r.name])
    return [
        SourceState(
            name=r.name,
            url=r.url,
            active=r.active,
            last_success_at=r.last_success_at,
            last_error=r.last_error,
            consecutive_failures=r.consecutive_failures,
            items_seen=r.items_seen,
            etag=r.etag,
            last_modified=r.last_modified,
            retry_after_at=r.retry_after_at,
            failing=r.consecutive_failures >= rt.settings.collect.failing_after,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class SourceHealth:
    """What the editor's pages show of one source."""

    name: str
    consecutive_failures: int
    last_error: str | None
    last_success_at: datetime | None

    @property
    def last_fetch_failed(self) -> bool:
        """The latest fetch failed (a source is failing only after collect.failing_after)."""
        return self.consecutive_failures > 0


def source_health(rt: Runtime) -> list[SourceHealth]:
    with rt.sessions() as session:
        return [
            SourceHealth(s.name, s.consecutive_failures, s.last_error, s.last_success_at)
            for s in session.scalars(select(Source).order_by(Source.name))
        ]
