"""What every step needs: settings, database, renderer, signer; config synced into the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.config import Settings, SourceSettings
from digest.models import Source
from digest.packaged_files import packaged_templates
from digest.render.email import EmailRenderer
from digest.secret_key import secret_key
from digest.states import SourceOrigin
from subscribers import membership
from subscribers.tokens import TokenSigner


@dataclass
class Runtime:
    """What every step needs: settings, the database, the renderer and the token signer."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: EmailRenderer
    signer: TokenSigner

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(settings: Settings, now: datetime | None = None) -> Runtime:
    """Connect, migrate the schema and bring sources and lists in line with the config."""
    renderer = EmailRenderer(settings.resolve(settings.paths.templates), packaged_templates())
    signer = TokenSigner(secret_key(settings))
    engine = db.make_engine(settings.database_url, echo=settings.database.echo)
    try:
        db.upgrade(engine)
        rt = Runtime(settings, engine, db.session_factory(engine), renderer, signer)
        for attempt in range(3):
            try:
                sync_config(rt, now or db.utcnow())
                break
            except IntegrityError:
                # Another process starting at the same moment created the same source or
                # list first; the next pass finds it.
                if attempt == 2:
                    raise
    except BaseException:
        engine.dispose()
        raise
    return rt


@contextmanager
def runtime(settings: Settings, now: datetime | None = None) -> Iterator[Runtime]:
    rt = open_runtime(settings, now)
    try:
        yield rt
    finally:
        rt.close()


def sync_config(rt: Runtime, now: datetime) -> None:
    """Sources and lists in config.yaml exist in the database; a new list gets its demo readers.

    config.yaml seeds the sources: a name it gives that the database lacks is created, and a
    source that only config.yaml ever changed follows it (removed from it: disabled). Once an
    admin added or edited a source in the web app (origin web), its row wins and config.yaml's
    entry of that name is left aside."""
    with db.transaction(rt.sessions) as session:
        rows = {row.name: row for row in session.scalars(select(Source))}
        for source in rt.settings.sources:
            row = rows.get(source.name)
            if row is None:
                location = source_location(rt.settings, source)
                row = Source(name=source.name, url=location, configured_url=location)
                session.add(row)
            elif row.origin == SourceOrigin.WEB:
                continue
            _follow_config(rt.settings, source, row)
        named = {source.name for source in rt.settings.sources}
        for name, row in rows.items():
            if name not in named and row.origin == SourceOrigin.CONFIG:
                row.enabled = False  # gone from config.yaml: no longer collected
        for lst in rt.settings.lists:
            mailing_list, created = membership.ensure_list(session, lst.slug, lst.name)
            if created:
                for address in lst.demo_subscribers:
                    membership.add_subscriber(
                        session, mailing_list, address, name=None, now=now, origin="config"
                    )


def _follow_config(settings: Settings, source: SourceSettings, row: Source) -> None:
    location = source_location(settings, source)
    if (row.configured_url or row.url) != location:
        # A new url in config.yaml starts afresh: a source deactivated by 410 or moved by a
        # permanent redirect is fetched from the address the editor gave.
        row.url, row.configured_url = location, location
        row.etag = row.last_modified = None
        row.active, row.retry_after_at = True, None
    # Only these: the move, validators and 410 stay as they were.
    row.region, row.tags, row.selector = source.region, list(source.tags), source.selector
    pages = source.pages_dir
    row.pages_dir = None if pages is None else str(settings.resolve(pages).resolve())
    row.enabled, row.origin = True, SourceOrigin.CONFIG


def source_location(settings: Settings, source: SourceSettings) -> str:
    """Where config.yaml says the source is: its url, or its file as a file: URI."""
    if source.file is not None:
        return settings.resolve(source.file).resolve().as_uri()
    assert source.url is not None
    return source.url
