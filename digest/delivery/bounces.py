"""Delivery status notifications (RFC 3464) -> who bounced, how hard; pure: bytes in, values out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

_VERP = re.compile(r"\+([A-Za-z0-9_\-.]+)@")


@dataclass(frozen=True)
class Bounce:
    recipient: str | None  # Final-Recipient, lower-cased
    status: str  # enhanced status code, e.g. "5.1.1"
    action: str  # failed, delayed, ...
    diagnostic: str
    verp_token: str | None  # from bounces+TOKEN@domain, when the DSN was sent there

    @property
    def hard(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


def parse_dsn(raw: bytes) -> list[Bounce]:
    """The per-recipient reports of a DSN; [] for a message that is not one."""
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() != "multipart/report":
        return []
    token = _verp_token(message)
    bounces = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the message, the rest per recipient
            if not isinstance(block, Message) or not block.get("Action"):
                continue
            bounces.append(
                Bounce(
                    recipient=_address(block.get("Final-Recipient", "")),
                    status=str(block.get("Status", "")).strip().split(" ")[0],
                    action=str(block.get("Action", "")).strip().lower(),
                    diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
                    verp_token=token,
                )
            )
    return bounces


def _address(field: str) -> str | None:
    # "rfc822; someone@example.org"
    value = field.split(";", 1)[-1].strip().strip("<>").lower()
    return value or None


def _verp_token(message: Message) -> str | None:
    for header in ("X-Original-To", "Delivered-To", "Envelope-To", "To"):
        for value in message.get_all(header) or []:
            match = _VERP.search(str(value))
            if match:
                return match.group(1)
    return None
