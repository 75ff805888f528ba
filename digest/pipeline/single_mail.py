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
        try:
            await rate.acquire()  # before connecting: a pause may be long, and idle sessions close
        except Exception as exc:  # the database away: one mail goes without its permit
            log.warning("%s: no permit of the shared rate: %s", what, exc)
        await transport.open()
        try:
            result = await transport.send(sender, to, data)
        except Exception as exc:
            result = _failed(what, f"cannot send the message: {exc or type(exc).__name__}")
        finally:
            await transport.close()
        if result.slow_down:
            try:
                await rate.share_slow_down(delivery.slow_down_seconds)
            except Exception as exc:
                log.warning("%s: the server's pause not shared: %s", what, exc)
    if result.outcome != DeliveryStatus.SENT:
        shown = to if to.isprintable() else repr(to)
        log.warning("%s to %s: %s: %s", what, shown, result.outcome, result.reply)
    return result


def _failed(what: str, reason: str) -> SendResult:
    log.info("the %s: what went wrong", what, exc_info=True)
    return SendResult(DeliveryStatus.FAILED, reason)
