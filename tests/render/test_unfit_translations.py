"""A translation whose placeholders do not fit its message (a name the code does not pass, a
stray %, a brace left open) gives way to the English words: a newsroom's catalogue slip must
not stop a send or a reader's page."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from digest.render import language
from digest.render.email import EmailRenderer, personalise
from tests.render.big_issue import big_issue
from tests.render.test_golden import READER

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SHIPPED = TEMPLATES / "locales"

# msgstr as shipped -> as a hurried translator might have left it
SLIPS = {
    "fr": {
        'msgstr "Lire la suite : %(title)s"': 'msgstr "Lire la suite : %(titre)s"',
        'msgstr "Lire la suite"': 'msgstr "Lire 100 % la suite"',
        'msgstr "Bienvenue dans {list}"': 'msgstr "Bienvenue dans {liste"',
    },
    "ar": {'msgstr[3] "%(num)s دقائق للقراءة"': 'msgstr[3] "%(n)s دقائق للقراءة"'},
}


def slipped(tmp_path: Path, tag: str, *, compiled: bool) -> Path:
    """A locales folder holding the shipped catalogue of tag with its slips, as .po or .mo."""
    folder = tmp_path / "locales" / tag / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = (SHIPPED / tag / "LC_MESSAGES" / "digest.po").read_text(encoding="utf-8")
    for shipped, slip in SLIPS[tag].items():
        assert shipped in text, f"the shipped {tag} catalogue changed: {shipped}"
        text = text.replace(shipped, slip)
    (folder / "digest.po").write_text(text, encoding="utf-8")
    if compiled:
        (folder / "digest.mo").write_bytes(language.compile_catalogue(folder / "digest.po"))
        (folder / "digest.po").unlink()
    return tmp_path / "locales"


@pytest.mark.parametrize("compiled", [False, True], ids=["po", "mo"])
def test_unfit_translations_give_way_to_english_and_the_rest_stays(
    tmp_path: Path, compiled: bool
) -> None:
    words = language.translations("fr", [slipped(tmp_path, "fr", compiled=compiled)])

    assert words.gettext("Read more: %(title)s") == "Read more: %(title)s"
    assert words.gettext("Read more") == "Read more"
    assert words.gettext("Welcome to {list}").format(list="Sahel") == "Welcome to Sahel"
    assert words.gettext("Top story") == "À la une"


def test_one_unfit_plural_form_gives_way_alone(tmp_path: Path) -> None:
    shipped = language.translations("ar", [SHIPPED])
    words = language.translations("ar", [slipped(tmp_path, "ar", compiled=False)])
    message = ("%(num)s min read", "%(num)s min read")

    for n in (0, 1, 2, 11, 100):  # forms 0, 1, 2, 4, 5: as shipped
        assert words.ngettext(*message, n) == shipped.ngettext(*message, n)
    assert words.ngettext(*message, 5) == "%(num)s min read"  # form 3: English


def test_an_issue_renders_through_a_slipped_catalogue(tmp_path: Path) -> None:
    slipped(tmp_path, "fr", compiled=False)
    (tmp_path / "email").mkdir()
    renderer = EmailRenderer(tmp_path, fallback=TEMPLATES)
    issue = big_issue(3, "fr")

    html, _ = personalise(renderer.render(issue), READER)

    page = lxml.html.document_fromstring(html)
    names = [link.get("aria-label") for link in page.xpath("//a[@aria-label]")]
    lead = page.xpath("//h3")[0].text_content()
    assert names == [f"Read more: {lead}"]
    assert "À LA UNE" in html
    subject = renderer.translate("fr", "Welcome to {list}").format(list=issue.list_name)
    assert subject == f"Welcome to {issue.list_name}"


def test_the_shipped_catalogues_have_no_unfit_translation() -> None:
    for tag in ("en", "fr", "ar"):
        assert language.unfit_translations(SHIPPED / tag / "LC_MESSAGES" / "digest.po") == []
