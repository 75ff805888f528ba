"""A list's language: its gettext catalogue, its direction, its dates and numbers (Babel)."""

from __future__ import annotations

import gettext
import io
import re
import string
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, parse_pattern
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message, TranslationError
from babel.messages.checkers import python_format
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from babel.support import Translations

from digest.errors import RenderError

# templates/locales/LANG/LC_MESSAGES/digest.po: the catalogue of one language; its .mo is
# compiled when the package is built, and in memory from the .po in a checkout without one.
DOMAIN = "digest"
LOCALES_FOLDER = "locales"
_SHORT_MONTH = re.compile(r"(?<!M)MMM(?!M)")
# Unicode marks that set a plain-text line's direction (the first strong character decides).
LRM = "\u200e"
RLM = "\u200f"


def N_(words: str) -> str:
    """Marks words for the catalogue (pybabel extract -k N_) that are translated later."""
    return words


# The configured words that have a translation while left at their default (config_sections).
CONFIGURED_WORDS = (
    N_("Please confirm your subscription to {newsletter}"),
    N_("Welcome to {list}"),
)


def locale_of(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag (pt-BR, ar-MA), else of its language, else English."""
    for candidate in (tag, tag.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale("en")


def direction(tag: str | None) -> str:
    """ "rtl" for a language written right to left (ar, fa, he, ur…), else "ltr"."""
    return "rtl" if tag and locale_of(tag).text_direction == "rtl" else "ltr"


def format_period(start: date, end: date, tag: str) -> str:
    """The days from start to end with full month names in the language: « 30 novembre –
    7 décembre 2026 », « 30 نوفمبر – 7 ديسمبر 2026 », "November 30 – December 7, 2026"."""
    locale = locale_of(tag)
    if start == end:
        return format_skeleton("yMMMMd", start, locale=locale)
    formats = locale.interval_formats.get("yMMMd") or {}
    # The greatest field that differs picks the pattern (CLDR intervalFormats): the month
    # is said once when the two days share it. Babel has no yMMMMd interval: MMM made MMMM.
    for field, differs in (
        ("y", start.year != end.year),
        ("M", start.month != end.month),
        ("d", True),
    ):
        if differs and field in formats:
            return "".join(
                parse_pattern(_SHORT_MONTH.sub("MMMM", pattern)).apply(day, locale)
                for pattern, day in zip(formats[field], (start, end), strict=False)
            )
    fallback = str(locale.interval_formats.get(None) or "{0} – {1}")
    return fallback.replace("{0}", format_period(start, start, tag)).replace(
        "{1}", format_period(end, end, tag)
    )


def format_day(day: date, tag: str) -> str:
    """One day with its month's full name: « 7 décembre 2026 », "December 7, 2026"."""
    return format_skeleton("yMMMMd", day, locale=locale_of(tag))


def format_number(value: float, tag: str) -> str:
    return format_decimal(value, locale=locale_of(tag))


def mark_lines(text: str, text_direction: str) -> str:
    """Each line of plain text begun with the mark of its direction (RLM or LRM), so a
    reader's client sets it right to left or left to right whatever its first letter is.
    Lines that are only a link stay as they are (a mark could stick to the copied address)."""
    mark = RLM if text_direction == "rtl" else LRM
    return "\n".join(
        line if not line.strip() or line.startswith((LRM, RLM)) or _is_link(line) else mark + line
        for line in text.split("\n")
    )


def _is_link(line: str) -> bool:
    return line.startswith(("http://", "https://", "%%")) and " " not in line.strip()


def _folder_names(tag: str) -> list[str]:
    """Catalogue folders for a tag, most precise first: pt-BR -> pt_BR, pt-BR, pt."""
    language = tag.split("-")[0]
    names = [tag.replace("-", "_"), tag, language]
    return list(dict.fromkeys(names))


def translations(tag: str, folders: list[Path]) -> gettext.NullTranslations:
    """The catalogue of the language in the first folder that has one (LANG/LC_MESSAGES/
    digest.mo, or its .po compiled in memory when the .mo is missing or older); none: the
    templates' own (English) words. A translation whose placeholders do not fit its message
    is left out (fitting), so those words are said in English rather than stop a send."""
    for name in _folder_names(tag):
        for folder in folders:
            base = folder / name / "LC_MESSAGES" / DOMAIN
            po, mo = base.with_suffix(".po"), base.with_suffix(".mo")
            if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
                with mo.open("rb") as stream:
                    catalog = read_mo(stream)
            elif po.is_file():
                catalog = _read_catalogue(po)
            else:
                continue
            fitting(catalog)
            out = io.BytesIO()
            write_mo(out, catalog, use_fuzzy=False)
            out.seek(0)
            return Translations(out, domain=DOMAIN)
    return gettext.NullTranslations()


def compile_catalogue(po: Path) -> bytes:
    """The .mo bytes of a .po file; a broken catalogue is an error naming it."""
    out = io.BytesIO()
    write_mo(out, _read_catalogue(po), use_fuzzy=False)
    return out.getvalue()


def unfit_translations(po: Path) -> list[str]:
    """The messages of a .po file whose translation does not fit (see fitting)."""
    return fitting(_read_catalogue(po))


def fitting(catalog: Catalog) -> list[str]:
    """Empties, in place, each translation (each plural form alone) that would fail where it
    is filled in, and returns their messages: a %-message (Jinja's _() formats every message,
    the pages' Words too) whose translation names a value the message does not, mixes named
    and positional values or has a lone "%"; a {}-message (the configured subjects, filled
    by str.format) whose translation names another value or leaves a brace open. An empty
    translation is the English message (gettext, Babel's write_mo)."""
    unfit: list[str] = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        kept = [form if not form or _fits(ids, form) else "" for form in forms]
        if kept != list(forms):
            unfit.append(ids[0])
            message.string = tuple(kept) if isinstance(message.string, (list, tuple)) else ""
    return unfit


def _fits(ids: tuple[str, ...], form: str) -> bool:
    braces = [n for text in ids for _t, n, _s, _c in string.Formatter().parse(text) if n]
    if braces and not PYTHON_FORMAT.search(ids[0]):
        try:
            form.format(**dict.fromkeys(braces, ""))
        except (KeyError, IndexError, ValueError):
            return False
        return True
    try:
        python_format(None, Message(ids if len(ids) > 1 else ids[0], form))
        names = {m.group(1) for text in ids for m in PYTHON_FORMAT.finditer(text) if m.group(1)}
        form % _NamedOnly.fromkeys(names, 0)
    except (TranslationError, KeyError, ValueError, TypeError):
        return False
    return True


class _NamedOnly(dict[str, int]):
    """Values by name; a positional placeholder ("%s", "% a" of "100 % au moins") would be
    handed the whole mapping, so saying it is an error."""

    def __str__(self) -> str:
        raise TypeError("a positional placeholder")

    __repr__ = __str__


def _read_catalogue(po: Path) -> Catalog:
    """A .po file read; a broken catalogue is an error naming it."""
    try:
        with po.open("rb") as stream:
            return read_po(stream, locale=po.parent.parent.name, abort_invalid=True)
    except (PoFileError, UnknownLocaleError, ValueError, UnicodeDecodeError) as exc:
        raise RenderError(
            f"{po}: the catalogue cannot be read: {exc}",
            hint="fix the .po file (msgfmt --check shows where) or remove it",
        ) from None
