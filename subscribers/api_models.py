"""What the subscribers REST API reads and writes: its request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from subscribers.fields import NAME_MAX

TOPICS_MAX = 50
# What config.yaml allows a list's slug to be (lists[].slug).
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
NEXT_AFTER = "Pass as `after` for the next page; null at the end."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionCreate(_Body):
    email: str = Field(max_length=320, description="The reader's address.")
    list_slug: str = Field(
        alias="list",
        max_length=64,
        pattern=SLUG_PATTERN,
        description="Slug of the mailing list (config.yaml lists).",
    )
    consent: str = Field(
        min_length=1,
        max_length=2000,
        description="The wording the reader agreed to, kept as the record of their consent.",
    )
    name: str | None = Field(None, max_length=NAME_MAX)
    topics: list[str] = Field(
        default_factory=list,
        max_length=TOPICS_MAX,
        description="Topics or regions on offer; empty means everything.",
    )
    timezone: str | None = Field(None, max_length=64, description="IANA zone, e.g. Africa/Dakar.")
    confirmed: bool = Field(
        False,
        description="The reader has already confirmed their address with you (double opt-in "
        "done elsewhere). Otherwise the subscription is pending and a confirmation mail is sent.",
    )
    resubscribe: bool = Field(
        False,
        description="The reader unsubscribed from this list before and has now asked, with "
        "the consent given here, to come back. Without it such a request is refused (409).",
    )


class SubscriberUpdate(_Body):
    """Fields left out stay as they are; null clears the name or the time zone."""

    name: str | None = Field(None, max_length=NAME_MAX)
    topics: list[str] | None = Field(None, max_length=TOPICS_MAX)
    timezone: str | None = Field(None, max_length=64)


class SubscriptionOut(BaseModel):
    id: int
    subscriber_id: int
    email: str
    list: str
    status: str = Field(description="pending, confirmed or unsubscribed")
    origin: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    confirmation_sent_at: datetime | None


class SubscriberOut(BaseModel):
    id: int
    email: str
    name: str | None
    status: str = Field(description="active, bounced, complained or blocked")
    topics: list[str]
    timezone: str | None
    created_at: datetime
    subscriptions: list[SubscriptionOut]


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_after: int | None = Field(description=NEXT_AFTER)


class SubscriberPage(BaseModel):
    items: list[SubscriberOut]
    next_after: int | None = Field(description=NEXT_AFTER)


class ArticleOut(BaseModel):
    id: int
    title: str
    url: str = Field(description="The story's link; empty when it has no http(s) one.")
    source: str
    language: str | None = Field(
        description="BCP 47; read from the story's own text when its source did not say."
    )
    region: str
    summary: str
    collected_at: datetime


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_after: int | None = Field(description=NEXT_AFTER)


class ErrorOut(BaseModel):
    error: str = Field(description="What went wrong and what to change.")
