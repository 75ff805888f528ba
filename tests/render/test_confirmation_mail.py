"""The confirmation mail's templates: the link in both parts, the reader's name escaped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.errors import RenderError
from digest.render.email import ConfirmationView, EmailRenderer

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LINK = "https://news.example.org/confirm/WzEsMiwxNzY0MDAwMDAwXQ.abc-DEF_123"


def view(name: str | None = "Awa Ndiaye") -> ConfirmationView:
    return ConfirmationView(
        newsletter_name="Coast Digest",
        reader_name=name,
        list_names=("The Weekly", "Culture Notes"),
        confirm_url=LINK,
        valid_days=7,
        postal_address="Coast Digest, 1 Harbour Road, Dakar",
        subject="Please confirm your subscription to Coast Digest",
    )


def test_both_parts_carry_the_link_the_lists_and_how_long_it_works() -> None:
    mail = EmailRenderer(TEMPLATES).render_confirmation(view())

    assert mail.subject == "Please confirm your subscription to Coast Digest"
    assert f'href="{LINK}"' in mail.html
    assert LINK in mail.text.splitlines()
    for part in (mail.html, mail.text):
        assert "The Weekly, Culture Notes" in part
        assert "7 days" in part
        assert "Hello Awa Ndiaye," in part
        assert "Coast Digest, 1 Harbour Road, Dakar" in part


def test_the_readers_name_is_text_in_the_html() -> None:
    mail = EmailRenderer(TEMPLATES).render_confirmation(view('<b onclick="x()">Eve</b>'))

    assert "<b onclick" not in mail.html
    assert "&lt;b onclick=&#34;x()&#34;&gt;Eve&lt;/b&gt;" in mail.html
    assert EmailRenderer(TEMPLATES).render_confirmation(view(None)).text.count("Hello,") == 1


def test_a_broken_template_names_itself(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES / "email", tmp_path / "email")
    (tmp_path / "email" / "confirm.mjml.j2").write_text("<mjml>{{ mail.nope }}</mjml>")

    with pytest.raises(RenderError, match=r"confirm\.mjml\.j2"):
        EmailRenderer(tmp_path).render_confirmation(view())
