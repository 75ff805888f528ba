"""Render an issue once (Jinja2 -> MJML -> HTML, and a text part), then personalise the result."""

from __future__ import annotations

import gettext
import html
import secrets
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from mjml import mjml2html

from digest.editorial.curate import Section, Story
from digest.editorial.front_page import front_page
from digest.errors import RenderError
from digest.render import language as lang
from subscribers import reader_urls


@dataclass(frozen=True)
class Markers:
    """Where each reader's values go in a rendered issue, filled in per recipient afterwards
    (rendering happens once per issue, not once per recipient).

    Each rendering draws its own markers at random: a fixed spelling could be written by a feed,
    a page or an editor into a title, a summary or an image URL, and would then receive every
    reader's working links and address. Content cannot name a marker made after it was written.
    """

    unsubscribe_url: str
    preferences_url: str
    recipient_email: str
    # Who follows a counted story link (reader_urls.click_url): a mail, the web version, a
    # preview, or with analytics.per_reader the reader's own signed part.
    story_reader: str

    @classmethod
    def drawn(cls, nonce: str | None = None) -> Markers:
        nonce = nonce or secrets.token_hex(16)
        return cls(
            f"%%DIGEST_UNSUBSCRIBE_URL_{nonce}%%",
            f"%%DIGEST_PREFERENCES_URL_{nonce}%%",
            f"%%DIGEST_RECIPIENT_EMAIL_{nonce}%%",
            f"%%DIGEST_STORY_READER_{nonce}%%",
        )

    def all(self) -> tuple[str, str, str, str]:
        return (self.unsubscribe_url, self.preferences_url, self.recipient_email, self.story_reader)


@dataclass(frozen=True)
class IssueView:
    newsletter_name: str
    list_name: str
    number: int
    period_start: date
    period_end: date
    subject: str
    sections: tuple[Section, ...]
    postal_address: str
    base_url: str
    archive_url: str  # the web version ("view in browser"): the same for every reader
    intro: str = ""  # the editor's introduction, plain text; blank lines separate paragraphs
    # The list's previous issue's stories most followed ("Most read last week"), most first.
    most_read: tuple[Story, ...] = ()
    # The list's language (BCP 47): the words, dates and direction around the stories.
    language: str = "en"
    # The story the editor chose to lead with (None: the first): the templates show it first.
    lead_article_id: int | None = None


@dataclass(frozen=True)
class RenderedIssue:
    subject: str
    html: str
    text: str
    # This rendering's own markers for the per-reader values (none in a confirmation mail).
    markers: Markers | None = None


@dataclass(frozen=True)
class ConfirmationView:
    """What the confirmation mail (double opt-in) says: to whom, for which lists, which link."""

    newsletter_name: str
    reader_name: str | None
    list_names: tuple[str, ...]
    confirm_url: str
    valid_days: float
    postal_address: str
    subject: str
    language: str = "en"  # BCP 47: the language of the lists the reader asked for


@dataclass(frozen=True)
class WelcomeView:
    """The welcome mail of a reader who has just confirmed a list."""

    newsletter_name: str
    list_name: str
    language: str  # BCP 47: the list's, which its catalogue (templates/locales) says
    reader_name: str | None
    archive_url: str
    latest_issue_url: str | None  # None before the list's first issue has gone out
    latest_issue_subject: str | None
    postal_address: str
    subject: str


@dataclass(frozen=True)
class Recipient:
    email: str
    unsubscribe_url: str
    preferences_url: str
    # Their part of the counted story links; by default a preview's, which nothing counts.
    story_reader: str = reader_urls.CLICK_PREVIEW

    def values(self, markers: Markers) -> dict[str, str]:
        """Marker of one rendering -> this recipient's value, as plain text."""
        return {
            markers.unsubscribe_url: self.unsubscribe_url,
            markers.preferences_url: self.preferences_url,
            markers.recipient_email: self.email,
            markers.story_reader: self.story_reader,
        }


