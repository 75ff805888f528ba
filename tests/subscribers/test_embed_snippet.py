"""The sign-up form other sites paste: in its list's language, the consent sentence included."""

from __future__ import annotations

from pathlib import Path

from digest.render.language import translations
from subscribers.embed import embed_snippet
from subscribers.reader_page import DEFAULT_CONSENT
from subscribers.reader_words import Words

LOCALES = Path(__file__).resolve().parents[2] / "templates" / "locales"


def saying(language: str):  # type: ignore[no-untyped-def]
    words = translations(language, [LOCALES])
    return lambda said: words.gettext(said.text) % dict(said.values)


def test_an_arabic_lists_snippet_is_arabic_right_to_left() -> None:
    snippet = embed_snippet(
        "https://news.example.org",
        "weekly",
        "The <Weekly>",
        DEFAULT_CONSENT,
        say=saying("ar"),
        language="ar",
        direction="rtl",
    )
    assert snippet.startswith('<form method="post" action="https://news.example.org/subscribe"')
    assert 'lang="ar" dir="rtl"' in snippet
    assert "البريد الإلكتروني" in snippet and "اشترك في The &lt;Weekly&gt;" in snippet
    assert "نعم، أرسل إليّ القوائم التي حددتها" in snippet
    for english in ("Email address", "Your name", "Leave this empty", "Subscribe", "Yes, send"):
        assert english not in snippet


def test_a_sites_own_consent_sentence_is_kept_as_written_and_escaped() -> None:
    snippet = embed_snippet(
        "https://news.example.org", "weekly", "The Weekly", "Oui & <b>merci</b> 100%"
    )
    assert "<p>Oui &amp; &lt;b&gt;merci&lt;/b&gt; 100%</p>" in snippet
    assert 'lang="en" dir="ltr"' in snippet and "Email address" in snippet
    assert isinstance(DEFAULT_CONSENT, Words)
