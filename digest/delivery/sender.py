"""Each reader's message built and sent, as many at once as the transport allows, at the rate,
each result handed to the recorder as it comes."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.dkim import dkim_signer
from digest.delivery.rate import Permits, RateLimit
from digest.delivery.recorder import Recording, RecordingFailed
from digest.delivery.transport import (
    NextEnvelope,
    Ready,
    SendResult,
    Transport,
    refuses_host,
    refuses_relay,
)
from digest.errors import DigestError, HeartbeatLost, SenderRefused, ServerUnavailable
from digest.states import DeliveryStatus

log = logging.getLogger("digest")

# Takes one message's attempt to be recorded; done once it is.
Record = Callable[[outbox.Attempt], Recording]
# The next readers to send to, and the topics of those of them who chose any; no readers once
# none is left. Called on the event loop whenever the readers given so far are all taken.
Refill = Callable[[], tuple[list[outbox.Claimed], dict[int, list[str]]]]


class IssueMail(Protocol):
    """One issue as mail: what the send loop asks of whoever rendered it."""

    def has_stories(self, topics: Sequence[str] | None) -> bool:
        """Whether any story matches these topics (None: every topic); raises when the issue
        cannot be rendered for them."""
        ...

    def message(
        self, subscriber_id: int, email: str, topics: Sequence[str] | None
    ) -> tuple[bytes, str]:
        """This reader's message (RFC 5322 bytes, CRLF line ends, unsigned) and Message-ID."""
        ...

    def envelope_sender(self, subscriber_id: int) -> str:
        """The envelope sender of this reader's message: where its bounces go."""
        ...


@dataclass(frozen=True)
class _Built:
    """One reader's message, built, its permit to go taken: ready to hand over."""

    claimed: outbox.Claimed
    sender: str  # the envelope sender
    data: bytes
    message_id: str


class _Lost(Exception):
    """What `hold` raised at a message's point of no return (see _Held)."""

    def __init__(self, error: DigestError) -> None:
        super().__init__(str(error))
        self.error = error


class _Held:
    """The previous message's recording as the transport's `ready`, and once it is done, `hold`
    too: a sender whose readers may be another's by now (its heartbeat went stale while it was
    stopped) writes no final dot after it, however far into the message it had got."""

    def __init__(self, ready: Ready, hold: Callable[[], None]) -> None:
        self._ready, self._hold = ready, hold

    def done(self) -> bool:
        return self._ready.done()

    def result(self) -> Any:
        value = self._ready.result()
        self._check()
        return value

    def __await__(self) -> Generator[Any, None, Any]:
        value = yield from self._ready.__await__()
        self._check()
        return value

    def _check(self) -> None:
        try:
            self._hold()
        except DigestError as exc:
            raise _Lost(exc) from exc


