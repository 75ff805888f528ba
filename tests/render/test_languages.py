"""A list's language around the stories (catalogues, Babel dates, direction) and each story's
own language on its card: French, Arabic right to left, English; golden text and HTML parts per
language.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.editorial.curate import Section, Story
from digest.errors import RenderError
from digest.render import language
from digest.render.email import ConfirmationView, EmailRenderer, IssueView, WelcomeView
from tests.render.test_golden import ISSUE, check_golden, unmarked

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RLM, LRM = "\u200f", "\u200e"

ARABIC_STORY = Story(
    3,
    "المغرب والسنغال يوقعان مذكرة تفاهم حول الهيدروجين الأخضر",
    "https://maghreb.example.org/ar/2026/11/18/hydrogen/",
    "شمال أفريقيا",
    ("طاقة",),
    2,
    "وقعت الرباط ودكار مذكرة تفاهم حول الهيدروجين الأخضر. هل يتدرب المهندسون معًا؟",
    datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
    language="ar",
)
FRENCH_STORY = Story(
    4,
    "À Ségou, les riziculteurs passent au pompage solaire",
    "https://sahel.example.org/fr/2026/11/20/segou/",
    "Afrique de l’Ouest",
    ("Agriculture",),
    4,
    "Quelque 340 exploitants irriguent désormais au solaire. « Le gasoil coûtait trop cher », "
    "dit l’un d’eux.",
    datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    language="fr",
)


def issue_in(tag: str) -> IssueView:
    """The golden issue in the list's language tag, with an Arabic and a French story."""
    return replace(
        ISSUE,
        language=tag,
        sections=(*ISSUE.sections, Section("Maghreb", (ARABIC_STORY, FRENCH_STORY))),
    )


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(TEMPLATES)


# Dates and numbers (Babel) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "start", "end", "expected"),
    [
        ("fr", date(2026, 11, 30), date(2026, 12, 7), "30 novembre\u2009–\u20097 décembre 2026"),
        ("fr", date(2026, 12, 1), date(2026, 12, 7), "1–7 décembre 2026"),
        ("fr", date(2026, 12, 28), date(2027, 1, 3), "28 décembre 2026\u2009–\u20093 janvier 2027"),
        ("ar", date(2026, 11, 30), date(2026, 12, 7), "30 نوفمبر – 7 ديسمبر 2026"),
        # Morocco names the months after the French ones.
        ("ar-MA", date(2026, 11, 30), date(2026, 12, 7), "30 نونبر – 7 دجنبر 2026"),
        ("en", date(2026, 11, 30), date(2026, 12, 7), "November 30\u2009–\u2009December 7, 2026"),
        ("fr", date(2026, 12, 7), date(2026, 12, 7), "7 décembre 2026"),
    ],
)
def test_period_in_the_language_with_full_month_names(
    tag: str, start: date, end: date, expected: str
) -> None:
    assert language.format_period(start, end, tag) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("ar", "rtl"), ("ar-MA", "rtl"), ("fa", "rtl"), ("he", "rtl"), ("fr", "ltr"), ("en", "ltr")],
)
def test_direction_of_a_language(tag: str, expected: str) -> None:
    assert language.direction(tag) == expected


def test_unknown_language_falls_back_to_english_left_to_right() -> None:
    assert language.direction("zz") == "ltr"
    assert language.locale_of("zz-QQ").language == "en"
    assert language.locale_of("pt-BR").territory == "BR"


# Catalogues ---------------------------------------------------------------------------------


def test_regional_tag_uses_its_language_catalogue_and_unknown_keeps_the_english() -> None:
    folders = [TEMPLATES / "locales"]
    assert language.translations("fr-CA", folders).gettext("Read more") == "Lire la suite"
    assert language.translations("sw", folders).gettext("Read more") == "Read more"


