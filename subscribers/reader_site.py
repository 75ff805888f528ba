"""What the reader's pages need from the application, which passes it in when it mounts them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.config import Settings
from subscribers.reader_words import Words
from subscribers.signup import ConfirmationDue
from subscribers.tokens import TokenSigner


class ReaderSite(Protocol):
    """The application side of the reader's pages (digest.web implements it): the database,
    the clock, the page templates, CSRF, the confirmation mail and the data only it holds."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def signer(self) -> TokenSigner: ...

    @property
    def rate_limit_prefix(self) -> str:
        """The install's own namespace in a shared rate-limit storage: every process of one
        install counts under it, another install on the same server does not."""
        ...

    def now(self) -> datetime: ...

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """A page from templates/web (with the CSRF token as csrf_token())."""
        ...

    def say(self, words: Words, language: str) -> str:
        """The words in a language, as the pages say them (its catalogue, values filled in)."""
        ...

    def check_csrf(self, request: Request, form: FormData, *, embeddable: bool = False) -> None:
        """Raise HTTPException(403) unless the form carries this session's CSRF token. An
        embeddable form (the sign-up) posted by a page of a site in readers.embed_origins needs
        none; one posted by any other site is refused, naming it."""
        ...

    def check_same_site(self, request: Request) -> None:
        """Raise HTTPException(403) when the browser says another site's page sent this (for a
        form whose own signed token stands in for the CSRF token)."""
        ...

    async def send_confirmation(self, due: ConfirmationDue, now: datetime) -> None:
        """Send the confirmation mail (the caller has committed the pending subscriptions)."""
        ...

    async def send_welcome(
        self, subscriber_id: int, list_ids: tuple[int, ...], now: datetime
    ) -> None:
        """Send the welcome mail of each list the reader has just confirmed (those whose
        settings ask for one); never raises (the reader's page has gone already)."""
        ...

    def other_data(self, session: Session, subscriber_id: int) -> Mapping[str, Any]:
        """What the application holds about the reader beyond subscribers/ (its deliveries),
        added to their data export."""
        ...