class Sender:
    """Builds and sends claimed messages, as many at once as the transport allows, at the
    configured rate; a server's "slow down" (421/454) pauses every sender."""

    def __init__(
        self,
        mail: IssueMail,
        transport: Transport,
        settings: Settings,
        rate: Permits | None = None,
    ) -> None:
        """rate: the limit to obey (default: this process's own, at the configured rate)."""
        self.mail = mail
        self.transport = transport
        self.slow_down_seconds = settings.delivery.slow_down_seconds
        self.rate = rate or RateLimit(settings.delivery.rate_limit_per_second)
        # Each sender takes its next message before handing over the current one (see send_all).
        self.look_ahead = not settings.delivery.rate_limit_per_second
        self.dkim = dkim_signer(settings)

    async def send_all(
        self, refill: Refill, record: Record, hold: Callable[[], None] | None = None
    ) -> None:
        """Send a message to every reader refill gives, until it gives none, each result
        recorded as it comes; return once all are. `hold` is called before each message is
        handed over, and again at its point of no return (the final dot, once the previous
        message is recorded), and raises (a DigestError) once the readers given are no longer
        this sender's to send to: no message is handed over nor finished after that, and once
        what is under way is recorded, send_all raises it. Refilled as soon as the readers given are
        all taken, while the last of them are still on their way: the connections never wait
        for each other, nor for the next claim, at the end of a batch.

        Each of the `concurrency` senders (the transport's lanes) hands the transport the
        recording of its previous message as `ready`: no message is accepted before the one
        sent before it on the same sender is recorded, so a crash leaves at most one accepted
        message per sender unrecorded. Results are recorded in the order they are submitted,
        so each one recorded means every earlier one of its sender is too.

        A refusal of the sender stops the send: its greeting, login or MAIL FROM refused
        (SendResult.sender_refused; not a refusal of one reader's own VERP sender alone, which
        the transport tells apart and gives as that reader's deferral), or
        SENDER_REFUSALS_IN_A_ROW readers of more than one domain refused in a refusal of the
        sender's words (SendResult.of_sender), each of them deferred, no message accepted
        between: every reader would be refused alike. No more messages are handed over, the
        ones under way finish, and every reader taken but not sent is recorded as held back
        (its row as it was before the claim, no attempt counted); then SenderRefused is
        raised, with what to fix.

        A server that cannot take mail now (SendResult.server_unavailable: no connection, or
        a 4xx to the greeting, login or MAIL FROM, or a reset failed on a new session too,
        before any reader is named; at MAIL FROM
        only when the plain envelope sender asked for right after is refused too: see
        smtp._Connection._plain_sender_asked) costs the
        reader nothing: that connection is given up for the rest of the send (a server that
        takes fewer connections than the pool has goes on with those it takes; no connection
        is asked again within a send, so nothing loops), and its message goes over another,
        which takes a permit for it again (waiting out the pause a 421 began). A lane with
        nothing left to take stays while another lane is at work and may hand a message back.
        Once no lane is left and a message is not sent, those taken but not sent are recorded
        as held back and ServerUnavailable is raised: the next pass, after a wait, sends them.

        Without a rate limit, a sender builds its next message and takes its permit before
        handing over the current one, whose transaction may begin the next one's (`then`), but
        only when that permit comes at once: during a server's "slow down" the current message
        goes alone, and the next waits out the pause with no transaction open. Under a rate
        limit each message waits for its own permit, never for the next one's."""
        waiting: deque[outbox.Claimed] = deque()
        chosen: dict[int, list[str]] = {}
        exhausted = False
        last: list[Recording] = []  # each sender's last recording
        stopped: list[DigestError] = []  # what hold raised
        refusal: list[SendResult] = []  # the first refusal of the sender: nothing more goes
        of_sender = _RefusalsInARow()
        # Messages built whose connection could not hand them over (the server unavailable),
        # for another connection; and the first such result.
        returned: deque[_Built] = deque()
        unavailable: list[SendResult] = []
        any_sent = False  # a message accepted in this send: the server took mail then
        # Lanes still in their loop, and how many of them wait in take() for a message handed
        # back; `changed` is set (and replaced) when one is handed back or a lane ends.
        live, idle = self.transport.concurrency, 0
        changed = asyncio.Event()

        def signal() -> None:
            nonlocal changed
            changed.set()
            changed = asyncio.Event()

        async def take(stay: bool = True) -> _Built | outbox.Attempt | None:
            """The next reader's message built, or its failure; None when none is left. With
            nothing to take, a lane that holds no message (`stay`) waits while another lane
            still at work may hand its message back (its connection turned away)."""
            nonlocal exhausted, idle
            while True:
                if stopped or refusal:
                    return None
                if returned:
                    built = returned.popleft()
                    # Its permit went with the connection that could not take it: it takes
                    # another, so it waits out the pause the server's 421 began, as any other.
                    await self.rate.acquire()
                    return built
                while not waiting and not exhausted:
                    try:
                        readers, topics = refill()
                    except HeartbeatLost as exc:
                        # Noticed at a claim: the lanes' messages under way finish, recorded.
                        stopped.append(exc)
                        return None
                    exhausted = not readers
                    waiting.extend(readers)
                    chosen.update(topics)
                if waiting:
                    item = waiting.popleft()
                    return await self.prepare(item, chosen.pop(item.subscriber_id, None))
                if not stay or live - idle <= 1:
                    return None  # no other lane at work: nothing can be handed back
                woken = changed  # no await since the checks: no signal is missed
                idle += 1
                try:
                    await woken.wait()
                finally:
                    idle -= 1

        async def work(lane: int) -> None:
            nonlocal live
            try:
                await lane_loop(lane)
            finally:
                live -= 1
                signal()

        async def lane_loop(lane: int) -> None:
            nonlocal any_sent
            previous: Recording | None = None
            begun = False  # the lane's next message begun behind the last one's dot
            upcoming = await take()
            while upcoming is not None:
                current, upcoming = upcoming, None
                if stopped:
                    break  # a transaction begun for it is dropped with the connection
                if isinstance(current, _Built) and refusal:
                    attempt = held_back(current.claimed, refusal[0])
                    begun = False  # a transaction begun for it is dropped with the connection
                elif isinstance(current, _Built):
                    # Asked once a message (and again after a wait or look): asked twice, the
                    # look at the shared pause could fall due in between, and the next message
                    # went without look-ahead though the first answer let it.
                    at_once = self.rate.at_once()
                    if self.look_ahead and not begun and not at_once:
                        # Its permit (which without a rate only waits out pauses) was taken
                        # before a server's "slow down" that came since, and no transaction
                        # waits for it: it waits out the pause too.
                        await self.rate.acquire()
                        at_once = self.rate.at_once()
                    elif self.look_ahead and begun and not at_once:
                        # Its transaction begun, it never waits out a pause; but the look at
                        # the shared pause, when due, is made now (no wait): else every
                        # PAUSE_CHECK_SECONDS a lane's next message went without look-ahead.
                        await self.rate.look()
                        at_once = self.rate.at_once()
                    if self.look_ahead and at_once:
                        # Only a message that may go at once is begun behind this one's dot:
                        # one waiting out a pause would leave the server waiting for its data.
                        upcoming = await take(stay=False)
                    if hold is not None:
                        try:
                            hold()  # last, right before it goes: no await between
                        except DigestError as exc:
                            stopped.append(exc)
                            break
                    then = (
                        (upcoming.sender, upcoming.claimed.email)
                        if isinstance(upcoming, _Built)
                        else None
                    )
                    gate = _Held(previous, hold) if hold and previous is not None else previous
                    try:
                        attempt = await self.hand_over(current, gate, lane, then)
                    except _Lost as lost:
                        stopped.append(lost.error)  # its final dot never went
                        break
                    if attempt.result.server_unavailable:
                        # This connection cannot get through: given up for this send, its
                        # messages left to the others; no reader's attempt.
                        unavailable.append(attempt.result)
                        if isinstance(upcoming, _Built):
                            returned.appendleft(upcoming)
                        elif upcoming is not None:
                            previous = record(upcoming)  # not built: recorded as failed
                        returned.appendleft(current)
                        signal()  # a lane waiting for one takes it
                        break
                    begun = attempt.result.began_next
                    any_sent = any_sent or attempt.result.outcome == DeliveryStatus.SENT
                    refused = of_sender.refusal(attempt)
                    if refused is not None and not refusal:
                        refusal.append(refused)
                else:
                    attempt = current  # not built: recorded as failed, never handed over
                    begun = False
                previous = record(attempt)
                if upcoming is None:
                    upcoming = await take()
            if previous is not None:
                last.append(previous)

        try:
            async with asyncio.TaskGroup() as group:
                for lane in range(self.transport.concurrency):
                    group.create_task(work(lane))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        if refusal or (returned and not stopped):
            # Nothing more goes: every reader taken but not sent is put back as it was.
            why = refusal[0] if refusal else unavailable[0]
            untried = [built.claimed for built in returned] + list(waiting)
            last.extend(record(held_back(claimed, why)) for claimed in untried)
        # Recorded in the order submitted, and once one commit failed every later result
        # fails too: each sender's last recording done means all of them are.
        for recording in last:
            await recording
        if stopped:
            raise stopped[0]
        if refusal:
            raise refused_sender(refusal[0], self.transport.describe())
        if returned:
            raise ServerUnavailable(
                f"{self.transport.describe()}: {unavailable[0].reply}; sending stopped",
                sent_before=any_sent,
            )

    async def prepare(
        self, claimed: outbox.Claimed, topics: list[str] | None = None
    ) -> _Built | outbox.Attempt:
        """One reader's message built and its permit taken; or, when it cannot be built, its
        failure (never raises but when cancelled)."""
        try:
            data, message_id = self.build(claimed, topics)
            sender = self.mail.envelope_sender(claimed.subscriber_id)
        except Exception as exc:
            return self.failed(claimed, None, f"cannot build the message: {reason_of(exc)}")
        await self.rate.acquire()
        return _Built(claimed, sender, data, message_id)

    async def hand_over(
        self,
        built: _Built,
        ready: Ready | None = None,
        lane: int | None = None,
        then: NextEnvelope | None = None,
    ) -> outbox.Attempt:
        """Send one built message (see send_all for `ready`, Transport.send for `lane` and
        `then`). Never raises but when cancelled or when recording failed: whatever else goes
        wrong fails this message alone, with its reason, and the batch goes on."""
        claimed, message_id = built.claimed, built.message_id
        try:
            result = await self.transport.send(
                built.sender, claimed.email, built.data, ready=ready, lane=lane, then=then
            )
        except (RecordingFailed, _Lost):
            raise
        except Exception as exc:
            return self.failed(claimed, message_id, f"cannot send the message: {reason_of(exc)}")
        if result.slow_down:
            self.rate.slow_down(self.slow_down_seconds)
        if result.outcome != DeliveryStatus.SENT:
            log.warning("%s: %s: %s", _shown(claimed.email), result.outcome, result.reply)
        return outbox.Attempt(claimed, result, message_id)

    def build(self, claimed: outbox.Claimed, topics: list[str] | None) -> tuple[bytes, str]:
        """One reader's message bytes (signed, when DKIM is configured) and Message-ID."""
        data, message_id = self.mail.message(claimed.subscriber_id, claimed.email, topics)
        if self.dkim is not None:
            data = self.dkim.sign(data)
        return data, message_id

    def failed(
        self, claimed: outbox.Claimed, message_id: str | None, reason: str
    ) -> outbox.Attempt:
        """This message's failure: one line in the log (its traceback only at INFO, which
        `digest -v` and `digest serve` show) and its row's reason."""
        log.warning("%s: failed: %s", _shown(claimed.email), reason)
        log.info("%s: what went wrong", _shown(claimed.email), exc_info=True)
        return outbox.Attempt(claimed, SendResult(DeliveryStatus.FAILED, reason), message_id)