def test_arabic_plural_forms_of_reading_time() -> None:
    words = language.translations("ar", [TEMPLATES / "locales"])
    forms = [words.ngettext("%(num)s min read", "%(num)s min read", n) for n in (1, 2, 5, 11)]
    assert forms == [
        "دقيقة واحدة للقراءة",
        "دقيقتان للقراءة",
        "%(num)s دقائق للقراءة",
        "%(num)s دقيقة للقراءة",
    ]


def test_a_dropped_catalogue_adds_a_language(tmp_path: Path) -> None:
    folder = tmp_path / "locales" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "digest.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Read more"\nmsgstr "Seguir leyendo"\n',
        encoding="utf-8",
    )
    (tmp_path / "email").mkdir()
    renderer = EmailRenderer(tmp_path, fallback=TEMPLATES)
    html = renderer.render(replace(ISSUE, language="es")).html
    assert "Seguir leyendo" in html
    assert '<html lang="es" dir="ltr"' in html


def test_a_broken_catalogue_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "locales" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "digest.po").write_text('msgid "Read more"\nmsgstr "Lire" "la\nsuite\n', "utf-8")
    (tmp_path / "email").mkdir()
    with pytest.raises(RenderError, match=r"fr/LC_MESSAGES/digest\.po"):
        EmailRenderer(tmp_path, fallback=TEMPLATES).render(replace(ISSUE, language="fr"))


def test_a_compiled_catalogue_is_read_when_newer_than_its_po(tmp_path: Path) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = TEMPLATES / "locales" / "fr" / "LC_MESSAGES" / "digest.po"
    text = po.read_text(encoding="utf-8").replace('"Lire la suite"', '"Lire l’article"')
    (folder / "digest.po").write_text(text, encoding="utf-8")
    (folder / "digest.mo").write_bytes(language.compile_catalogue(folder / "digest.po"))
    assert language.translations("fr", [tmp_path]).gettext("Read more") == "Lire l’article"


# The issue in each language -----------------------------------------------------------------


def test_french_list_speaks_french_around_english_stories(renderer: EmailRenderer) -> None:
    out = renderer.render(issue_in("fr"))
    assert '<html lang="fr" dir="ltr"' in out.html
    for part in (out.html, out.text):
        assert "Numéro 7" in part
        assert "16–22 novembre 2026" in part
        assert "3 min de lecture" in part
        assert "Lire la suite" in part
        assert "Gérer mes préférences" in part
        assert "Read more" not in part
        assert "min read" not in part


def card_of(html: str, title: str) -> str:
    """The markup of the story card (its mj-text's cell) that holds the title."""
    at = html.index(title)
    start = max(html.rfind('class="st"', 0, at), html.rfind('class="ld"', 0, at))
    return html[start : html.index("</td>", at)]


def test_arabic_list_is_right_to_left_as_a_whole(renderer: EmailRenderer) -> None:
    out = renderer.render(issue_in("ar"))
    assert '<html lang="ar" dir="rtl"' in out.html
    assert "16–22 نوفمبر 2026" in out.html
    assert "اقرأ المزيد" in out.html
    assert "دقيقتان للقراءة" in out.html  # the Arabic story's two minutes: the dual
    # The masthead and the footer: mirrored (MJML's inline direction and alignment).
    assert 'style="direction:rtl;font-size:0px;padding:20px 0;text-align:right;"' in out.html
    before_french_card = out.html[: out.html.index("À Ségou")].rsplit('class="st"', 1)[0]
    assert "direction:ltr" not in before_french_card.split("</head>")[1]


def test_arabic_story_in_a_french_mail_has_its_own_direction(renderer: EmailRenderer) -> None:
    html = renderer.render(issue_in("fr")).html
    card = card_of(html, ARABIC_STORY.title)
    assert '<div lang="ar" dir="rtl" style="text-align:right">' in card
    assert ARABIC_STORY.summary in card
    # The words around it stay French, laid out left to right.
    assert '<p class="mt" lang="fr" dir="ltr">2 min de lecture' in card
    # Its image floats to its end: the left.
    assert card.count("<img") == 0 or 'align="left"' in card


