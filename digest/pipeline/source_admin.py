"""What admins do to sources in the web app: add, edit, disable or enable one, collect now.

A source added or edited here becomes the web app's (origin web): config.yaml no longer
changes it (see runtime.sync_config). Its address goes through the collector's SSRF guard
before it is stored, so a form cannot point collection at this machine or its network."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import db
from digest.collect.fetch import Fetcher
from digest.config import SourceSettings
from digest.errors import DigestError, FetchError, NotFoundError
from digest.models import Source
from digest.pipeline.runtime import Runtime
from digest.states import SourceOrigin

URL_MAX = 2000
TAGS_MAX = 20
TAG_MAX = 64


@dataclass(frozen=True)
class SourceInput:
    """What the Sources form gives, as typed."""

    name: str
    url: str
    region: str = ""
    tags: str = ""  # separated by commas
    selector: str = ""


class SourceInputError(DigestError):
    """A source's form holds a value that cannot be used; the message names the field."""


def checked(rt: Runtime, given: SourceInput) -> SourceSettings:
    """The form's values as a source, or SourceInputError naming the field to fix."""
    name, url = given.name.strip(), given.url.strip()
    if not name or any(ord(c) < 0x20 for c in name):
        raise SourceInputError("name: give the source a name (one line)", hint="e.g. Daily Star")
    if len(url) > URL_MAX or not url.lower().startswith(("http://", "https://")):
        raise SourceInputError(
            "url: expected the http(s) address of a feed or of a page announcing one",
            hint="e.g. https://www.example.org/feed.xml (local files only in config.yaml)",
        )
    tags = [t.strip() for t in given.tags.split(",") if t.strip()]
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX for t in tags):
        raise SourceInputError(
            f"tags: at most {TAGS_MAX}, each under {TAG_MAX} characters",
            hint="separate tags with commas",
        )
    try:
        source = SourceSettings(
            name=name,
            url=url,
            region=given.region.strip(),
            tags=tags,
            selector=given.selector.strip() or None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "source"
        raise SourceInputError(
            f"{where}: {first['msg']}", hint="correct the field and save again"
        ) from None
    try:
        asyncio.run(Fetcher(rt.settings.collect).check_url(url))
    except FetchError as exc:
        raise SourceInputError(f"url: {exc.message}", hint=exc.hint) from None
    return source


def add_source(rt: Runtime, given: SourceInput) -> int:
    """A new source from the form (raises SourceInputError); its id."""
    with rt.sessions() as session:
        _name_is_free(session, given.name.strip())
    source = checked(rt, given)
    assert source.url is not None
    with db.transaction(rt.sessions) as session:
        _name_is_free(session, source.name)  # again: another admin may have been quicker
        row = Source(
            name=source.name,
            url=source.url,
            configured_url=source.url,
            region=source.region,
            tags=list(source.tags),
            selector=source.selector,
            origin=SourceOrigin.WEB,
        )
        session.add(row)
        session.flush()
        return row.id


def edit_source(rt: Runtime, source_id: int, given: SourceInput) -> None:
    """New values for a source (its name stays: lists and articles name it). A file source
    (config.yaml's) keeps its file; a new url starts afresh, as a new one in config.yaml does."""
    with rt.sessions() as session:
        row = _row(session.get(Source, source_id), source_id)
        name, is_file = row.name, row.url.startswith("file:")
    # Checked with no session open: the SSRF guard resolves the host.
    given = SourceInput(name, given.url, given.region, given.tags, given.selector)
    source = _checked_file(name, given) if is_file else checked(rt, given)
    with db.transaction(rt.sessions) as session:
        row = _row(session.get(Source, source_id), source_id)
        if source.url is not None and source.url != (row.configured_url or row.url):
            row.url, row.configured_url = source.url, source.url
            row.etag = row.last_modified = None
            row.active, row.retry_after_at = True, None
        row.region, row.tags, row.selector = source.region, list(source.tags), source.selector
        row.origin = SourceOrigin.WEB


def set_enabled(rt: Runtime, source_id: int, enabled: bool) -> str:
    """Enable or disable a source (collection skips a disabled one); its name."""
    with db.transaction(rt.sessions) as session:
        row = _row(session.get(Source, source_id), source_id)
        row.enabled, row.origin = enabled, SourceOrigin.WEB
        return row.name


def source_name(rt: Runtime, source_id: int) -> str:
    with rt.sessions() as session:
        return _row(session.get(Source, source_id), source_id).name


def _checked_file(name: str, given: SourceInput) -> SourceSettings:
    tags = [t.strip() for t in given.tags.split(",") if t.strip()]
    try:
        return SourceSettings(
            name=name,
            url="https://file.invalid/",  # only to check the other fields
            region=given.region.strip(),
            tags=tags,
            selector=given.selector.strip() or None,
        ).model_copy(update={"url": None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "source"
        raise SourceInputError(f"{where}: {first['msg']}", hint="correct the field") from None


def _name_is_free(session: Session, name: str) -> None:
    if session.scalar(select(Source.id).where(Source.name == name)) is not None:
        raise SourceInputError(
            f"name: a source named {name!r} exists already",
            hint="choose another name, or edit that source",
        )


def _row(row: Source | None, source_id: int) -> Source:
    if row is None:
        raise NotFoundError(f"no source {source_id}", hint="see the Sources page")
    return row
