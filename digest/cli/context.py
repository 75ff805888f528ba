"""What every command is given: the configuration file, -v, the time, and the --list option."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from digest.errors import DigestError

if TYPE_CHECKING:
    from digest.config import Settings


class Invocation:
    """The root options of this run of `digest`, and the settings its --config names."""

    def __init__(self, config: Path, verbose: bool, now: datetime | None) -> None:
        self.config = config
        self.verbose = verbose
        self._now = now
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from digest.config import load_settings  # pydantic: only for commands that read it

            self._settings = load_settings(self.config)
        return self._settings

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def list_slug(self, given: str | None) -> str:
        if given:
            self.settings.mailing_list(given)  # fails with the known slugs if wrong
            return given
        if not self.settings.lists:
            raise DigestError(
                f"{self.config}: lists: no mailing list is configured",
                hint="add one under lists: in config.yaml",
            )
        return self.settings.lists[0].slug


def parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected an ISO date such as 2026-11-16") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_option() -> Any:
    return click.option(
        "--list", "list_slug", help="Mailing list slug (default: the first in config.yaml)."
    )
