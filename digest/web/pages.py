"""HTML pages from templates/web (Jinja2, autoescaped) with what every page shows."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.templating import Jinja2Templates

from digest.config import Settings
from digest.errors import ConfigError
from digest.packaged_files import packaged_templates
from digest.render import language as lang
from digest.web.sessions import csrf_token, pop_flash, role_of, signed_in_editor
from subscribers.reader_words import Words


class Pages:
    """The web templates of the config's templates folder; any page or static file it lacks
    is taken from the packaged templates."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        own = settings.resolve(settings.paths.templates) / "web"
        self.folders = [d for d in (own, packaged_templates() / "web") if d.is_dir()]
        if not self.folders:
            raise ConfigError(
                f"{own}: web template folder not found",
                hint="set paths.templates in config.yaml to the folder holding web/",
            )
        roots = (settings.resolve(settings.paths.templates), packaged_templates())
        self._locale_folders = [root / lang.LOCALES_FOLDER for root in roots]
        self._languages: dict[str, Jinja2Templates] = {}
        self._catalogues: dict[str, gettext.NullTranslations] = {}
        self._templates = self._speaking("en")

    def _speaking(self, language: str) -> Jinja2Templates:
        """The pages in a language (a reader page's list's): its catalogue, lang and dir."""
        if language not in self._languages:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(d) for d in self.folders]),
                autoescape=True,  # every value is text; markup comes only from the templates
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            words = self._catalogue(language)
            env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(lang=language, dir=lang.direction(language))
            env.filters["day"] = lambda value: lang.format_day(value, language)
            env.filters["say"] = _saying(words)
            self._languages[language] = Jinja2Templates(env=env)
        return self._languages[language]

    def _catalogue(self, language: str) -> gettext.NullTranslations:
        if language not in self._catalogues:
            self._catalogues[language] = lang.translations(language, self._locale_folders)
        return self._catalogues[language]

    def say(self, words: Words, language: str) -> str:
        """Words in a language as plain text (what a page shows, unescaped)."""
        return self._catalogue(language).gettext(words.text) % dict(words.values)

    def static_files(self) -> StaticFiles:
        """/static: each file from the first folder's static/ that holds it."""
        return LayeredStaticFiles([d / "static" for d in self.folders if (d / "static").is_dir()])

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        editor = signed_in_editor(request, self.settings)
        full = {
            "newsletter_name": self.settings.newsletter.name,
            "editor": editor,
            # Admins' menu shows readers, sources and editors; an editor's shows issues only.
            "is_admin": role_of(self.settings, editor) == "admin",
            # Called by the templates that hold a form: pages without one set no cookie.
            "csrf_token": lambda: csrf_token(request),
            "flash": pop_flash(request),
            **(context or {}),
        }
        # A reader page of a list speaks its language (lists[].language); the rest English.
        templates = self._speaking(str(full.get("language") or "en"))
        return templates.TemplateResponse(
            request, name, full, status_code=status_code, headers=headers
        )


def _saying(words: gettext.NullTranslations) -> Callable[[Words | str], Markup | str]:
    """The `say` filter: Words from code translated, their values escaped into them; a plain
    string (an editor's page's message) shown as it is, escaped."""

    def say(value: Words | str) -> Markup | str:
        if isinstance(value, Words):
            return Markup(words.gettext(value.text)) % dict(value.values)
        return value

    return say


class LayeredStaticFiles(StaticFiles):
    """Starlette's StaticFiles over several folders, looked up in order (its packages= would
    look inside importable packages only)."""

    def __init__(self, folders: list[Path]) -> None:
        self._folders = folders
        super().__init__(check_dir=False)

    def get_directories(
        self,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
    ) -> list[PathLike]:
        return list(self._folders)
