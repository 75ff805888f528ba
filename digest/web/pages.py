"""HTML pages from templates/web (Jinja2, autoescaped) with what every page shows."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from digest.config import Settings
from digest.errors import ConfigError
from digest.web.sessions import csrf_token, pop_flash, signed_in_editor


class Pages:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.resolve(settings.paths.templates) / "web"
        if not self.folder.is_dir():
            raise ConfigError(
                f"{self.folder}: web template folder not found",
                hint="set paths.templates in config.yaml to the folder holding web/",
            )
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            autoescape=True,  # every value is text; markup comes only from the templates
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates = Jinja2Templates(env=env)

    @property
    def static_folder(self) -> Path:
        return self.folder / "static"

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        full = {
            "newsletter_name": self.settings.newsletter.name,
            "editor": signed_in_editor(request, self.settings),
            # Called by the templates that hold a form: pages without one set no cookie.
            "csrf_token": lambda: csrf_token(request),
            "flash": pop_flash(request),
            **(context or {}),
        }
        return self._templates.TemplateResponse(
            request, name, full, status_code=status_code, headers=headers
        )
