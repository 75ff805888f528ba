"""The confirmation and welcome mails of one reader in English, French or Arabic: what the
design tests (tests/render/test_reader_mails_design.py, the browser's) and SpamAssassin read."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.delivery import message
from digest.render.email import (
    ConfirmationView,
    EmailRenderer,
    Recipient,
    RenderedIssue,
    WelcomeView,
    personalise,
)

NEWSLETTER = "Coast Digest"
POSTAL = "Coast Digest, 1 Harbour Road, Dakar 10200, Senegal"
LISTS = {"en": "The Weekly", "fr": "L’Hebdo du Sahel", "ar": "النشرة الأسبوعية"}
READER = Recipient(
    "awa.ndiaye@example.org",
    "https://news.example.org/u/WzEsMiwzXQ.abcdefghijklmnopqrstuvwxyz0123456789-_AB",
    "https://news.example.org/p/WzEsMiwzXQ.abcdefghijklmnopqrstuvwxyz0123456789-_AB",
)
CONFIRM_URL = "https://news.example.org/confirm/WzEsMiwxNzY0MDAwMDAwXQ.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEF"


def confirmation(renderer: EmailRenderer, tag: str) -> RenderedIssue:
    subject = renderer.translate(tag, "Please confirm your subscription to {newsletter}")
    return renderer.render_confirmation(
        ConfirmationView(
            newsletter_name=NEWSLETTER,
            reader_name="Awa Ndiaye",
            list_names=(LISTS[tag],),
            confirm_url=CONFIRM_URL,
            valid_days=7,
            postal_address=POSTAL,
            subject=subject.format(newsletter=NEWSLETTER),
            language=tag,
        )
    )


def welcome(renderer: EmailRenderer, tag: str) -> RenderedIssue:
    return renderer.render_welcome(
        WelcomeView(
            newsletter_name=NEWSLETTER,
            list_name=LISTS[tag],
            language=tag,
            reader_name="Awa Ndiaye",
            archive_url=f"https://news.example.org/archive/{tag}",
            latest_issue_url=f"https://news.example.org/archive/{tag}/12",
            latest_issue_subject="Port of Dakar reopens its deep-water terminal",
            postal_address=POSTAL,
            subject=renderer.translate(tag, "Welcome to {list}").format(list=LISTS[tag]),
        )
    )


MAILS = {"confirm": confirmation, "welcome": welcome}


def html_of(renderer: EmailRenderer, name: str, tag: str) -> str:
    return personalise(MAILS[name](renderer, tag), READER)[0]


def message_of(renderer: EmailRenderer, name: str, tag: str) -> bytes:
    """The whole message a reader gets (the list headers of an issue's, as the welcome has)."""
    rendered = MAILS[name](renderer, tag)
    markers = rendered.markers.all() if rendered.markers else ()
    template = message.MessageTemplate(
        envelope=message.Envelope(
            "digest@news.example.org", NEWSLETTER, LISTS[tag], "weekly.example.org"
        ),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=markers,
        now=datetime.now(UTC),
    )
    values = READER.values(rendered.markers) if rendered.markers else {}
    personal = message.Personal(
        to=READER.email, values=values, unsubscribe_url=READER.unsubscribe_url
    )
    return template.build(personal)[0]