# Readers in a row, of more than one domain, whose RCPT TO or data the server answered with a
# refusal of the sender (SendResult.of_sender), no message accepted between: the sender is
# refused, not those readers, and the send stops. Fewer, or one domain's alone, are those
# readers' deferrals (a server refusing the sender for some recipients only).
SENDER_REFUSALS_IN_A_ROW = 3


class _RefusalsInARow:
    """The refusals of the sender given to readers since the last message accepted."""

    def __init__(self) -> None:
        self.readers: list[str] = []

    def refusal(self, attempt: outbox.Attempt) -> SendResult | None:
        """The refusal of the sender that stops the send, once this attempt makes one."""
        result = attempt.result
        if result.sender_refused:
            return result  # a greeting, AUTH or MAIL FROM refused: every reader alike
        if result.outcome == DeliveryStatus.SENT:
            self.readers.clear()
        elif result.of_sender:
            self.readers.append(attempt.claimed.email)
            domains = {r.rpartition("@")[2].lower() for r in self.readers}
            if len(self.readers) >= SENDER_REFUSALS_IN_A_ROW and len(domains) > 1:
                return replace(result, of_sender=False, sender_refused=True)
        return None


def held_back(claimed: outbox.Claimed, refusal: SendResult) -> outbox.Attempt:
    """A reader not sent to because the server refused the sender, or could not take mail:
    not the reader's attempt."""
    return outbox.Attempt(claimed, refusal, None)


