"""An article's language: read from its own text; a declared tag kept only when it agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.collect.language import article_language, detect_language

CORPUS = Path(__file__).parent / "languages"
FRENCH = (
    "Le conseil municipal a voté mardi soir le nouveau plan de circulation du centre-ville, "
    "après trois heures de débat et malgré l'opposition des commerçants du port."
)
ARABIC = (
    "صوّت المجلس البلدي مساء الثلاثاء على خطة السير الجديدة لوسط المدينة بعد نقاش دام ثلاث "
    "ساعات رغم معارضة تجار الميناء."
)


def corpus(name: str) -> list[tuple[str, str]]:
    rows = (line.split("\t", 1) for line in (CORPUS / name).read_text("utf-8").splitlines())
    return [(lang, text) for lang, text in rows]


def test_the_feeds_language_is_not_copied_over_a_french_item() -> None:
    assert article_language(FRENCH, ["ar"]) == "fr"
    assert article_language(ARABIC, [None, "fr", "fr"]) == "ar"


def test_a_declared_tag_that_agrees_is_kept_with_its_region() -> None:
    assert article_language(FRENCH, ["fr_ca", "fr"]) == "fr-CA"
    assert article_language(FRENCH, ["ar-MA", "FR-fr"]) == "fr-FR"


def test_a_text_too_short_to_tell_takes_the_most_specific_declaration() -> None:
    assert detect_language("Comments") is None
    assert article_language("Comments", [None, "en-GB", "fr"]) == "en-GB"
    assert article_language("Photo", []) is None


def test_declarations_that_are_no_language_tag_are_ignored() -> None:
    assert article_language("Photo", ["français", "und", "en us", "x" * 50]) is None


@pytest.mark.parametrize("part", ["tuned.tsv", "heldout.tsv"])
def test_real_french_arabic_and_english_text_is_recognised_despite_a_wrong_declaration(
    part: str,
) -> None:
    # Translations people wrote (Django's catalogues, see languages/README.md), each with the
    # feed's wrong <language> as the only declaration: the text must win.
    rows = corpus(part)
    assert {lang for lang, _ in rows} == {"ar", "en", "fr"}
    right = sum(article_language(text, ["ar"]) == lang for lang, text in rows)
    assert right / len(rows) >= 0.97, f"{right}/{len(rows)}"
