"""A request refused with words a reader reads: an HTTP error said in the page's language."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException

from subscribers.reader_words import Words


class Refusal(HTTPException):
    """Starlette's HTTPException with its detail as catalogue words: the app's error page says
    them in the language given (a list's), else in the one every list shares (detail keeps the
    English, for logs and clients that read it)."""

    def __init__(
        self,
        status_code: int,
        words: Words,
        headers: Mapping[str, str] | None = None,
        *,
        language: str | None = None,
    ) -> None:
        super().__init__(status_code, str(words), headers=headers)
        self.words = words
        self.language = language
