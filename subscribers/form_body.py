"""Form bodies read within a size limit: a reader's page never buffers more than it allows."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from subscribers.reader_words import Words
from subscribers.refusals import Refusal

URLENCODED = "application/x-www-form-urlencoded"


async def limited_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is longer than limit (declared or streamed)."""
    too_long = Words("Refused: a form of at most %(limit)s bytes is accepted here.", limit=limit)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refusal(413, too_long)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refusal(413, too_long)
    return bytes(body)


async def limited_form(request: Request, limit: int) -> FormData:
    """A urlencoded form (what our pages post) within the limit; anything else is refused."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != URLENCODED:
        raise Refusal(415, Words("Refused: send the form as the page does (urlencoded)."))
    body = await limited_body(request, limit)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, Words("Refused: the form could not be read.")) from None
    items: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(items)
