"""A real OpenAI-compatible chat-completions endpoint on 127.0.0.1 that answers as told:
well, slowly, with an HTTP error, with a malformed body, or with a bad summary."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None  # the summary, wrapped in a chat-completions answer
    status: int = 200
    raw: bytes | None = None  # the body as it is, instead of an answer around content
    delay: float = 0.0  # seconds before the status line
    body_delay: float = 0.0  # seconds between the headers and the body


def chat_completion(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
    ).encode()


@dataclass
class FakeChatEndpoint:
    """answer(request JSON) -> Reply; every request is kept, with its headers."""

    answer: Callable[[dict[str, Any]], Reply]
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    def __post_init__(self) -> None:
        endpoint = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with lock:
                    endpoint.requests.append((dict(self.headers), body))
                    endpoint.in_flight += 1
                    endpoint.most_in_flight = max(endpoint.most_in_flight, endpoint.in_flight)
                answered = False
                try:
                    if self.path != "/v1/chat/completions":
                        reply = Reply(status=404, raw=b'{"error": "not found"}')
                    else:
                        reply = endpoint.answer(body)
                    time.sleep(reply.delay)
                    payload = (
                        reply.raw if reply.raw is not None else chat_completion(reply.content or "")
                    )
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.flush()
                    time.sleep(reply.body_delay)
                    # No longer in flight once its last bytes go: the client may send its next
                    # request the moment it reads them, before this thread would get back here.
                    with lock:
                        endpoint.in_flight -= 1
                        answered = True
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: that is what a timeout test wants
                finally:
                    if not answered:
                        with lock:
                            endpoint.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a stalled answer must not hold the test up
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeChatEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
