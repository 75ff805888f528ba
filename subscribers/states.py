"""The states of a subscriber, of a subscription, why a reader left and why an address is
suppressed: one definition each, used by the code and by the database's check constraints."""

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


class LeaveReason(StrEnum):
    """Why a reader left a list: the one optional question after unsubscribing."""

    TOO_MANY = "too_many"  # too many emails
    NOT_RELEVANT = "not_relevant"  # not what they want to read
    TOO_LONG = "too_long"  # no time to read it
    NEVER_SIGNED_UP = "never_signed_up"  # they do not remember subscribing
    OTHER = "other"


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"


class ReaderState(StrEnum):
    """A reader's state on one list as its admins see it: suppressed overrides the rest."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"  # bounced, complained or blocked: never mailed
