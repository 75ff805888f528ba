"""Golden files: a fixed issue in, the expected HTML, text and whole message out.

Volatile fields (Date, Message-ID, MIME boundary) are normalised. After an intended template
change, regenerate with DIGEST_UPDATE_GOLDEN=1 and review the diff like code.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.editorial.curate import Section, Story
from digest.render.email import EmailRenderer, IssueView, Recipient

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

ISSUE = IssueView(
    newsletter_name="Regional Digest",
    list_name="The Weekly",
    number=7,
    period_start=date(2026, 11, 16),
    period_end=date(2026, 11, 22),
    subject="The Weekly #7: 16 – 22 Nov 2026",
    sections=(
        Section(
            "Northern Africa",
            (
                Story(
                    1,
                    "Morocco and Senegal sign a grid & hydrogen memorandum",
                    "https://maghreb.example.org/2026/11/17/memorandum/",
                    "Northern Africa",
                    ("Global ties", "Energy"),
                    3,
                    "Rabat and Dakar signed a memorandum of understanding on green hydrogen. "
                    "Engineers from both countries will train together.",
                    datetime(2026, 11, 17, 9, 15, tzinfo=UTC),
                    "https://maghreb.example.org/uploads/memorandum.jpg",
                    "Officials exchange the signed memorandum in Rabat",
                ),
            ),
        ),
        Section(
            "West Africa",
            (
                Story(
                    2,
                    "Rice farmers near Ségou swap diesel for solar pumps",
                    "https://sahel.example.org/2026/11/22/segou-solar/",
                    "West Africa",
                    ("Agriculture",),
                    2,
                    "About 340 farmers now irrigate with solar pumps, cutting fuel bills.",
                    datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
                ),
            ),
        ),
    ),
    postal_address="Regional Digest, 12 Harbour Road, Casablanca 20000, Morocco",
    base_url="https://news.example.org",
    archive_url="https://news.example.org/archive/weekly/7",
    intro="Two agreements and one harvest this week.\n\nThank you for reading.",
)
READER = Recipient(
    "amina@example.org", "https://news.example.org/u/TOKEN-U", "https://news.example.org/p/TOKEN-P"
)


def normalise(message: str) -> str:
    message = re.sub(r"^Date: .*$", "Date: <date>", message, flags=re.M)
    message = re.sub(r"^Message-ID: .*$", "Message-ID: <id>", message, flags=re.M)
    return re.sub(r"=_digest_[0-9a-f]{32}", "=_digest_<boundary>", message)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DIGEST_UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run with DIGEST_UPDATE_GOLDEN=1 once and review it")
    assert actual == path.read_bytes().decode("utf-8"), (
        f"{name} differs from the golden file; if the change is intended, "
        "regenerate with DIGEST_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.fixture(scope="module")
def rendered():  # type: ignore[no-untyped-def]
    return EmailRenderer(REPO / "templates").render(ISSUE)


def unmarked(body: str) -> str:
    """Each rendering draws its own markers: the golden files show them without their nonce."""
    return re.sub(r"(%%DIGEST_[A-Z_]+?)_[0-9a-f]{32}%%", r"\1%%", body)


def test_html_part_matches_golden(rendered) -> None:  # type: ignore[no-untyped-def]
    check_golden("digest.html", unmarked(rendered.html))


def test_text_part_matches_golden(rendered) -> None:  # type: ignore[no-untyped-def]
    check_golden("digest.txt", unmarked(rendered.text))


def test_whole_message_matches_golden(rendered) -> None:  # type: ignore[no-untyped-def]
    template = MessageTemplate(
        envelope=Envelope(
            "digest@news.example.org", "Regional Digest", "The Weekly", "weekly.news.example.org"
        ),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=rendered.markers.all(),
        now=NOW,
    )
    raw, _ = template.build(
        Personal(
            to=READER.email,
            values=READER.values(rendered.markers),
            unsubscribe_url=READER.unsubscribe_url,
            unsubscribe_mailto="mailto:unsubscribe@news.example.org?subject=unsubscribe%20TOKEN-U",
        )
    )
    check_golden("digest.eml", normalise(raw.decode("ascii")))
