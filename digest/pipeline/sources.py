"""Each source's health: as `digest sources` shows it, and as the editor's pages warn of it;
the rows collection reads its sources from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from digest.config import SourceSettings
from digest.models import Source
from digest.pipeline.runtime import Runtime
from digest.states import SourceOrigin


@dataclass(frozen=True)
class SourceState:
    """What `digest sources` and the admin's Sources page show of one source."""

    id: int
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
    enabled: bool = True
    region: str = ""
    tags: tuple[str, ...] = ()
    selector: str | None = None
    origin: str = SourceOrigin.CONFIG
    is_file: bool = False


def source_states(rt: Runtime) -> list[SourceState]:
    """Every source's health: config.yaml's in its order, then the others by name."""
    order = {s.name: i for i, s in enumerate(rt.settings.sources)}
    with rt.sessions() as session:
        rows = list(session.scalars(select(Source)))
    rows.sort(key=lambda r: (order.get(r.name, len(order)), r.name))
    return [
        SourceState(
            id=r.id,
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
            enabled=r.enabled,
            region=r.region,
            tags=tuple(r.tags or ()),
            selector=r.selector,
            origin=r.origin,
            is_file=r.url.startswith("file:"),
        )
        for r in rows
    ]


def settings_of(row: Source) -> SourceSettings:
    """A stored source as collection reads it (raises ValueError for a row no longer valid).

    The address is the one its admin or config.yaml gave (configured_url); where it moved to
    (url) is what is fetched."""
    given = row.configured_url or row.url
    tags, region = list(row.tags or []), row.region
    if given.startswith("file:"):
        pages = None if row.pages_dir is None else Path(row.pages_dir)
        file = Path(unquote(urlsplit(given).path))
        return SourceSettings(
            name=row.name,
            file=file,
            pages_dir=pages,
            region=region,
            tags=tags,
            selector=row.selector,
        )
    return SourceSettings(name=row.name, url=given, region=region, tags=tags, selector=row.selector)


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