def refused_sender(refusal: SendResult, where: str) -> SenderRefused:
    """The error that stops a send the server refused the sender of, with what to fix."""
    if refuses_relay(refusal.reply):
        fix = (
            "the server will not relay for this machine: log in (delivery.smtp.username, and "
            "the password in the environment variable named by delivery.smtp.password_env), "
            "or send through the server meant for this machine's mail (delivery.smtp.host)"
        )
    elif refuses_host(refusal.reply):
        fix = (
            "the server refused this machine (its IP address, host name or HELO name): ask "
            "its administrator, or send through a relay that accepts it (delivery.smtp.host)"
        )
    else:
        fix = (
            "check newsletter.from_address and delivery.bounce_address (the envelope sender): "
            "the server must accept it, and its domain must exist in DNS (an MX or A record); "
            "a refused greeting or login is about delivery.smtp.*"
        )
    return SenderRefused(
        f"{where}: {refusal.reply}; sending stopped",
        hint=f"{fix}. No reader was failed or suppressed for this refusal, and those not yet "
        "sent to had no attempt counted: the next send or worker pass sends to them once this "
        "is fixed",
    )


def reason_of(exc: Exception) -> str:
    """An exception as a row's reason: ours (and ValueError's, which carry their own wording)
    by their message, anything else by its type as well."""
    if isinstance(exc, DigestError | ValueError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _shown(address: str) -> str:
    """An address for a log line: quoted when it holds a character that could start a line."""
    return address if address.isprintable() else repr(address)
