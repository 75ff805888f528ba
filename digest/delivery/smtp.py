"""A pooled SMTP transport (aiosmtplib): persistent connections, each reused for a number of
messages, reset after a refused transaction and reopened after any other error.

Addresses go with their domains as IDNA A-labels; one whose local part is UTF-8 goes only with
SMTPUTF8 (RFC 6531), and fails alone when the server does not offer it.

With PIPELINING, a lane's next transaction (MAIL FROM, RCPT TO, DATA) goes behind the final dot
of its message, when the caller names it (RFC 2920 allows the message data first in a group,
DATA last): one round trip a message instead of two. The server then waits for that message's
data, so a lane that does not send it drops the session, which no server takes as a message.

Replies map to outcomes: 2xx -> sent; 4xx, a dropped connection, or a timeout before the
message data was handed over -> deferred; 5xx -> failed; a timeout or a dropped connection
while waiting for the reply to the data -> uncertain (RFC 5321 4.5.3.2.6: the server may have
accepted it, so retrying could send it twice). A session kept from a previous message and
found closed before any reply to the next transaction (a server that closes after a number of
messages, its close not yet seen) named no reader: the message goes on a new session, nobody
counted. A new session's first transaction never answered is the server's state when its
MAIL FROM asked alone on another session is not answered either (with VERP, nor the sender's
twin); answered, the silence was the reader's, counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import replace

import aiosmtplib

from digest.delivery.addresses import UnencodableAddress, needs_smtputf8, wire_address
from digest.delivery.smtp_wire import BadAddress, Reply, ReplyReader, SessionLost, command_address
from digest.delivery.transport import (
    DotFreeMessage,
    NextEnvelope,
    Ready,
    SendResult,
    refuses_sender,
    starts_a_line_with_dot,
)
from digest.delivery.verp import is_verp_of, twin
from digest.errors import DeliveryError, ServerUnavailable
from digest.states import DeliveryStatus

# Replies that ask the client to slow down, for every connection to this server.
SLOW_DOWN_CODES = (421, 454)


class _ResetFailed(Exception):
    """The RSET before a transaction not answered 250 (nor 4xx), the connection dropped: the
    session's failure, not the reader's."""


class _Unanswered(SessionLost):
    """A new session lost, or timed out, before any reply to its first transaction: nothing
    was said yet of the sender nor of the reader (see _Connection._unanswered)."""


class _SessionGone(_ResetFailed):
    """A session kept from a previous message found closed before any reply to the next
    transaction (a server that closes after a number of messages, or when idle, its close
    not yet seen): nothing reached it, no reader was named to it."""


class _OutOfStep(_ResetFailed):
    """Replies to a transaction's commands out of step with them (a server that answered a
    command twice, or a stale reply left on the session): nothing known of the reader nor of
    the sender. Asked again on a new session, where no stale reply waits; out of step there
    too at MAIL FROM, the server's state; at RCPT TO or DATA, that reader's deferral, counted
    (a server that answers one reader's commands twice never stops every pass at them)."""

    def __init__(self, message: str, stage: int) -> None:
        super().__init__(message)
        self.stage = stage


class _Connection:
    def __init__(self, pool: SmtpPool) -> None:
        self.pool = pool
        self.wire: ReplyReader | None = None
        self.pipelining = False
        self.smtputf8 = False
        self.sent_on_connection = 0
        # A refused transaction is reset (RSET) with the next one's commands, so its refusal
        # (a 421's pause above all) reaches the sender a round trip sooner.
        self.needs_reset = False
        # The transaction written behind the previous message's final dot: the envelope as the
        # caller gave it, and as it went; its MAIL, RCPT and DATA replies not yet read.
        self.begun: tuple[NextEnvelope, NextEnvelope] | None = None
        # The last transaction's refusal was a 4xx to the RSET before it, not to MAIL FROM.
        self.reset_refused = False

    async def connect(self) -> ReplyReader:
        """Connect, greet and log in through aiosmtplib; the session's transactions are then
        this module's (see smtp_wire)."""
        pool = self.pool
        client = aiosmtplib.SMTP(
            hostname=pool.host,
            port=pool.port,
            timeout=pool.timeout,
            use_tls=pool.security == "tls",
            start_tls=pool.security == "starttls",
            tls_context=pool.tls_context,
        )
        try:
            await client.connect()
            if pool.username:
                await client.login(pool.username, pool.password or "")
            if client.is_ehlo_or_helo_needed:
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()  # no ESMTP: no PIPELINING, no SMTPUTF8
        except BaseException:
            client.close()  # a greeting that never came leaves the socket open otherwise
            raise
        if not isinstance(client.transport, asyncio.Transport):
            client.close()
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self.pipelining = pool.pipelining and client.supports_extension("pipelining")
        self.smtputf8 = client.supports_extension("smtputf8")
        self.wire, self.sent_on_connection = ReplyReader.take_over(client.transport), 0
        self.needs_reset = False
        self.begun = None
        return self.wire

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        ready: Ready | None,
        then: NextEnvelope | None = None,
    ) -> SendResult:
        try:
            try:
                return await self._send(sender, recipient, message, ready, then)
            except _ResetFailed:
                # The session could not be reset between two transactions (a server without
                # RSET, or one closing at it), or was found closed before its first reply
                # (_SessionGone), before any reader was named: a new session needs no reset,
                # and the message is asked for there, once, nobody counted.
                try:
                    return await self._send(sender, recipient, message, ready, then)
                except _OutOfStep as exc:
                    if exc.stage > 0:
                        return SendResult(DeliveryStatus.DEFERRED, f"before data: {exc}")
                    return SendResult(DeliveryStatus.DEFERRED, str(exc), server_unavailable=True)
                except _ResetFailed as exc:
                    return SendResult(DeliveryStatus.DEFERRED, str(exc), server_unavailable=True)
        except BaseException:
            # An error none of the cases below expects (or the wait for `ready` failed): the
            # session may be anywhere in its transaction, so it is never reused; a message
            # whose final dot was not written is abandoned with the connection.
            self.drop()
            raise

    async def _send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        ready: Ready | None,
        then: NextEnvelope | None,
    ) -> SendResult:
        begun, self.begun = self.begun, None
        if begun is not None and begun[0] == (sender, recipient):
            sender, recipient = begun[1]  # checked and encoded when it was begun
        else:
            if begun is not None:
                # The server waits for another message's data: only closing ends that.
                self.drop()
                begun = None
            try:
                sender, recipient = _on_the_wire(sender, recipient)
            except (UnencodableAddress, BadAddress) as exc:
                return SendResult(DeliveryStatus.FAILED, str(exc))
        utf8 = needs_smtputf8(sender, recipient)
        wire = self.wire
        reused = wire is not None
        if (
            begun is None
            and wire is not None
            and (
                not wire.is_open
                or not wire.in_step
                or self.sent_on_connection >= self.pool.messages_per_connection
            )
        ):
            await self.close()
            wire = None
        try:
            if wire is None:
                reused = False
                try:
                    wire = await self.connect()
                except aiosmtplib.SMTPResponseException:
                    raise  # the greeting or AUTH refused: see below
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    # No connection, so no reader named: the server's state (server_unavailable).
                    self.drop()
                    reason = f"cannot connect: {exc or type(exc).__name__}"
                    return SendResult(DeliveryStatus.DEFERRED, reason, server_unavailable=True)
            if utf8 and not self.smtputf8:
                # Not a reply of the server's: no transaction was begun, nothing to reset.
                return SendResult(
                    DeliveryStatus.FAILED,
                    f"the server does not offer SMTPUTF8, needed for {recipient}",
                )
            refused = await self._open_transaction(
                wire, sender, recipient, utf8, written=begun is not None, reused=reused
            )
            if refused is not None and refused[0] == 0:  # MAIL FROM (or the RSET before it)
                plain = await self._plain_sender_asked(wire, sender, refused[1])
                if (plain is None or plain.code == 421) and self._verp_refused(sender, refused):
                    # Closed with the refusal, or at the question (an Exim ACL "drop", an
                    # error limit): the twin asked on a new connection tells them apart.
                    return await self._own_sender_refused(
                        wire, sender, refused[1], plain_taken=False
                    )
                if plain is not None and plain.code in SLOW_DOWN_CODES:
                    refused = (0, plain)  # the server's "slow down": every connection's pause
                elif plain is not None and 200 <= plain.code < 300:
                    # A passing refusal, or one of this reader's own sender: asked once more.
                    refused = await self._open_transaction(wire, sender, recipient, utf8, False)
                    if refused is not None and refused[0] == 0 and not self.reset_refused:
                        return await self._own_sender_refused(wire, sender, refused[1])
        except aiosmtplib.SMTPResponseException as exc:
            # The greeting or AUTH refused: a refusal of the connection, never of the reader.
            self.drop()
            return self._refused(0, Reply(exc.code, exc.message))
        except _Unanswered as exc:
            return await self._unanswered(sender, exc)
        except (aiosmtplib.SMTPException, SessionLost, OSError, TimeoutError) as exc:
            self.drop()
            return SendResult(DeliveryStatus.DEFERRED, f"before data: {exc or type(exc).__name__}")
        if refused is not None:
            return self._refused(*refused)
        try:
            data = dot_stuffed(message)
            begin, next_commands = self._next_transaction(then)
            if ready is not None and not ready.done():
                # The previous message's result is recorded before this one can be accepted:
                # a crash repeats at most one message per connection.
                wire.write(data)
                await ready
                wire.write(b".\r\n" + next_commands)
            else:
                if ready is not None:
                    ready.result()  # raises if its recording failed
                wire.write(data + b".\r\n" + next_commands)
            self.begun = begin
        except (SessionLost, OSError) as exc:
            # The final dot never left: the server cannot have accepted the message.
            self.drop()
            return SendResult(DeliveryStatus.DEFERRED, f"during data: {exc or type(exc).__name__}")
        try:
            reply = await wire.read(self.pool.data_timeout)
        except SessionLost as exc:
            # A timeout, or the connection lost, after the final dot (RFC 5321 4.5.3.2.6): the
            # server may have accepted the message, so retrying could send it twice.
            self.drop()
            return SendResult(DeliveryStatus.UNCERTAIN, f"no reply to the message data: {exc}")
        if not (200 <= reply.code < 300 or 400 <= reply.code < 600):
            # A 354 or the like: the server answers another command (out of step), and its
            # reply to the data, taken or not, is yet to come: as no reply to the data.
            self.drop()
            return SendResult(
                DeliveryStatus.UNCERTAIN,
                f"out of step: {reply.code} {reply.text} to the message data",
            )
        if reply.code == 421:
            # The server is closing the channel (RFC 5321 4.2.3): so is this side, and with it
            # any transaction begun behind this one; the lane's next message opens a new one.
            self.drop()
        if not 200 <= reply.code < 300:
            # This transaction is over; one begun behind it has its replies still to come.
            # (Any 2yz is a positive completion, RFC 5321 4.2.1: 250 is the usual one.)
            result = self.pool.classify(reply.code, reply.text)
            return replace(result, began_next=True) if self.begun is not None else result
        self.sent_on_connection += 1
        return SendResult(
            DeliveryStatus.SENT, f"{reply.code} {reply.text}", began_next=self.begun is not None
        )

    def _next_transaction(
        self, then: NextEnvelope | None
    ) -> tuple[tuple[NextEnvelope, NextEnvelope] | None, bytes]:
        """The lane's next transaction to write behind this message's final dot, when the
        server pipelines, the session has room for it and its addresses can go; else none."""
        if (
            then is None
            or not self.pipelining
            or self.sent_on_connection + 1 >= self.pool.messages_per_connection
        ):
            return None, b""
        try:
            sender, recipient = _on_the_wire(*then)
        except (UnencodableAddress, BadAddress):
            return None, b""  # its send fails it alone, before any command
        utf8 = needs_smtputf8(sender, recipient)
        if utf8 and not self.smtputf8:
            return None, b""
        return (then, (sender, recipient)), b"".join(_commands(sender, recipient, utf8))

    async def _open_transaction(
        self,
        wire: ReplyReader,
        sender: str,
        recipient: str,
        utf8: bool,
        written: bool,
        reused: bool = False,
    ) -> tuple[int, Reply] | None:
        """MAIL FROM, RCPT TO and DATA, in one write when the server offers PIPELINING (RFC
        2920), else one after the other; already written behind the previous message's final
        dot when `written`. None once the server waits for the data; else the first refusal
        and its stage (0 MAIL, or a 4xx to the RSET before it, the connection dropped; 1 RCPT;
        2 DATA), the transaction reset. Any other failure of that RSET (no reply, a 5xx)
        drops the connection and raises _ResetFailed (see send); a session kept from a
        previous message (`reused`) lost before any reply raises _SessionGone."""
        commands = _commands(sender, recipient, utf8)
        timeout = self.pool.timeout
        self.reset_refused = False
        reset = b"RSET\r\n" if self.needs_reset else b""
        if written:
            pass  # no reset waits: a transaction is begun only behind a final dot
        elif self.pipelining:
            wire.write(reset + b"".join(commands))
        elif reset:
            wire.write(reset)
        if reset:
            try:
                reply = await wire.read(timeout)
            except SessionLost as exc:
                self.drop()
                raise _ResetFailed(f"no reply to the reset before a transaction: {exc}") from None
            if 400 <= reply.code < 500:
                # Before any reader is named (a 421 closing, a 4xx): the server's state, as a
                # 4xx to MAIL FROM, the commands written behind it dropped with the connection.
                self.drop()
                self.reset_refused = True
                return 0, reply
            if not 200 <= reply.code < 300:
                # A server without RSET: it failed at the reset, not at the reader.
                self.drop()
                raise _ResetFailed(
                    f"the reset before a transaction refused: {reply.code} {reply.text}"
                )
            self.needs_reset = False
        replies: list[Reply] = []
        try:
            for command in commands:
                if not self.pipelining:
                    wire.write(command)
                replies.append(await wire.read(timeout))
                if not self.pipelining and _refusal(replies):
                    break
        except SessionLost as exc:
            if not replies and not reused and not written and not reset:
                # A new session silent from the start: the reader's (a server may hold every
                # pipelined reply back while it checks the recipient) or the server's; see
                # _unanswered.
                self.drop()
                raise _Unanswered(str(exc)) from None
            if not replies and reused and not reset:
                self.drop()
                raise _SessionGone(
                    f"the session was closed before the transaction: {exc}"
                ) from None
            if not _refusal(replies):
                raise
            # A refusal, then the connection closed (a 421 does that): the refusal counts.
            self.drop()
        refusal = _refusal(replies)
        if refusal is None:
            return None
        taken_after = self.pipelining and any(
            200 <= r.code < 300 for r in replies[refusal[0] + 1 :]
        )
        if taken_after or not 400 <= refusal[1].code < 600:
            # Neither the reply wanted nor a refusal (a 2xx to DATA, a 354 to MAIL FROM), or a
            # command of the group taken after a refused one (a RCPT TO after MAIL FROM was
            # refused: servers answer 503): the server answers another command, one it answered
            # twice (out of step), and the refusal may be a stale one, so nothing here is known
            # of this reader or sender: as a connection lost before the data.
            self.drop()
            stage = ("MAIL FROM", "RCPT TO", "DATA")[refusal[0]]
            raise _OutOfStep(
                f"out of step: {refusal[1].code} {refusal[1].text} to {stage}", refusal[0]
            )
        if refusal[1].code == 421:
            self.drop()  # the server is closing the channel (RFC 5321 4.2.3)
        if self.wire is not None and replies[-1].code == 354:
            # A server that takes DATA after a refused recipient: end the (empty) data. Its
            # reply is not waited for in vain: the refusal stands, the session given up.
            try:
                await wire.command(b".\r\n", timeout)
            except SessionLost:
                self.drop()
        self.needs_reset = True
        return refusal

    async def _plain_sender_asked(
        self, wire: ReplyReader, sender: str, reply: Reply
    ) -> Reply | None:
        """After `reply` refused `sender` (as on the wire) at MAIL FROM: the server's reply, on
        the same connection, to the plain envelope sender (SmtpPool.plain_sender: the one
        without a reader's VERP token; without VERP, the same sender asked again); None when
        not asked, the connection lost or the reset before it refused (the refusal then says
        alone what it is). Never asked after a "slow down" (421/454: every connection's
        pause) or on a connection closed with the refusal; without VERP only after a 4xx not
        in the sender's words; with VERP after any other refusal, so that one of this
        reader's own sender is told from one of every reader's. A refusal drops the
        connection."""
        plain = self._plain_on_the_wire()
        if self.wire is None or plain is None or reply.code in SLOW_DOWN_CODES:
            return None
        if not is_verp_of(sender, plain) and (
            sender != plain or not self._refused(0, reply).server_unavailable
        ):
            # No VERP: the sender every reader shares, refused for good or in its words; or
            # a sender of another kind (a test mail's From address).
            return None
        return await self._ask_for(wire, plain)

    async def _ask_for(self, wire: ReplyReader, sender: str) -> Reply | None:
        """The server's reply to MAIL FROM:<sender> (on the wire) in a transaction begun at
        once after a reset, and left to be reset; None when the connection was lost or the
        reset refused (a server without RSET: nothing can be asked on it), but a "slow down"
        to the reset is the answer. A refusal (or a reset refused) gives the connection up."""
        try:
            reset = await wire.command(b"RSET\r\n", self.pool.timeout)
        except SessionLost:
            self.drop()
            return None
        if not 200 <= reset.code < 300:
            self.drop()
            return reset if reset.code in SLOW_DOWN_CODES else None
        return await self._mail_from_answered(wire, sender)

    async def _ask_on_a_new_session(self, sender: str) -> Reply | None:
        """The server's reply to MAIL FROM:<sender> (on the wire) as the first transaction of
        a new session, the connection there given up; as _ask_for, but a greeting refused is
        the answer (a 421 one, every connection's pause), and None when no connection could
        be made or it was lost."""
        self.drop()
        try:
            wire = await self.connect()
        except aiosmtplib.SMTPResponseException as exc:
            self.drop()
            return Reply(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            self.drop()
            return None
        return await self._mail_from_answered(wire, sender)

    async def _mail_from_answered(self, wire: ReplyReader, sender: str) -> Reply | None:
        """The reply to MAIL FROM:<sender> (on the wire) on a session with no transaction
        open; None when the connection was lost. Taken, the transaction is left to be reset;
        refused, the connection is given up."""
        try:
            answer = await wire.command(
                _mail_from(sender, needs_smtputf8(sender)), self.pool.timeout
            )
        except SessionLost:
            self.drop()
            return None
        if 200 <= answer.code < 300:
            self.needs_reset = True
        else:
            self.drop()
        return answer

    def _plain_on_the_wire(self) -> str | None:
        plain = self.pool.plain_sender
        if plain is None:
            return None
        try:
            address = command_address(wire_address(plain))
        except (UnencodableAddress, BadAddress):
            return None
        return None if needs_smtputf8(address) and not self.smtputf8 else address

    async def _unanswered(self, sender: str, exc: _Unanswered) -> SendResult:
        """A new session's first transaction met with no reply at all (a server too slow, or
        closing at it). Its MAIL FROM:<sender> is asked alone on another new session, without
        the RCPT TO pipelined behind it or an SMTPUTF8 asked for the reader's address: taken,
        the silence was this transaction's own (a slow check of the recipient, the reader's
        address), this reader's deferral, counted as any loss before the data, so that one
        reader's silence never stops every pass. Not taken, with VERP, the sender's twin is
        asked on a new session: taken, the silence or refusal was this reader's own sender's,
        counted. Else a refusal of the sender asked alone says what it is, and no answer again
        is the server's state, nobody counted."""
        said = f"before data: {exc}"
        alone = await self._ask_on_a_new_session(sender)
        if alone is not None and 200 <= alone.code < 300:
            return SendResult(DeliveryStatus.DEFERRED, said)
        if self._is_verp(sender) and (alone is None or alone.code not in SLOW_DOWN_CODES):
            other = await self._ask_on_a_new_session(twin(sender))
            # Only the twin taken makes it this reader's own sender's; a greeting refused, a
            # 4xx or 5xx to the twin, or no answer again are the server's state or the sender's.
            if other is not None and 200 <= other.code < 300:
                return SendResult(DeliveryStatus.DEFERRED, said)
        if alone is not None:
            return self._refused(0, alone)
        return SendResult(
            DeliveryStatus.DEFERRED,
            f"no reply to MAIL FROM on a new connection: {exc}",
            server_unavailable=True,
        )

    def _verp_refused(self, sender: str, refused: tuple[int, Reply]) -> bool:
        """Whether `refused` is a refusal at MAIL FROM (not a "slow down", nor one of the RSET
        before it) of `sender`, a VERP sender of the plain one (as on the wire)."""
        return (
            refused[0] == 0
            and not self.reset_refused
            and refused[1].code not in SLOW_DOWN_CODES
            and self._is_verp(sender)
        )

    def _is_verp(self, sender: str) -> bool:
        """Whether `sender` is a VERP sender of the plain one, as on the wire."""
        plain = self._plain_on_the_wire()
        return plain is not None and is_verp_of(sender, plain)

    async def _own_sender_refused(
        self, wire: ReplyReader, sender: str, reply: Reply, plain_taken: bool = True
    ) -> SendResult:
        """`sender` refused at MAIL FROM again, right after the server took the plain sender.
        Without VERP, as any refusal of the sender every reader shares (never counted). With
        VERP, the server is asked for the sender's twin (verp.twin: the same shape, another
        token): taken, the refusal is of this reader's own sender, so this reader's deferral,
        counted (never a failure nor a bounce: max_attempts ends it); refused, every reader's
        token is (a refusal of the sender: the send stops, no attempt counted); the twin not
        asked (the connection lost, the reset refused), the server's state.

        A server may close a connection after a number of refused commands (Postfix's
        smtpd_hard_error_limit, an Exim ACL "drop"), with the second refusal or at the next
        command, in a 421 or without a word: the twin is then asked on a new session, whose
        first transaction it begins, so that the refusal is still told apart; before, every
        pass stopped at this reader as the server's state, and the readers after it were never
        sent. Lost there too, it is the server's state.

        Not `plain_taken`: the plain sender could not be asked after the first refusal (the
        connection closed with it or at the question): the twin is asked on a new session at
        once; taken, this reader's deferral as above (a passing refusal with a close costs
        that reader one attempt); else the refusal says alone what it is, as before."""
        plain = self._plain_on_the_wire()
        if (
            plain is None
            or not is_verp_of(sender, plain)
            or reply.code in SLOW_DOWN_CODES  # every connection's pause
        ):
            return self._refused(0, reply)
        same_shape = twin(sender)
        other = (
            None if self.wire is None or not plain_taken else await self._ask_for(wire, same_shape)
        )
        if other is None or other.code == 421:
            # Closed with the refusal or at the question (or closing): asked afresh.
            other = await self._ask_on_a_new_session(same_shape)
        said = f"{reply.code} {reply.text}".strip()
        if not plain_taken:
            if other is None or not 200 <= other.code < 300:
                return self._refused(0, reply)
            return SendResult(
                DeliveryStatus.DEFERRED,
                f"the server refused this reader's own envelope sender <{sender}> and closed "
                f"the connection (on a new one it takes <{same_shape}>, one of the same "
                f"shape): {said}",
            )
        if other is None:
            # Nothing known: the plain sender was just taken, and the twin could be asked
            # neither on that connection nor on a new one, so neither the sender every reader
            # shares nor this reader's own is known refused: the server's state, nobody
            # counted.
            return SendResult(
                DeliveryStatus.DEFERRED,
                f"the connection was lost while asking whether the server refuses this "
                f"reader's own envelope sender <{sender}> (it takes <{plain}>): {said}",
                server_unavailable=True,
            )
        if other.code in SLOW_DOWN_CODES:
            return self._refused(0, other)  # the server's "slow down": every lane's pause
        if not 200 <= other.code < 300:
            return SendResult(
                DeliveryStatus.DEFERRED,
                f"the server refuses the envelope senders with a reader's token (<{sender}>, "
                f"<{same_shape}>) and takes <{plain}>: {said}",
                sender_refused=True,
            )
        return SendResult(
            DeliveryStatus.DEFERRED,
            f"the server refused this reader's own envelope sender <{sender}> (it takes "
            f"<{plain}> and <{same_shape}>, one of the same shape): {said}",
        )

    def _refused(self, stage: int, reply: Reply) -> SendResult:
        result = self.pool.classify(reply.code, reply.text)
        if stage > 0:
            return result
        if result.outcome == DeliveryStatus.DEFERRED and not result.of_sender:
            # A 4xx to the greeting, AUTH or MAIL FROM, before any reader was named (a busy
            # server, its storage full): the server's state, not the reader's.
            return replace(result, server_unavailable=True)
        # A greeting, AUTH or MAIL FROM refused for good, or in a refusal's words, says
        # nothing of the reader: a refusal of the sender, the same for every reader.
        return SendResult(
            DeliveryStatus.DEFERRED,
            f"the server refused the sender: {reply.code} {reply.text}".strip(),
            sender_refused=True,
        )

    def drop(self) -> None:
        if self.wire is not None:
            self.wire.close()
        self.wire = None
        self.begun = None

    async def close(self) -> None:
        if self.begun is not None:
            self.drop()  # the server waits for a message's data: a QUIT would be taken for it
            return
        wire, self.wire = self.wire, None
        if wire is None:
            return
        if wire.is_open and wire.in_step:
            with contextlib.suppress(SessionLost):
                await wire.command(b"QUIT\r\n", self.pool.timeout)
        wire.close()


def _on_the_wire(sender: str, recipient: str) -> NextEnvelope:
    """The envelope's addresses as SMTP commands carry them (IDNA domains, checked); raises
    UnencodableAddress or BadAddress."""
    return command_address(wire_address(sender)), command_address(wire_address(recipient))


def _commands(sender: str, recipient: str, utf8: bool) -> tuple[bytes, bytes, bytes]:
    """MAIL FROM, RCPT TO and DATA of one transaction, addresses as command_address gave them."""
    encoding = "utf-8" if utf8 else "ascii"
    return (_mail_from(sender, utf8), f"RCPT TO:<{recipient}>\r\n".encode(encoding), b"DATA\r\n")


def _mail_from(sender: str, utf8: bool) -> bytes:
    return f"MAIL FROM:<{sender}>{' SMTPUTF8' if utf8 else ''}\r\n".encode(
        "utf-8" if utf8 else "ascii"
    )


def _refusal(replies: list[Reply]) -> tuple[int, Reply] | None:
    """The first reply that is not the one wanted (2xx to MAIL and RCPT, 354 to DATA)."""
    for stage, reply in enumerate(replies):
        if (reply.code != 354) if stage == 2 else not 200 <= reply.code < 300:
            return stage, reply
    return None


class SmtpPool:
    """Up to `size` connections; send() may be awaited by that many tasks at once."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        data_timeout: float = 120.0,
        size: int = 4,
        messages_per_connection: int = 100,
        tls_context: ssl.SSLContext | None = None,
        pipelining: bool = True,
        plain_sender: str | None = None,
    ) -> None:
        """pipelining: send MAIL FROM, RCPT TO and DATA together when the server offers it.
        plain_sender: the envelope sender without a reader's VERP token (the bounce address,
        else the From address), asked for after a refusal of a message's MAIL FROM (see
        _Connection._plain_sender_asked); None: never asked, a 4xx there is the server's
        state."""
        self.pipelining = pipelining
        self.plain_sender = plain_sender
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout, self.data_timeout = timeout, data_timeout
        self.size = size
        self.messages_per_connection = messages_per_connection
        self.tls_context = tls_context
        self.slow_down_replies = 0
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all: list[_Connection] = []

    @property
    def concurrency(self) -> int:
        return self.size

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security}, {self.size} connections)"

    async def open(self) -> None:
        """Open one connection up front, so a dead server fails before any row is touched."""
        self._idle = asyncio.Queue()
        self._all = [_Connection(self) for _ in range(self.size)]
        try:
            await self._all[0].connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise self._open_failure(exc) from None
        for connection in self._all:
            self._idle.put_nowait(connection)

    def _open_failure(self, exc: aiosmtplib.SMTPException | OSError) -> DeliveryError:
        """What went wrong opening the first connection, with what to check for that case: a
        server that cannot take mail now (no connection, a 4xx) is a ServerUnavailable."""
        where, text = self.describe(), str(exc) or type(exc).__name__
        if isinstance(exc, aiosmtplib.SMTPResponseException) and 400 <= exc.code < 500:
            return ServerUnavailable(f"{where}: cannot take mail now: {exc.code} {exc.message}")
        if isinstance(exc, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
            return ServerUnavailable(
                f"{where}: no answer within {self.timeout:g} s: {text}",
                hint="the server did not answer in delivery.smtp.timeout_seconds: check "
                "delivery.smtp.host and delivery.smtp.port (a firewall may drop the "
                "connection), or allow more seconds",
            )
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return DeliveryError(
                f"{where}: login refused: {exc.code} {exc.message}",
                hint="check delivery.smtp.username and the password in the environment "
                "variable named by delivery.smtp.password_env",
            )
        if "SMTP AUTH extension" in text:
            return DeliveryError(
                f"{where}: login impossible: {text}",
                hint="the server offers no AUTH on this connection: many offer it only over "
                "TLS (delivery.smtp.security: starttls or tls); a relay that needs no login "
                "takes an empty delivery.smtp.username",
            )
        tls = _tls_error(exc)
        if tls is not None or "STARTTLS" in text:
            return DeliveryError(f"{where}: TLS failed: {text}", hint=_tls_hint(tls))
        # Nothing answers: an outage. A greeting refused for good is not one.
        refused = isinstance(exc, aiosmtplib.SMTPResponseException)
        return (DeliveryError if refused else ServerUnavailable)(
            f"{where}: cannot connect: {text}",
            hint="nothing accepts connections there: check delivery.smtp.host and "
            "delivery.smtp.port in config.yaml and that the server is up",
        )

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        ready: Ready | None = None,
        lane: int | None = None,
        then: NextEnvelope | None = None,
    ) -> SendResult:
        """See Transport.send. A lane has a connection of its own (lanes and calls without one
        are not mixed in one send); a call without a lane takes any idle connection."""
        if lane is not None:
            return await self._all[lane].send(sender, recipient, message, ready, then)
        connection = await self._idle.get()
        try:
            return await connection.send(sender, recipient, message, ready)
        finally:
            self._idle.put_nowait(connection)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._all), return_exceptions=True)

    def classify(self, code: int, message: str) -> SendResult:
        reply = f"{code} {message}".strip()
        if refuses_sender(reply):
            # Of the sender, not the reader ("550 5.1.8 <digest@...>: Sender address rejected:
            # Domain not found" to a RCPT TO): failing the row, and suppressing the address
            # for its 5.1.x, would wipe the list. Deferred (see SendResult.of_sender).
            return SendResult(
                DeliveryStatus.DEFERRED,
                f"the server refused the sender: {reply}",
                of_sender=True,
            )
        if code in SLOW_DOWN_CODES:
            self.slow_down_replies += 1
            return SendResult(DeliveryStatus.DEFERRED, reply, slow_down=True)
        if 400 <= code < 500:
            return SendResult(DeliveryStatus.DEFERRED, reply)
        return SendResult(DeliveryStatus.FAILED, reply)


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind exc (aiosmtplib wraps a failed handshake in SMTPConnectError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_hint(error: ssl.SSLError | None) -> str:
    if error is None:
        return (
            "the server does not offer STARTTLS: set delivery.smtp.security to tls if the port "
            "is one of implicit TLS (465), or to none only for a local relay"
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "the server's certificate is not trusted for delivery.smtp.host: use the host name "
            "its certificate names, or add its certificate authority to the system's trust store"
        )
    return (
        "the TLS handshake failed: security tls needs a port of implicit TLS (465); a port that "
        "starts in plain text (587, 25) needs starttls; check delivery.smtp.security and "
        "delivery.smtp.port"
    )


def dot_stuffed(message: bytes) -> bytes:
    """Lines starting with a dot doubled (RFC 5321 4.5.2) and a final CRLF: the one search
    over the message is cheap, the rewriting happens only when it is needed; a message its
    builder vouches for (DotFreeMessage) goes as it is, unsearched."""
    if isinstance(message, DotFreeMessage):
        return message
    if starts_a_line_with_dot(message):
        message = message.replace(b"\n.", b"\n..")
        if message.startswith(b"."):
            message = b"." + message
    return message if message.endswith(b"\r\n") else message + b"\r\n"
