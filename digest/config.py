"""config.yaml -> typed, validated settings; DIGEST_SECTION__KEY variables override it."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from digest.config_analytics import AnalyticsSettings
from digest.config_sections import (
    ApiSettings,
    CollectSettings,
    DatabaseSettings,
    DeliverySettings,
    EditorialSettings,
    ListSettings,
    NewsletterSettings,
    PathSettings,
    ReaderSettings,
    Section,
    SecuritySettings,
    ServiceSettings,
    SourceSettings,
    WebSettings,
)
from digest.errors import ConfigError

ENV_PREFIX = "DIGEST_"


class Settings(Section):
    newsletter: NewsletterSettings = NewsletterSettings()
    database: DatabaseSettings = DatabaseSettings()
    collect: CollectSettings = CollectSettings()
    editorial: EditorialSettings = EditorialSettings()
    sources: list[SourceSettings] = Field(default_factory=list)
    lists: list[ListSettings] = Field(default_factory=list)
    delivery: DeliverySettings = DeliverySettings()
    web: WebSettings = WebSettings()
    paths: PathSettings = PathSettings()
    security: SecuritySettings = SecuritySettings()
    service: ServiceSettings = ServiceSettings()
    readers: ReaderSettings = ReaderSettings()
    api: ApiSettings = ApiSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    # Where the file was read from; relative paths above are resolved against its folder.
    config_path: Path = Path("config.yaml")

    @model_validator(mode="after")
    def _names_are_consistent(self) -> Settings:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("sources: every source needs a distinct name")
        slugs = [lst.slug for lst in self.lists]
        if len(set(slugs)) != len(slugs):
            raise ValueError("lists: every list needs a distinct slug")
        for lst in self.lists:
            unknown = sorted(set(lst.sources or []) - set(names))
            if unknown:
                raise ValueError(f"lists: {lst.slug}: unknown source(s) {unknown}")
        return self

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def mailing_list(self, slug: str) -> ListSettings:
        for lst in self.lists:
            if lst.slug == slug:
                return lst
        raise ConfigError(
            f"{self.config_path.name}: lists: no list with slug {slug!r}",
            hint=f"known lists: {', '.join(lst.slug for lst in self.lists) or 'none'}",
        )

    def counts_clicks(self, slug: str) -> bool:
        """Whether this list's story links go through the counting redirect."""
        own = self.mailing_list(slug).clicks
        return self.analytics.enabled if own is None else own

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        return path if path.is_absolute() else self.config_path.parent / path

    @property
    def database_url(self) -> str:
        """database.url with a relative SQLite path made relative to the config file."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix) :]
            if rest and not rest.startswith(":memory:"):
                return prefix + str(self.resolve(Path(rest)).resolve())
        return url


def load_settings(
    path: Path | str = "config.yaml", environ: Mapping[str, str] | None = None
) -> Settings:
    """Read, merge environment overrides and validate; raise ConfigError naming file and key."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found",
            hint="run from the project folder or pass --config PATH",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: {problem}", hint="fix the YAML syntax") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    if "config_path" in raw:
        raise ConfigError(f"{path}: config_path: unknown key")
    overridden = _apply_env_overrides(raw, environ)
    raw["config_path"] = path.resolve()
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, exc, overridden) from None


def _apply_env_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """DIGEST_DELIVERY__SMTP__PORT=2525 sets delivery.smtp.port; returns key path -> variable."""
    sections = set(Settings.model_fields) - {"config_path"}
    overridden: dict[str, str] = {}
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        if keys[0] not in sections or not all(keys):
            continue  # DIGEST_SECRET_KEY and friends are not overrides
        node = raw
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        try:
            node[keys[-1]] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            node[keys[-1]] = value
        overridden[".".join(keys)] = name
    return overridden


_MESSAGES = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "missing": "required key is missing",
    "path_type": "expected a file path",
}


# Keys digest once read, with what replaced them: an old config names its fix, not only "unknown".
_REMOVED_KEYS = {
    "security.allow_dev_secret": (
        "removed: there is no development secret any more; delete this key (without the "
        "variable named by security.secret_key_env, digest makes a random secret once and "
        "keeps it in security.secret_file)"
    ),
}


def _config_error(path: Path, exc: ValidationError, overridden: dict[str, str]) -> ConfigError:
    lines = []
    for err in exc.errors():
        loc = _format_loc(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden" and loc in _REMOVED_KEYS:
            message = _REMOVED_KEYS[loc]
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(err["loc"][:-1])
            closest = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
            message = "unknown key" + (f", did you mean {closest[0]!r}?" if closest else "")
            message += f" (expected one of: {', '.join(allowed)})" if allowed else ""
        elif kind == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"expected one of {expected}"
        elif kind in _MESSAGES:
            message = _MESSAGES[kind]
        else:
            message = str(err["msg"]).lower()
        if kind not in ("missing", "extra_forbidden") and not isinstance(err.get("input"), dict):
            message += f" (got {err.get('input')!r})"
        origin = overridden.get(loc)
        where = f"{origin} (overrides {path.name})" if origin else str(path)
        lines.append(f"{where}: {loc}: {message}" if loc else f"{where}: {message}")
    first, rest = lines[0], lines[1:]
    hint = "fix the key in config.yaml (every key is documented there)"
    if rest:
        hint = f"{len(rest)} more: " + "; ".join(rest)
    return ConfigError(first, hint=hint)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = inner[0] if inner else annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
    return sorted(k for k in model.model_fields if k != "config_path")
