"""Tables of the audience: a subscriber, a mailing list and the subscription that joins them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digest.db import Base, UTCDateTime, state_column_type, utcnow
from subscribers.states import (
    LeaveReason,
    SubscriberStatus,
    SubscriptionStatus,
    SuppressionReason,
)


class MailingList(Base):
    __tablename__ = "mailing_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscriber(Base):
    __tablename__ = "subscribers"
    # Never reuse an erased reader's id on SQLite: the unsubscribe and preferences links of
    # digests already sent name it and never expire (PostgreSQL's sequences never reuse one).
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (see subscribers.addresses) so one person is one row.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[SubscriberStatus] = mapped_column(
        state_column_type(SubscriberStatus, "status"), default=SubscriberStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    soft_bounces: Mapped[int] = mapped_column(Integer, default=0)
    last_bounce_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # IANA zone for local-time delivery; None means the list's own zone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Topics and regions (tag or region names) the reader wants; empty means everything.
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)

    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="subscriber")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"))
    status: Mapped[SubscriptionStatus] = mapped_column(
        state_column_type(SubscriptionStatus, "status"), default=SubscriptionStatus.PENDING
    )
    # How the subscription came about: cli, config (demo), form, import.
    origin: Mapped[str] = mapped_column(String(16), default="cli")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the last confirmation mail went out (no second one within the resend window).
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")
    mailing_list: Mapped[MailingList] = relationship()


class Suppression(Base):
    """An address never to be mailed again: no import or sign-up overrides it."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(
        state_column_type(SuppressionReason, "reason", length=32)
    )
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentRecord(Base):
    """What a subscriber agreed to (or withdrew), when, how and in which words: the record
    GDPR asks a sender to be able to show."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    list_id: Mapped[int | None] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"))
    # subscribe, confirm, unsubscribe, resubscribe, preferences
    action: Mapped[str] = mapped_column(String(32))
    # form, import, api, cli, config
    method: Mapped[str] = mapped_column(String(16))
    # The wording shown when consent was given (or a description of the import's source).
    wording: Mapped[str] = mapped_column(Text, default="")
    # Only recorded when the configuration asks for it.
    ip_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LeavingAnswer(Base):
    """A reader's answer to "why did you leave?" after one unsubscribe from one list: at most
    one per leaving (a second answer replaces the first). Erased with the reader."""

    __tablename__ = "leaving_answers"
    __table_args__ = (UniqueConstraint("subscriber_id", "list_id", "left_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(
        ForeignKey("mailing_lists.id", ondelete="CASCADE"), index=True
    )
    # The unsubscribe it answers (to the second, as the page's signed token holds it).
    left_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[LeaveReason] = mapped_column(state_column_type(LeaveReason, "reason"))
    # What the reader added in their own words, cleaned and cut to leaving.DETAIL_MAX.
    detail: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subscriber: Mapped[Subscriber] = relationship()
    mailing_list: Mapped[MailingList] = relationship()
