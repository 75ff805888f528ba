"""Amazon SES's bounce, complaint and delivery notifications as Amazon SNS mails them: the
notification's JSON as the text body, alone ("email" subscriptions) or inside SNS's own JSON
("email-json": {"Type": "Notification", "Message": "<the notification>"}); pure.

The fields are those of SES's notification contents (notificationType, bounce.bounceType,
bounce.bouncedRecipients[].emailAddress/status/action/diagnosticCode, complaint.
complainedRecipients[].emailAddress, complaint.complaintFeedbackType), as Sisimai's AmazonSES
reader takes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SesKind(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    OTHER = "other"  # a delivery, a send, an open: nobody bounced or complained


@dataclass(frozen=True)
class SesRecipient:
    address: str  # lower-cased
    status: str  # "5.1.1"; for a complaint, ""
    action: str  # "failed", "delayed"; for a complaint, "complaint"
    diagnostic: str


@dataclass(frozen=True)
class SesNotice:
    kind: SesKind
    recipients: tuple[SesRecipient, ...]
    feedback_type: str = ""  # a complaint's, lower-cased ("abuse" when SES gives none)


def ses_notice(text: str) -> SesNotice | None:
    """The SES notification a text body carries, or None when it carries none."""
    payload = _json_object(text)
    if payload is not None and payload.get("Type") == "Notification":
        message = payload.get("Message")
        payload = _json_object(message) if isinstance(message, str) else None
    if payload is None:
        return None
    kind = payload.get("notificationType", payload.get("eventType"))
    if not isinstance(kind, str):
        return None
    if kind.lower() == "bounce":
        notice = _bounce(_object(payload.get("bounce")))
    elif kind.lower() == "complaint":
        notice = _complaint(_object(payload.get("complaint")))
    else:
        return SesNotice(SesKind.OTHER, ())
    if len(notice.recipients) > MAX_RECIPIENTS:
        return SesNotice(SesKind.OTHER, ())
    return notice


# Every message digest sends has one recipient, so a genuine notice names one; anyone can mail
# the bounce address, and a forged notice naming a crowd is read as nobody's.
MAX_RECIPIENTS = 50
# A reply's words, at most: a forged megabyte of diagnostic is not read through.
MAX_DIAGNOSTIC = 1000
# Permanent bounces SES gives no receiving server's status for: the address does not exist,
# or is on SES's suppression list (a hard bounce before), so SES will not send to it at all.
_ADDRESS_SUB_TYPES = {"noemail", "suppressed", "onaccountsuppressionlist"}


def _bounce(bounce: dict[str, Any]) -> SesNotice:
    # A recipient's own status when SES gives one; else by the bounce's type and sub-type.
    kind = str(bounce.get("bounceType", "")).lower()
    sub_type = str(bounce.get("bounceSubType", "")).lower()
    if kind == "transient":
        default = "4.0.0"
    else:
        default = "5.1.1" if sub_type in _ADDRESS_SUB_TYPES else "5.0.0"
    recipients = tuple(
        SesRecipient(
            address=address,
            status=str(entry.get("status") or default),
            action=str(entry.get("action") or "failed").lower(),
            diagnostic=str(entry.get("diagnosticCode") or "")[:MAX_DIAGNOSTIC],
        )
        for entry in _objects(bounce.get("bouncedRecipients"))
        if (address := str(entry.get("emailAddress") or "").strip().lower())
    )
    return SesNotice(SesKind.BOUNCE, recipients)


def _complaint(complaint: dict[str, Any]) -> SesNotice:
    recipients = tuple(
        SesRecipient(address=address, status="", action="complaint", diagnostic="")
        for entry in _objects(complaint.get("complainedRecipients"))
        if (address := str(entry.get("emailAddress") or "").strip().lower())
    )
    feedback_type = str(complaint.get("complaintFeedbackType") or "abuse").strip().lower()
    return SesNotice(SesKind.COMPLAINT, recipients, feedback_type)


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object a text starts with (SNS adds an unsubscribe footer after it)."""
    text = text.lstrip()
    if not text.startswith("{"):
        return None
    try:
        # Not strict: a mail system may fold a long line inside one of its strings.
        value, _end = json.JSONDecoder(strict=False).raw_decode(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