def test_french_story_in_an_arabic_mail_is_left_to_right(renderer: EmailRenderer) -> None:
    out = renderer.render(issue_in("ar"))
    card = card_of(out.html, "À Ségou")
    assert '<div lang="fr" dir="ltr" style="text-align:left">' in card
    assert '<p class="mt" lang="ar" dir="rtl">' in card
    # Its lines in the text part start left to right, the Arabic mail's right to left.
    lines = out.text.splitlines()
    assert LRM + FRENCH_STORY.title in lines
    assert all(
        line.startswith((RLM, LRM))
        for line in lines
        if line and not line.startswith(("http", "%%"))
    )


def test_french_summary_and_title_in_the_text_part_of_an_arabic_mail_only(
    renderer: EmailRenderer,
) -> None:
    text = renderer.render(issue_in("fr")).text
    lines = text.splitlines()
    assert RLM + ARABIC_STORY.title in lines
    assert not any(line.startswith(RLM) for line in lines if "Ségou" in line)


def test_links_alone_on_their_line_carry_no_mark(renderer: EmailRenderer) -> None:
    text = renderer.render(issue_in("ar")).text
    assert ARABIC_STORY.url in text.splitlines()
    assert re.search(r"^%%DIGEST_UNSUBSCRIBE_URL_[0-9a-f]{32}%%$", text, re.M)


@pytest.mark.parametrize("tag", ["en", "fr", "ar"])
def test_text_part_matches_golden_per_language(renderer: EmailRenderer, tag: str) -> None:
    check_golden(f"digest.{tag}.txt", unmarked(renderer.render(issue_in(tag)).text))


@pytest.mark.parametrize("tag", ["en", "fr", "ar"])
def test_html_part_matches_golden_per_language(renderer: EmailRenderer, tag: str) -> None:
    check_golden(f"digest.{tag}.html", unmarked(renderer.render(issue_in(tag)).html))


# Confirmation and welcome -------------------------------------------------------------------


def confirmation(tag: str) -> ConfirmationView:
    return ConfirmationView(
        newsletter_name="Coast Digest",
        reader_name="Awa Ndiaye",
        list_names=("La Lettre",),
        confirm_url="https://news.example.org/confirm/TOKEN",
        valid_days=7,
        postal_address="Coast Digest, Dakar",
        subject="",
        language=tag,
    )


def test_confirmation_mail_in_french_and_arabic(renderer: EmailRenderer) -> None:
    fr = renderer.render_confirmation(confirmation("fr"))
    assert '<html lang="fr" dir="ltr"' in fr.html
    for part in (fr.html, fr.text):
        assert "Bonjour Awa Ndiaye," in part
        assert "Le lien est valable 7 jours." in part
    ar = renderer.render_confirmation(confirmation("ar"))
    assert '<html lang="ar" dir="rtl"' in ar.html
    assert "الرابط صالح لمدة 7 أيام." in ar.html
    assert "تأكيد اشتراكي" in ar.html


def test_welcome_mail_in_arabic_and_its_subject_translated(renderer: EmailRenderer) -> None:
    view = WelcomeView(
        newsletter_name="Coast Digest",
        list_name="النشرة",
        language="ar",
        reader_name=None,
        archive_url="https://news.example.org/archive/ar",
        latest_issue_url=None,
        latest_issue_subject=None,
        postal_address="Coast Digest, Dakar",
        subject="",
    )
    out = renderer.render_welcome(view)
    assert '<html lang="ar" dir="rtl"' in out.html
    assert "مرحبًا بك في النشرة" in out.html
    assert 'href="https://news.example.org/archive/ar"' in out.html
    assert renderer.translate("ar", "Welcome to {list}") == "مرحبًا بك في {list}"
    assert renderer.translate("fr", "Welcome aboard, {list}!") == "Welcome aboard, {list}!"
