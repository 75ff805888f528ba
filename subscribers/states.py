"""The states of a subscriber, of a subscription and why an address is suppressed: one
definition each, used by the code and by the database's check constraints."""

from __future__ import annotations

from enum import StrEnum


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    BOUNCED = "bounced"  # a hard bounce: suppressed
    COMPLAINED = "complained"  # marked as spam: suppressed
    BLOCKED = "blocked"  # suppressed by hand


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # waiting for the reader's confirmation
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"
