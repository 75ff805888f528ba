"""What a message says of its sender, its list and its reader, from the settings."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

import idna

from digest.config import Settings
from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.delivery.verp import with_token
from digest.render.email import Markers, Recipient, RenderedIssue
from subscribers.reader_urls import token_of
from subscribers.tokens import TokenSigner, TokenSubject


def envelope(settings: Settings, list_slug: str) -> Envelope:
    lst = settings.mailing_list(list_slug)
    return Envelope(
        from_address=settings.newsletter.from_address,
        from_name=settings.newsletter.from_name or settings.newsletter.name,
        list_name=lst.name,
        list_id=list_id_of(lst.slug, settings.newsletter.base_url),
        reply_to=settings.newsletter.reply_to,
    )


def list_id_of(slug: str, base_url: str) -> str:
    """The list's id (RFC 2919): its slug, then the host of the newsletter's site, lower case;
    an internationalised domain as its A-label, an IPv6 address's groups joined by "-" (a
    List-Id must be a dot-atom: no colon, no bracket)."""
    host = (urlsplit(base_url).hostname or "localhost").lower()
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            host = host.encode("punycode").decode("ascii")
    if ":" in host:
        host = host.replace(":", "-").strip("-")
    return f"{slug}.{host}"


def message_template(
    settings: Settings,
    list_slug: str,
    rendered: RenderedIssue,
    now: datetime,
    subject_prefix: str = "",
) -> MessageTemplate:
    assert rendered.markers is not None, "an issue's rendering has its markers"
    return MessageTemplate(
        envelope=envelope(settings, list_slug),
        subject=subject_prefix + rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=rendered.markers.all(),
        now=now,
    )


def personal(settings: Settings, recipient: Recipient, markers: Markers) -> Personal:
    """One reader's part of a message whose rendering drew these markers."""
    mailto = settings.delivery.unsubscribe_mailto
    token = token_of(recipient.unsubscribe_url)
    return Personal(
        to=recipient.email,
        values=recipient.values(markers),
        unsubscribe_url=recipient.unsubscribe_url,
        unsubscribe_mailto=f"mailto:{mailto}?subject={quote('unsubscribe ' + token)}"
        if mailto
        else None,
    )


def envelope_sender(
    settings: Settings, signer: TokenSigner, subscriber_id: int, list_id: int
) -> str:
    """The envelope sender, where bounces go: VERP (bounces+TOKEN@domain) when a bounce
    address is configured, so each bounce names its subscriber; else the From address."""
    bounce = settings.delivery.bounce_address
    if not bounce:
        return settings.newsletter.from_address
    return with_token(bounce, signer.sign("bounce", TokenSubject(subscriber_id, list_id)))


def issue_message_id(
    signer: TokenSigner, from_address: str, issue_id: int, subscriber_id: int, list_id: int
) -> str:
    """One Message-ID per issue, reader and list, the same each time the message is built: a
    copy sent again (after a crash, or a retry of an uncertain message) carries the first
    one's, so mail clients show one. Keyed with the secret, not guessable from outside."""
    domain = from_address.rpartition("@")[2]
    return f"<{signer.message_key(issue_id, subscriber_id, list_id)}@{domain}>"
