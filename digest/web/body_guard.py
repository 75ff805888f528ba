"""Every request body within a size and a time: 413 or 408 before any handler has buffered it."""

from __future__ import annotations

import json
from collections.abc import Mapping

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_GONE: Message = {"type": "http.disconnect"}


class BodyGuard:
    """Refuses a body over `max_bytes` (or the larger limit of a path prefix, such as the API's)
    by its Content-Length before the app runs, or, sent in chunks, as soon as the chunks add up
    to more; and a body not received whole within `timeout` seconds of the app asking for it.

    The refusal is sent at once, with Connection: close so the rest is never read; the app then
    sees a client that has gone, and whatever it answers is dropped."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        timeout: float,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.larger = dict(larger or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.larger.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, headers, 413, _too_large(limit))
            return
        received = 0
        deadline: float | None = None
        whole = False  # the body has been received to its end
        refused = False
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, deadline, whole, refused
            if refused:
                return _GONE
            if whole:
                return await receive()  # the app waiting for a disconnect: no deadline
            if deadline is None:
                deadline = anyio.current_time() + self.timeout
            message: Message | None = None
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
            if message is None:
                refused = True
                if not started:
                    await _refuse(send, headers, 408, _too_slow(self.timeout))
                return _GONE
            if message["type"] != "http.request":
                whole = True
                return message
            received += len(message.get("body", b""))
            if received > limit:
                refused = True
                if not started:
                    await _refuse(send, headers, 413, _too_large(limit))
                return _GONE
            whole = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the client "gone" it was told of; the client has its answer.


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def _too_slow(seconds: float) -> str:
    return f"the request body did not arrive within {seconds:g} seconds"


async def _refuse(send: Send, headers: Mapping[bytes, bytes], status: int, reason: str) -> None:
    """The refusal in the kind of the body refused: JSON for JSON (the API's errors), else text."""
    if headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json":
        body, kind = json.dumps({"error": reason}).encode(), b"application/json"
    else:
        body, kind = f"Refused: {reason}.".encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
