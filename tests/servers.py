"""Real local servers for the tests: an HTTP server for feeds and pages, an SMTP server (aiosmtpd).

Both listen on 127.0.0.1 only and can be told to misbehave (HTTP 500, slow answers; SMTP 4xx,
5xx, dropped connections).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FixtureHTTPServer:
    """Serves registered routes, then files under root; records every request path."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path) or server._file_route(self.path)
                if route is None:
                    route = Route(b"not found", status=404, content_type="text/plain")
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to do

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _file_route(self, path: str) -> Route | None:
        if self.root is None:
            return None
        target = (self.root / path.split("?")[0].lstrip("/")).resolve()
        if not target.is_file() or self.root.resolve() not in target.parents:
            return None
        kind = "text/html; charset=utf-8" if target.suffix == ".html" else "application/xml"
        return Route(target.read_bytes(), content_type=kind)

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FixtureHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class RecordingHandler:
    """Keeps every accepted message; answers from a script of replies, then 250."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        # Each entry answers one DATA: "250", "451 ...", "550 ...", or "drop".
        self.script: list[str] = []
        # The same, per recipient: consulted first (with a pool, arrival order varies).
        self.by_recipient: dict[str, list[str]] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        planned = self.by_recipient.get(envelope.rcpt_tos[0], [])
        reply = planned.pop(0) if planned else self.script.pop(0) if self.script else "250"
        if reply == "drop":
            server.transport.close()  # the connection drops before the reply
            return "421 4.4.2 connection dropped"
        if reply.startswith("250"):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 2.0.0 Message accepted for delivery"
        return reply

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _f, _t, raw in self.messages]  # type: ignore[misc]


class FixtureSMTPServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = _free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> FixtureSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
