"""Security headers on every response: a strict Content-Security-Policy unless a route sets one."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our own pages: no script at all, styles and images from this site, frames only of this site
# (the editor's email previews), forms posting only here, never framed by anyone.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# An email as HTML (the editor's preview of it): no script can run, nothing can be posted, and
# the page is sandboxed (an opaque origin: it cannot read this site's cookies or pages).
# Emails bring their own inline styles and remote images.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; font-src https:; "
    "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"
)
# The web version of a sent issue, opened by anyone: the same, but its links may open tabs.
WEB_VERSION_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; font-src https:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)

# Pages that show unsent work or hold a session: never kept in a shared or back-button cache.
_PRIVATE_PREFIXES = ("/editor", "/login", "/logout")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(_PRIVATE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", PAGE_POLICY)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if private:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
