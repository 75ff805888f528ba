"""Helpers of the reader's tests: mails that arrived at the fixture SMTP server, their links, the
CSRF token of a page, a clock the test can move."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW

CONFIRM_LINK = re.compile(r"https?://\S+/confirm/[\w.-]+")


@dataclass
class MovableClock:
    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at


def mails_to(smtp_server: FixtureSMTPServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp_server.handler.parsed() if address in str(m["To"])]


def wait_for_mails(
    smtp_server: FixtureSMTPServer, address: str, count: int = 1, timeout: float = 10
) -> list[EmailMessage]:
    """The mails to address once there are `count` of them (sent after the page answered)."""
    deadline = time.monotonic() + timeout
    while True:
        found = mails_to(smtp_server, address)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def settle(smtp_server: FixtureSMTPServer, seconds: float = 0.5) -> int:
    """Wait a moment for any mail the app might still send; how many the server has."""
    time.sleep(seconds)
    return len(smtp_server.handler.messages)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def confirm_link(message: EmailMessage) -> str:
    found = CONFIRM_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(0)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)
