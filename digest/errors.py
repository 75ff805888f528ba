"""One exception tree for digest; every error carries a hint that tells the user what to do.

DigestError
├── ConfigError        config.yaml or DIGEST_* variables are wrong
├── StorageError       the database cannot be reached or migrated
├── CollectError       one source could not be fetched or parsed
│   └── FetchError     the HTTP/file fetch itself failed
│       ├── SourceGone the server answered 410: the source is deactivated
│       └── RetryLater 429/503: not fetched again before retry_at
├── RenderError        a template is broken or the email cannot be built
├── DeliveryError      the transport (SMTP, outbox) failed
│   ├── SenderRefused  the server refused the sender, not a reader: the send stopped
│   ├── ServerUnavailable the server cannot take mail now (unreachable, busy): the send
│   │                  stopped, the readers not yet sent to wait, no attempt counted; tried
│   │                  again after a growing wait
│   └── HeartbeatLost  a sender stopped past its threshold: the next pass sends the rest
├── NotFoundError      a list, subscriber or issue named by the user does not exist
└── InitError          `digest init` would overwrite files, or has nothing to copy
"""

from __future__ import annotations

from datetime import datetime


class DigestError(Exception):
    """Base of every error digest reports to a user."""

    default_hint = "run with -v to see the details"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        return self.message


class ConfigError(DigestError):
    default_hint = "fix the key in config.yaml (every key is documented there)"


class StorageError(DigestError):
    default_hint = "check database.url in config.yaml and that the database server is running"


class CollectError(DigestError):
    default_hint = "check the source's url in config.yaml; `digest collect -v` shows details"


class FetchError(CollectError):
    pass


class SourceGone(FetchError):
    default_hint = "the site removed this feed (HTTP 410): find its new address, then fix the url"


class RetryLater(FetchError):
    default_hint = "the site asked us to wait (HTTP 429/503); the source is fetched again later"

    def __init__(self, message: str, retry_at: datetime, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.retry_at = retry_at


class RenderError(DigestError):
    default_hint = "check the templates under templates/email/"


class DeliveryError(DigestError):
    default_hint = "check delivery.* in config.yaml and that the SMTP server is reachable"


class SenderRefused(DeliveryError):
    """The server refused the envelope sender, this host or the connection (at the greeting,
    login or MAIL FROM, or for readers in a row): every reader would be refused alike, so the
    send stops with its rows not yet sent left as they were, to be sent once that is fixed. (A
    refusal of one reader's own VERP sender alone is that reader's deferral: smtp.py.)"""

    default_hint = "check newsletter.from_address and delivery.bounce_address (the sender)"


class ServerUnavailable(DeliveryError):
    """The server cannot take mail now: the connection cannot be made (refused, timed out) or
    it answered 4xx to the greeting, the login or MAIL FROM (the plain envelope sender asked
    for after it refused too), or a new session could not be reset either, before any reader
    was named, on every connection of the send.
    The send stops with its rows not yet sent left as they were (no attempt of theirs counted;
    the readers sent to before, or refused on their own account, keep what became of them),
    and `digest worker` and the service try again after a growing wait."""

    default_hint = (
        "the server at delivery.smtp.host and delivery.smtp.port is busy or down: wait, or "
        "send through another (delivery.smtp.host)"
    )
    # Said after every hint of this error, whatever went wrong. Only of the readers not yet
    # sent to: those the pass reached before keep their own results (sent, or a 5xx failed).
    unsent_wait = (
        "The readers not yet sent to had no attempt counted and wait for the next pass: "
        "`digest worker` and `digest serve` try again after a growing wait, and the next send "
        "or pass sends to them once the server takes mail"
    )

    def __init__(self, message: str, hint: str | None = None, sent_before: bool = False) -> None:
        super().__init__(message, f"{hint or self.default_hint}. {self.unsent_wait}")
        # Messages were accepted before the server turned this send away, in it or in an
        # earlier issue's send of the same worker pass (deliver_pending): PassWaits starts its
        # wait again.
        self.sent_before = sent_before


class HeartbeatLost(DeliveryError):
    """This sender was stopped or cut off from the database for longer than its
    delivery.worker_stale_seconds: other workers may be sending the messages it had claimed,
    so it sends no more of them; the next pass (its own or another worker's) does."""

    default_hint = "the messages not sent are sent by the next `digest send` or worker pass"


class NotFoundError(DigestError):
    default_hint = "list what exists with `digest subscribers list` or check config.yaml lists"


class InitError(DigestError):
    default_hint = "run `digest init` into an empty folder"
