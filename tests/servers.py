"""Real local servers for the tests: an HTTP server for feeds and pages, an SMTP server (aiosmtpd).

Both listen on 127.0.0.1 only and can be told to misbehave (HTTP 500, slow answers; SMTP 4xx,
5xx, dropped connections, stalls: see Fault).
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    # Sent instead of body, piece by piece, chunk_delay apart, without a Content-Length (an
    # endless or slowly dripping body).
    chunks: Callable[[], Iterator[bytes]] | None = None
    chunk_delay: float = 0.0
    # Answer 304 to a request that sends this ETag back in If-None-Match.
    etag: str | None = None


class _BusyHTTPServer(ThreadingHTTPServer):
    # The default listen backlog (5) drops connections past it, and the client's retry waits a
    # second: many feeds fetched at once need a longer queue.
    request_queue_size = 1024


class FixtureHTTPServer:
    """Serves registered routes, then files under root; records every request path."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        # Requests being answered now, and the most at any one time.
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                with server._lock:
                    server.active += 1
                    server.most_active = max(server.most_active, server.active)
                self._counted = True
                try:
                    self._answer()
                finally:
                    self._done()

            def _done(self) -> None:
                # Before the answer goes out: a client waiting for it cannot have sent its next
                # request yet, so `active` never counts one request of a client twice.
                if self._counted:
                    self._counted = False
                    with server._lock:
                        server.active -= 1

            def _answer(self) -> None:
                route = server.routes.get(self.path) or server._file_route(self.path)
                if route is None:
                    route = Route(b"not found", status=404, content_type="text/plain")
                if route.delay:
                    time.sleep(route.delay)
                self._done()
                if route.etag is not None and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.chunks is not None:
                    self._stream(route)
                    return
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

            def _stream(self, route: Route) -> None:
                self.close_connection = True  # no Content-Length: the body ends at the close
                assert route.chunks is not None
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    for chunk in route.chunks():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if route.chunk_delay:
                            time.sleep(route.chunk_delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what these routes test

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = _BusyHTTPServer(("127.0.0.1", 0), Handler)
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


# The replies a fault injects for a code, unless it names its own.
REPLIES = {
    421: "421 4.7.0 Too many messages from you, slow down",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 No such user here",
    552: "552 5.2.2 Mailbox full",
    554: "554 5.7.1 Message rejected as spam",
}


@dataclass(frozen=True)
class Fault:
    """What the server does to one transaction instead of accepting it.

    At `stage` ("rcpt": the reply to RCPT TO; "data": the final reply after the message data)
    it answers `reply`, or closes the connection without a reply (`drop`), or sleeps `stall`
    seconds before its final reply to the data and then accepts. After a 421 it closes the
    connection, as servers do. A client that gives up
    during a stall closes the connection, which cancels the server's handler: the message is
    then not kept, unless `keep` (the server committed it before it stalled, so the client
    never learns that it was accepted).
    """

    stage: Literal["rcpt", "data"] = "data"
    reply: str | None = None
    drop: bool = False
    stall: float = 0.0
    keep: bool = False

    @classmethod
    def code(cls, code: int, stage: Literal["rcpt", "data"] = "data", text: str = "") -> Fault:
        """Answer this code, e.g. Fault.code(550, "rcpt") or Fault.code(550, text="5.7.1 …")."""
        return cls(stage, f"{code} {text}" if text else REPLIES[code])

    @classmethod
    def dropped(cls, stage: Literal["rcpt", "data"]) -> Fault:
        return cls(stage, drop=True)

    @classmethod
    def stalled(
        cls, seconds: float, keep: bool = False, stage: Literal["rcpt", "data"] = "data"
    ) -> Fault:
        """At "rcpt": the reply to RCPT TO late by `seconds`, then the recipient taken."""
        return cls(stage, stall=seconds, keep=keep)

    def describe(self) -> str:
        if self.drop:
            return f"dropped at {self.stage}"
        if self.stall:
            return f"stalled {self.stall}s" + (" (kept)" if self.keep else "")
        return str(self.reply)


@dataclass(frozen=True)
class Received:
    """A message the server accepted (replied 250 to, or kept before a stall)."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    at: float  # time.monotonic() when it was accepted
    started: float  # time.monotonic() when its transaction began (MAIL FROM)
    smtputf8: bool = False  # MAIL FROM carried SMTPUTF8 (RFC 6531)


@dataclass(frozen=True)
class Event:
    """The end of one transaction: for whom, from which envelope sender, and what happened
    ("250 …", the fault's reply, "dropped at rcpt", "stalled 1.0s", …)."""

    recipient: str
    mail_from: str
    outcome: str
    at: float


@dataclass
class _RandomFaults:
    seed: int | str
    probability: float
    faults: Sequence[Fault]
    max_per_recipient: int | None
    given: Counter[str] = field(default_factory=Counter)

    def pick(self, recipient: str, attempt: int) -> Fault | None:
        if self.max_per_recipient is not None and self.given[recipient] >= self.max_per_recipient:
            return None
        # Seeded by recipient and attempt, not by arrival order, which a pool of connections
        # shuffles: the same seed injects the same faults on every run.
        rng = random.Random(f"{self.seed}/{recipient}/{attempt}")
        if rng.random() >= self.probability:
            return None
        self.given[recipient] += 1
        return rng.choice(list(self.faults))


class OffersPipelining:
    """An aiosmtpd handler's EHLO reply offering PIPELINING (RFC 2920) when self.pipelining."""

    pipelining: bool

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses


class RecordingHandler(OffersPipelining):
    """Keeps every accepted message; answers from a script of replies, then 250.

    Also a fault injector: `faults` (per recipient, one Fault per transaction, in order) and
    `inject_at_random` choose 4xx/5xx replies at RCPT or DATA, dropped connections and stalls.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        # Each entry answers one DATA: "250", "451 ...", "550 ...", or "drop".
        self.script: list[str] = []
        # The same, per recipient: consulted first (with a pool, arrival order varies).
        self.by_recipient: dict[str, list[str]] = {}
        # Faults per recipient, one per transaction (consulted after by_recipient and script).
        self.faults: dict[str, list[Fault]] = {}
        self.received: list[Received] = []
        self.events: list[Event] = []
        # Transactions (RCPT TO) seen per recipient.
        self.attempts: Counter[str] = Counter()
        # Each entry answers one MAIL FROM instead of accepting it (a sender refused).
        self.mail_replies: list[str] = []
        # Then, when set, answers each MAIL FROM by its address ("" for the null reverse-path):
        # a reply refusing it, "" to close the connection without a word, or None to accept it.
        self.mail_reply_for: Callable[[str], str | None] | None = None
        # A server with a limit of errors per connection (Postfix's smtpd_hard_error_limit, an
        # Exim ACL "drop"): once this many MAIL FROMs are refused on one connection, it is
        # closed, as `close_at_limit` says: None, right after that refusal's reply; "", at the
        # client's next command, without a word; a reply ("421 4.7.0 Error: too many
        # errors"), that reply to the next command, then closed.
        self.refusals_before_close: int | None = None
        # Seconds the server waits before it answers a MAIL FROM (a slow check of the sender:
        # DNS, a callout); a client giving up first closes the connection.
        self.mail_stall = 0.0
        # Recipients whose check is slow (a DNS look-up of their domain): a pipelined group
        # naming one gets no reply at all for `slow_recipient_stall` seconds, the MAIL FROM
        # reply held back while the RCPT TO is looked at, as servers that do not flush replies
        # while pipelined input is pending.
        self.slow_recipients: set[str] = set()
        # A MAIL FROM carrying this parameter (e.g. "SMTPUTF8") is met with a close without
        # a word: a server broken for one kind of transaction, a reader's UTF-8 address.
        self.mail_closes_with: str | None = None
        self.slow_recipient_stall = 1.0
        self.close_at_limit: str | None = None
        # Each entry answers one RSET instead of 250 (a 421 closes the connection; "" closes it
        # without a word).
        self.rset_replies: list[str] = []
        # Each entry answers one connection's greeting instead of 220, and the connection is
        # closed ("421 4.7.0 Too many connections"; "": closed without a word; None: greeted
        # as usual); then, while set, `busy` answers every one.
        self.greeting_replies: list[str | None] = []
        self.busy: str | None = None
        self.greetings_refused = 0
        # When each greeting was refused (time.monotonic()), and how long the server waits
        # before refusing one (a busy server slow to answer).
        self.greetings_refused_at: list[float] = []
        self.greeting_refusal_delay = 0.0
        # Close each connection, without a word, right after this many messages were accepted
        # on it (a server or proxy with a limit of messages per connection).
        self.messages_per_connection: int | None = None
        # Per recipient: a reply the server sends after its own to that message's data, as
        # if it had answered a command twice (a server out of step with the client).
        self.extra_replies: dict[str, str] = {}
        # The same after its reply to RCPT TO.
        self.extra_rcpt_replies: dict[str, str] = {}
        # False keeps b"" instead of each message's bytes (big sends: counts, not contents).
        self.keep_content = True
        self._random: _RandomFaults | None = None
        self._planned: dict[int, Fault | None] = {}  # per session: the fault for its DATA
        self._started: dict[int, float] = {}  # per session: when its transaction began
        # Offer PIPELINING (RFC 2920) in the EHLO reply; aiosmtpd reads pipelined commands in
        # order either way, but offers it only so.
        self.pipelining = False
        # Per MAIL FROM: whether the client's next commands had already arrived with it.
        self.pipelined: list[bool] = []
        # Called with (the recipient of the message accepted before on the same connection,
        # or None; this one's) once a message's data has arrived, before it is accepted.
        self.on_data: Callable[[str | None, str], None] | None = None
        self._last_on_session: dict[int, str] = {}
        # Per message data: whether the client's next commands had arrived with its final dot
        # (a transaction pipelined behind the previous one's end, RFC 2920).
        self.followed: list[bool] = []

    def inject_at_random(
        self,
        seed: int | str,
        probability: float,
        faults: Sequence[Fault],
        max_per_recipient: int | None = None,
    ) -> None:
        """Each transaction without a chosen fault gets one of `faults` with this probability
        (at most max_per_recipient per recipient), decided by seed, recipient and attempt."""
        self._random = _RandomFaults(seed, probability, faults, max_per_recipient)

    def count(self, recipient: str) -> int:
        """How many messages to this recipient the server has accepted."""
        return sum(recipient in r.rcpt_tos for r in self.received)

    def counts(self) -> Counter[str]:
        return Counter(rcpt for r in self.received for rcpt in r.rcpt_tos)

    def outcomes(self, recipient: str) -> list[str]:
        """What each transaction for this recipient ended with, in order."""
        return [e.outcome for e in self.events if e.recipient == recipient]

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        self.pipelined.append(bool(server._reader._buffer))
        if self.mail_stall:
            await asyncio.sleep(self.mail_stall)
        if self.mail_closes_with is not None and self.mail_closes_with in mail_options:
            server.transport.close()
            return "421 4.4.2 connection dropped"  # never reaches the client
        pending = bytes(server._reader._buffer)
        if any(f"RCPT TO:<{r}>".encode() in pending for r in self.slow_recipients):
            await asyncio.sleep(self.slow_recipient_stall)
        closing = self._at_error_limit(server, session)
        if closing is not None:
            return closing
        if self.mail_replies:
            return self._refused_mail(server, session, self.mail_replies.pop(0), closes=False)
        refusal = self.mail_reply_for(address) if self.mail_reply_for is not None else None
        if refusal == "":
            server.transport.close()
            return "421 4.4.2 connection dropped"  # never reaches the client
        if refusal is not None:
            return self._refused_mail(server, session, refusal)
        self._started[id(session)] = time.monotonic()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    def _refused_mail(self, server: Any, session: Any, reply: str, closes: bool = True) -> str:
        """A MAIL FROM refused with `reply`, counted against the connection's error limit; a
        421 closes the connection when `closes`."""
        session.mail_refusals = getattr(session, "mail_refusals", 0) + 1
        limit = self.refusals_before_close
        if limit is not None and session.mail_refusals >= limit and self.close_at_limit is None:
            session.closing_after_421 = True  # what the client pipelined behind is not served
            asyncio.get_running_loop().call_soon(server.transport.close)
        return self._closing_on_421(server, session, reply) if closes else reply

    def _at_error_limit(self, server: Any, session: Any) -> str | None:
        """The answer to a command once the connection's error limit is reached (see
        refusals_before_close): the connection closed; None below the limit."""
        limit = self.refusals_before_close
        if limit is None or getattr(session, "mail_refusals", 0) < limit:
            return None
        if not self.close_at_limit:
            session.closing_after_421 = True
            server.transport.close()
            return "421 4.4.2 connection dropped"  # never reaches the client
        return self._closing_on_421(server, session, self.close_at_limit)

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        closing = self._at_error_limit(server, session)
        if closing is not None:
            return closing
        if self.rset_replies:
            reply = self.rset_replies.pop(0)
            if not reply:
                server.transport.close()
                return "421 4.4.2 connection dropped"  # never reaches the client
            return self._closing_on_421(server, session, reply)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if getattr(session, "closing_after_421", False):
            return "421 4.3.2 closing"  # never reaches the client: the connection is closing
        closing = self._at_error_limit(server, session)
        if closing is not None:
            return closing
        self.attempts[address] += 1
        chosen = self.faults.get(address)
        fault = chosen.pop(0) if chosen else None
        if fault is None and self._random is not None:
            fault = self._random.pick(address, self.attempts[address])
        if fault is not None and fault.stage == "rcpt" and fault.stall:
            self._planned[id(session)] = None
            try:
                await asyncio.sleep(fault.stall)
            except asyncio.CancelledError:
                self._note(address, envelope.mail_from, f"{fault.describe()} at rcpt, gave up")
                raise
            fault = None
        if fault is not None and fault.stage == "rcpt":
            self._planned[id(session)] = None
            self._note(address, envelope.mail_from, fault.describe())
            if fault.drop:
                server.transport.close()
                return "421 4.4.2 connection dropped"  # never reaches the client
            return self._closing_on_421(server, session, str(fault.reply))
        self._planned[id(session)] = fault
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        extra = self.extra_rcpt_replies.get(address)
        return "250 2.1.5 Ok" if extra is None else f"250 2.1.5 Ok\r\n{extra}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await self._answer_data(server, session, envelope)
        limit = self.messages_per_connection
        if limit is not None and getattr(session, "accepted", 0) >= limit:
            # The reply written, then the connection closed at once: the replies to what the
            # client pipelined behind (read already) are never written.
            session.closing_after_421 = True
            server.transport.write(f"{reply}\r\n".encode())
            server.transport.close()
        return reply

    async def _answer_data(self, server: Any, session: Any, envelope: Any) -> str:
        self.followed.append(bool(server._reader._buffer))
        if self.on_data is not None:
            self.on_data(self._last_on_session.get(id(session)), envelope.rcpt_tos[0])
        planned = self.by_recipient.get(envelope.rcpt_tos[0], [])
        reply = planned.pop(0) if planned else self.script.pop(0) if self.script else None
        if reply is None:
            return await self._fault_at_data(server, session, envelope)
        if reply == "drop":
            self._note(envelope.rcpt_tos[0], envelope.mail_from, "dropped at data")
            server.transport.close()  # the connection drops before the reply
            return "421 4.4.2 connection dropped"
        if reply.startswith("250"):
            return self._accept(session, envelope)
        self._note(envelope.rcpt_tos[0], envelope.mail_from, reply)
        return self._closing_on_421(server, session, reply)

    async def _fault_at_data(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self._planned.pop(id(session), None)
        if fault is None:
            return self._accept(session, envelope)
        recipient, mail_from = envelope.rcpt_tos[0], envelope.mail_from
        if fault.drop:
            self._note(recipient, mail_from, fault.describe())
            server.transport.close()  # after reading the data, before the reply
            return "421 4.4.2 connection dropped"
        if fault.stall:
            if fault.keep:
                self._accept(session, envelope, note=False)
            try:
                await asyncio.sleep(fault.stall)
            except asyncio.CancelledError:
                # The client stopped waiting and closed the connection: aiosmtpd cancels us.
                self._note(recipient, mail_from, f"{fault.describe()}, client gave up")
                raise
            if fault.keep:
                self._note(recipient, mail_from, f"{fault.describe()}, then 250")
                return "250 2.0.0 Message accepted for delivery"
            return self._accept(session, envelope)
        self._note(recipient, mail_from, str(fault.reply))
        return self._closing_on_421(server, session, str(fault.reply))

    def _closing_on_421(self, server: Any, session: Any, reply: str) -> str:
        """The reply; after a 421 the connection is closed, as servers do (RFC 5321 4.2.3: "the
        service is not available, closing transmission channel"), once the reply is written,
        and commands already pipelined behind it are not served."""
        if reply.startswith("421"):
            session.closing_after_421 = True  # on the session: an id() may be reused
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply

    def _accept(self, session: Any, envelope: Any, note: bool = True) -> str:
        content = envelope.content if self.keep_content else b""
        rcpt_tos = list(envelope.rcpt_tos)
        now = time.monotonic()
        started = self._started.get(id(session), now)
        self.messages.append((envelope.mail_from, rcpt_tos, content))
        self._last_on_session[id(session)] = rcpt_tos[0]
        self.received.append(
            Received(envelope.mail_from, rcpt_tos, content, now, started, envelope.smtp_utf8)
        )
        reply = "250 2.0.0 Message accepted for delivery"
        for recipient in rcpt_tos if note else ():
            self._note(recipient, envelope.mail_from, reply)
        session.accepted = getattr(session, "accepted", 0) + 1
        extra = self.extra_replies.get(rcpt_tos[0])
        return reply if extra is None else f"{reply}\r\n{extra}"

    def _note(self, recipient: str, mail_from: str, outcome: str) -> None:
        self.events.append(Event(recipient, mail_from, outcome, time.monotonic()))

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _f, _t, raw in self.messages]  # type: ignore[misc]


class _GreetingSMTP(SMTP):
    """aiosmtpd's server, whose greeting the handler may refuse (RecordingHandler.busy)."""

    async def _handle_client(self) -> None:
        handler = self.event_handler
        refusal = None
        if isinstance(handler, RecordingHandler):
            replies = handler.greeting_replies
            refusal = replies.pop(0) if replies else handler.busy
        if refusal is None:
            await super()._handle_client()
            return
        if handler.greeting_refusal_delay:
            await asyncio.sleep(handler.greeting_refusal_delay)
        handler.greetings_refused += 1
        handler.greetings_refused_at.append(time.monotonic())
        if refusal:
            await self.push(refusal)
        assert self.transport is not None
        self.transport.close()


class _CountingController(Controller):
    """aiosmtpd's controller, counting the connections it is asked to serve."""

    connections = 0

    def factory(self) -> Any:
        self.connections += 1
        return _GreetingSMTP(self.handler, **self.SMTP_kwargs)


class FixtureSMTPServer:
    def __init__(
        self,
        smtputf8: bool = False,
        authenticator: Any = None,
        ssl_context: ssl.SSLContext | None = None,
        pipelining: bool = False,
    ) -> None:
        """smtputf8: offer SMTPUTF8 in the EHLO reply and take UTF-8 addresses (RFC 6531);
        without it, like many servers, it offers neither and refuses a UTF-8 command.
        authenticator: offer AUTH (over plain text too) and ask it (aiosmtpd's callable).
        ssl_context: speak implicit TLS with it (as on port 465).
        pipelining: offer PIPELINING (RFC 2920)."""
        self.handler = RecordingHandler()
        self.handler.pipelining = pipelining
        self.port = _free_port()
        auth = {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
        self._controller = _CountingController(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            enable_SMTPUTF8=smtputf8,
            ssl_context=ssl_context,
            **auth,
        )

    @property
    def connections(self) -> int:
        """Connections opened so far (aiosmtpd's own check at start among them)."""
        return self._controller.connections

    def start(self) -> FixtureSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
