"""SpamAssassin's offline rules on a whole 40-story message: no point for the design itself (the
hidden preheader once scored HTML_FONT_LOW_CONTRAST, the images HTML_IMAGE_RATIO_08). Skipped
where spamassassin is not installed (apt-get install -y spamassassin)."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.delivery import message
from digest.render.email import EmailRenderer
from tests.render.big_issue import message_of, spam_status

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin is not installed")
def test_the_digest_scores_nothing_with_spamassassins_offline_rules() -> None:
    raw = message_of(EmailRenderer(TEMPLATES), message, "{lead} · {name}", datetime.now(UTC))

    status = spam_status(raw)
    score = re.search(r"score=(-?[\d.]+)", status)
    assert score is not None, status
    assert float(score.group(1)) <= 0, status
    assert "HTML_FONT_LOW_CONTRAST" not in status and "HTML_IMAGE_RATIO" not in status, status
