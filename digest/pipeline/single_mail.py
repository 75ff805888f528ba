"""One mail to one reader, outside any issue's send (confirmation, welcome): built off the
event loop, sent through the configured transport, its failure a result with the reason. It
goes through the same server as the issues, so it takes a permit of the rate every sender of
the database shares, waits out a pause another sender was asked for, and passes on one the
server asks of it (421/454)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio

from digest.delivery.shared_rate import SharedRateLimit
from digest.delivery.transport import SendResult, Transport
from digest.delivery.transport_factory import make_transport
from digest.pipeline.runtime import Runtime
from digest.states import DeliveryStatus

log = logging.getLogger("digest")

# The longest a single mail waits for its permit (a 421/454 pause, the rate): it is sent while
# a reader waits for a page.
SINGLE_MAIL_MAX_WAIT_SECONDS = 5.0


async def send_single(
    rt: Runtime,
    what: str,
    to: str,
    sender: str,
    build: Callable[[], bytes],
    transport: Transport | None = None,
) -> SendResult:
    """Build the message (database reads, MJML, DKIM block: in a thread) and send it. A mail
    that cannot be built, or that the transport raises on, is a failed result with its reason
    (logged, with the traceback at INFO), like one the server refused; what names the mail
    in the log ("confirmation mail")."""
    try:
        data = await anyio.to_thread.run_sync(build)
    except Exception as exc:
        result = _failed(what, f"cannot build the message: {exc or type(exc).__name__}")
    else:
        delivery = rt.settings.delivery
        transport = transport or make_transport(rt.settings)
        rate = SharedRateLimit(rt.engine, delivery.rate_limit_per_second, block=1)
        permitted = True
        try:
            # Before connecting: idle sessions close. A reader waits for the page: a pause (or
            # the rate) longer than a few seconds is not waited out.
            permitted = await rate.acquire_within(SINGLE_MAIL_MAX_WAIT_SECONDS)
        except Exception as exc:  # the database away: one mail goes without its permit
            log.warning("%s: no permit of the shared rate: %s", what, exc)
        if permitted:
            result = await _hand_over(what, transport, sender, to, data)
        else:
            result = SendResult(
                DeliveryStatus.DEFERRED,
                f"not sent: no permit within {SINGLE_MAIL_MAX_WAIT_SECONDS:g} s (the server "
                "asked every sender to pause, delivery.slow_down_seconds, or the rate, "
                "delivery.rate_limit_per_second); try again later",
            )
        if result.slow_down:
            try:
                await rate.share_slow_down(delivery.slow_down_seconds)
            except Exception as exc:
                log.warning("%s: the server's pause not shared: %s", what, exc)
    if result.outcome != DeliveryStatus.SENT:
        shown = to if to.isprintable() else repr(to)
        log.warning("%s to %s: %s: %s", what, shown, result.outcome, result.reply)
    return result


async def _hand_over(
    what: str, transport: Transport, sender: str, to: str, data: bytes
) -> SendResult:
    """Send through the transport; what it raises is the mail's failure."""
    await transport.open()
    try:
        return await transport.send(sender, to, data)
    except Exception as exc:
        return _failed(what, f"cannot send the message: {exc or type(exc).__name__}")
    finally:
        await transport.close()


def _failed(what: str, reason: str) -> SendResult:
    log.info("the %s: what went wrong", what, exc_info=True)
    return SendResult(DeliveryStatus.FAILED, reason)