class EmailRenderer:
    """Holds the Jinja environments of templates/email, one per language (its catalogue from
    templates/locales); render() is pure given the templates and catalogues.

    A template missing from templates_dir/email is read from fallback/email (the packaged
    templates), so editors keep only the ones they change; catalogues likewise."""

    def __init__(self, templates_dir: Path, fallback: Path | None = None) -> None:
        email_dir = templates_dir / "email"
        roots = [templates_dir] if fallback is None else [templates_dir, fallback]
        folders = [str(root / "email") for root in roots if (root / "email").is_dir()]
        if not folders:
            raise RenderError(
                f"{email_dir}: template folder not found",
                hint="set paths.templates in config.yaml to the folder holding email/",
            )
        self._folders = folders
        self._locale_folders = [root / lang.LOCALES_FOLDER for root in roots]
        self._languages: dict[str, tuple[jinja2.Environment, jinja2.Environment]] = {}
        self._words: dict[str, gettext.NullTranslations] = {}

    def environments(self, language: str) -> tuple[jinja2.Environment, jinja2.Environment]:
        """(MJML environment, text environment) speaking the language, made once."""
        if language not in self._languages:
            words = lang.translations(language, self._locale_folders)
            self._words[language] = words
            self._languages[language] = (
                _environment(self._folders, words, language, text=False),
                _environment(self._folders, words, language, text=True),
            )
        return self._languages[language]

    def translate(self, language: str, words: str) -> str:
        """words in the language's catalogue (a configured subject left at its default is
        translated; one the newsroom wrote is theirs, kept as it is)."""
        self.environments(language)
        return self._words[language].gettext(words)

    def render(self, issue: IssueView, markers: Markers | None = None) -> RenderedIssue:
        """The issue with markers (drawn afresh unless given) where each reader's values go."""
        markers = markers or Markers.drawn()
        intro_paragraphs = [p.strip() for p in issue.intro.split("\n\n") if p.strip()]
        lead, sections = front_page(issue.sections, issue.lead_article_id)
        context = {
            "issue": issue,
            "intro_paragraphs": intro_paragraphs,
            "lead": lead,
            "sections": sections,
            "preview": preview_line(intro_paragraphs, lead, sections),
            "unsubscribe_url": markers.unsubscribe_url,
            "preferences_url": markers.preferences_url,
            "recipient_email": markers.recipient_email,
        }
        html_out, text = self._compile("digest", context, issue.language)
        return RenderedIssue(subject=issue.subject, html=html_out, text=text, markers=markers)

    def render_confirmation(self, view: ConfirmationView) -> RenderedIssue:
        """The confirmation mail: confirm.mjml.j2 -> MJML -> HTML, confirm.txt.j2 -> text."""
        html_out, text = self._compile("confirm", {"mail": view}, view.language)
        return RenderedIssue(subject=view.subject, html=html_out, text=text)

    def render_welcome(self, view: WelcomeView, markers: Markers | None = None) -> RenderedIssue:
        """The welcome mail in the list's language, with markers for the reader's own links,
        as an issue has."""
        markers = markers or Markers.drawn()
        context = {
            "mail": view,
            "unsubscribe_url": markers.unsubscribe_url,
            "preferences_url": markers.preferences_url,
            "recipient_email": markers.recipient_email,
        }
        html_out, text = self._compile("welcome", context, view.language)
        return RenderedIssue(subject=view.subject, html=html_out, text=text, markers=markers)

    def _compile(self, name: str, context: dict[str, Any], language: str) -> tuple[str, str]:
        """(HTML from name.mjml.j2 through MJML, text from name.txt.j2), in the language."""
        env, text_env = self.environments(language)
        mjml_source = _fill(env, f"{name}.mjml.j2", context)
        text = _fill(text_env, f"{name}.txt.j2", context)
        if lang.direction(language) == "rtl":
            text = lang.mark_lines(text, "rtl")
        try:
            html_out = mjml2html(mjml_source)
        except Exception as exc:  # mjml-python raises plain exceptions for bad MJML
            raise RenderError(f"{name}.mjml.j2: MJML could not be compiled: {exc}") from None
        return html_out, text


def preview_line(
    intro_paragraphs: list[str], lead: Story | None, sections: tuple[Section, ...]
) -> str:
    """What the inbox shows after the subject: the editor's first paragraph, else the first
    title of each section after the lead (the subject names the lead), else the lead's
    summary."""
    if intro_paragraphs:
        return intro_paragraphs[0]
    titles = [section.stories[0].title for section in sections]
    return " · ".join(titles if titles or lead is None else [lead.summary])


def _environment(
    folders: list[str], words: Any, language: str, *, text: bool
) -> jinja2.Environment:
    """A Jinja environment with the language's gettext (newstyle: escaped, %(name)s) and its
    filters: period (Babel dates), number, direction_of; and lang, dir, start, end for the
    layout ("start" is left in a left-to-right language, right in Arabic)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        # Plain text: escaping would show &amp; to the reader.
        autoescape=False if text else jinja2.select_autoescape(("mjml", "html", "j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=text,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    text_direction = lang.direction(language)
    env.globals.update(
        lang=language,
        dir=text_direction,
        start="right" if text_direction == "rtl" else "left",
        end="left" if text_direction == "rtl" else "right",
        direction_of=lambda tag: lang.direction(tag or language),
    )
    env.filters["period"] = lambda start, end: lang.format_period(start, end, language)
    env.filters["number"] = lambda value: lang.format_number(value, language)
    if text:
        env.filters["wrap"] = _wrap
        # A story in the other direction than the mail's: its lines marked with their own.
        env.filters["directed"] = lambda value, tag: (
            lang.mark_lines(value, lang.direction(tag))
            if tag and lang.direction(tag) != text_direction
            else value
        )
    return env


def _fill(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateError as exc:
        # A syntax error names its file (perhaps an included one); an undefined value does not.
        where = getattr(exc, "filename", None) or getattr(exc, "name", None) or template
        line = getattr(exc, "lineno", None)
        raise RenderError(f"{where}{f':{line}' if line else ''}: {exc}") from None


def personalise(rendered: RenderedIssue, recipient: Recipient) -> tuple[str, str]:
    """(html, text) for one recipient: this rendering's markers replaced, no template work."""
    html_out, text = rendered.html, rendered.text
    if rendered.markers is None:
        return html_out, text
    for marker, value in recipient.values(rendered.markers).items():
        html_out = html_out.replace(marker, html.escape(value))
        text = text.replace(marker, value)
    return html_out, text


def _wrap(value: str, width: int = 76, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(
            para,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for para in value.split("\n")
    )
