"""The sections of config.yaml as frozen pydantic models, each validating its own keys."""

from __future__ import annotations

import ipaddress
import re
import string
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cssselect
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from digest.cadence import parse_schedule


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What config.yaml ships, and the defaults: fine for the file outbox, refused through SMTP
# (mail from a domain that is not the sender's, with a postal address nobody is at).
SHIPPED_FROM_ADDRESS = "digest@news.example.org"
SHIPPED_POSTAL_ADDRESS = "Regional Digest, 12 Harbour Road, Casablanca 20000, Morocco"


# C0 and C1 controls and the Unicode line breaks: a name said in a header (From, Subject,
# List-Id) may hold none; the email package and mail servers refuse them.
_HEADER_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_text(value: str) -> str:
    """value, when a mail header can say it; else a ValueError naming the character."""
    control = _HEADER_CONTROL.search(value)
    if control:
        raise ValueError(
            f"a name said in mail headers cannot hold a control character "
            f"(U+{ord(control.group()):04X}, a line break?)"
        )
    return value


class NewsletterSettings(Section):
    name: str = "Regional Digest"
    base_url: str = "https://news.example.org"
    from_address: str = SHIPPED_FROM_ADDRESS
    from_name: str | None = None
    reply_to: str | None = None
    postal_address: str = SHIPPED_POSTAL_ADDRESS

    @field_validator("name", "from_name")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        return value if value is None else header_text(value)

    def shipped_placeholders(self) -> list[tuple[str, str]]:
        """The keys (and values) still holding what config.yaml ships."""
        shipped = (
            ("from_address", self.from_address, SHIPPED_FROM_ADDRESS),
            ("postal_address", self.postal_address, SHIPPED_POSTAL_ADDRESS),
        )
        return [(key, value) for key, value, placeholder in shipped if value == placeholder]

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("expected an absolute http(s) URL such as https://news.example.org")
        return value.rstrip("/")

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError("expected an email address such as digest@news.example.org")
        return value


class DatabaseSettings(Section):
    url: str = "sqlite:///digest.db"
    echo: bool = False


class CollectSettings(Section):
    timeout_seconds: float = Field(15.0, gt=0)
    max_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    concurrency: int = Field(8, ge=1)
    user_agent: str = "digest/0.1 (+https://news.example.org/about-digest)"
    teaser_words: int = Field(120, ge=0)
    # Safe and fast fetching, source health.
    connect_timeout_seconds: float = Field(5.0, gt=0)
    # A whole fetch (every redirect hop and the body) ends after this, however slowly bytes drip.
    deadline_seconds: float = Field(60.0, gt=0)
    per_host_concurrency: int = Field(2, ge=1)
    # Hosts or networks (127.0.0.1, intranet.example.org, 10.0.0.0/8) that may be fetched even
    # though they resolve to loopback/private/link-local/multicast/reserved addresses.
    allow_private_hosts: list[str] = Field(default_factory=list)
    failing_after: int = Field(3, ge=1)
    # Worker processes extracting article pages; 0 uses one per CPU core.
    extract_workers: int = Field(0, ge=0)
    # Bounds on one feed's parsing (entity expansion is bounded by max_bytes).
    max_entries: int = Field(1000, ge=1)
    parse_timeout_seconds: float = Field(20.0, gt=0)
    parse_memory_mb: int = Field(512, ge=32)

    @field_validator("allow_private_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host.strip() or ("/" in host and not _is_network(host)):
                raise ValueError(f"expected a host name, an IP address or a network ({host!r})")
        return [h.strip().lower() for h in value]


class LlmSettings(Section):
    """An OpenAI-compatible chat-completions endpoint (editorial.summariser: llm)."""

    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str | None = "DIGEST_LLM_API_KEY"
    timeout_seconds: float = Field(30.0, gt=0)
    max_concurrency: int = Field(4, ge=1, le=64)

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("expected an http(s) URL such as https://api.example.com/v1")
        return value.rstrip("/")


class TagRuleSettings(Section):
    tag: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    min_matches: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _compiles(self) -> TagRuleSettings:
        if not any(k.strip() for k in self.keywords) and not any(self.patterns):
            raise ValueError("expected at least one of keywords or patterns")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"patterns: {pattern!r} is not a regular expression: {exc}"
                ) from None
        return self


class EditorialSettings(Section):
    words_per_minute: int = Field(230, ge=1)
    seconds_per_image: int = Field(12, ge=0)
    summary_words: int = Field(60, ge=5)
    summary_sentences: int = Field(2, ge=1)
    max_tags: int = Field(5, ge=0)
    summariser: Literal["extractive", "llm"] = "extractive"
    llm: LlmSettings = LlmSettings()
    tag_synonyms: dict[str, str] = Field(default_factory=dict)
    tag_rules: list[TagRuleSettings] = Field(default_factory=list)
    infer_region: bool = True
    gazetteer: dict[str, list[str]] = Field(default_factory=dict)


class SourceSettings(Section):
    name: str = Field(max_length=200)  # sources.name and .region are String(200)
    url: str | None = None
    file: Path | None = None
    # A file source's item pages are read only from inside this folder (default: the feed
    # file's own folder and the pages/ folder beside it, as the bundled samples lie).
    pages_dir: Path | None = None
    region: str = Field("", max_length=200)
    tags: list[str] = Field(default_factory=list)
    # CSS selector of the article body on this site, for pages automatic extraction gets wrong.
    selector: str | None = None

    @field_validator("selector")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                cssselect.GenericTranslator().css_to_xpath(value)
            except cssselect.SelectorError as exc:
                raise ValueError(
                    f"expected a CSS selector such as 'div.entry-content' ({exc})"
                ) from None
        return value

    @model_validator(mode="after")
    def _one_location(self) -> SourceSettings:
        if (self.url is None) == (self.file is None):
            raise ValueError("expected exactly one of url (http/https) or file (a local path)")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("url: expected an http(s) URL; use file: for a local path")
        if self.url is not None and self.pages_dir is not None:
            raise ValueError("pages_dir: only for file sources (pages over http are fetched)")
        return self


class ScheduleSettings(Section):
    """When a list sends by itself (`digest serve`), in the list's time zone."""

    send: str
    collect_every_minutes: int = Field(60, ge=1)
    draft_hours_before: float = Field(12.0, ge=0)
    grace_hours: float = Field(6.0, ge=0)
    # Deliver at the send time in each subscriber's own zone, in waves, instead of at once.
    local_time: bool = False

    @field_validator("send")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)  # its ValueError names the field that is wrong
        return value


# What a list's subject may say (editorial.compose.issue_subject fills them in): the lead story's
# title (the editor's own, if they wrote one), the list's and the newsletter's names, the issue's
# number and the period's days.
SUBJECT_PLACEHOLDERS = ("lead", "name", "newsletter", "number", "period")


def subject_pattern_problem(
    pattern: str, placeholders: tuple[str, ...] = SUBJECT_PLACEHOLDERS
) -> str | None:
    """What is wrong with a subject pattern, or None: only the plain placeholders, no format
    specs, conversions or attributes ({lead.__class__} would read more than a title)."""
    try:
        fields = [
            (name, spec, conversion)
            for _text, name, spec, conversion in string.Formatter().parse(pattern)
            if name is not None
        ]
    except ValueError as exc:
        return f"unmatched brace ({str(exc).lower()})"
    for name, spec, conversion in fields:
        if name not in placeholders or spec or conversion:
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"unknown placeholder {{{written}}}"
    return None


def checked_subject(pattern: str, placeholders: tuple[str, ...]) -> str:
    """pattern, when str.format can fill it with these placeholders; else a ValueError
    naming the problem and what the subject may hold."""
    problem = subject_pattern_problem(pattern, placeholders)
    if problem:
        names = ", ".join(f"{{{name}}}" for name in placeholders)
        raise ValueError(f"{problem}: a subject may hold {names} (write {{{{ for a brace)")
    return pattern


class ListSettings(Section):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    # The issues' subject: by default the lead story's title, then the list's name.
    subject: str = "{lead} · {name}"
    timezone: str = "UTC"
    max_articles: int = Field(20, ge=1)
    sources: list[str] | None = None
    demo_subscribers: list[str] = Field(default_factory=list)
    approval: Literal["auto", "required"] = "auto"
    schedule: ScheduleSettings | None = None
    # A welcome mail to each reader who confirms (templates/email/welcome*.j2).
    welcome: bool = True
    # The list's language (BCP 47): the words, dates and direction around its stories, from
    # templates/locales/LANG/LC_MESSAGES/digest.po (digest/render/language.py).
    language: str = "en"
    # Story clicks counted for this list: None follows analytics.enabled.
    clicks: bool | None = None
    # The top stories of the previous issue by clicks, shown as "Most read last week"; 0: none.
    most_read: int = Field(0, ge=0, le=10)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return header_text(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return checked_subject(value, SUBJECT_PLACEHOLDERS)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Africa/Casablanca") from None
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not _LANGUAGE_TAG.fullmatch(value):
            raise ValueError("expected a language tag such as en, fr or pt-BR")
        return value


_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


class FileOutboxSettings(Section):
    directory: Path = Path("outbox")


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = "DIGEST_SMTP_PASSWORD"
    timeout_seconds: float = Field(30.0, gt=0)
    data_timeout_seconds: float = Field(120.0, gt=0)
    pool_size: int = Field(4, ge=1, le=100)
    messages_per_connection: int = Field(100, ge=1)


class DkimSettings(Section):
    domain: str
    selector: str
    key_file: Path


class DeliverySettings(Section):
    transport: Literal["file", "smtp"] = "file"
    file: FileOutboxSettings = FileOutboxSettings()
    smtp: SmtpSettings = SmtpSettings()
    unsubscribe_mailto: str | None = None
    batch_size: int = Field(200, ge=1)
    max_attempts: int = Field(5, ge=1)
    retry_delay_seconds: int = Field(300, ge=0)
    max_retry_hours: float = Field(48.0, gt=0)
    retry_uncertain: bool = False
    rate_limit_per_second: float | None = Field(None, gt=0)
    slow_down_seconds: float = Field(30.0, ge=0)
    # Seconds without a heartbeat after which a worker counts as dead and its claimed rows are
    # taken back; its heartbeat is renewed every sixth of this.
    worker_stale_seconds: float = Field(20.0, gt=0)
    bounce_address: str | None = None
    dkim: DkimSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_lease(cls, data: object) -> object:
        if isinstance(data, dict) and "lease_seconds" in data:
            raise ValueError(
                "lease_seconds is no longer read: a live worker keeps its rows however long "
                "its batch takes, and a dead one's are taken back once its heartbeat is older "
                "than delivery.worker_stale_seconds (20 by default): remove lease_seconds"
            )
        return data


EditorRole = Literal["admin", "editor"]
ROLES: tuple[EditorRole, ...] = ("admin", "editor")


class EditorAccount(Section):
    username: str = Field(min_length=1)
    password_hash: str | None = None
    password_env: str | None = None
    # admin: issues, readers, sources and the editors list; editor: issues only, and never a
    # reader's address. Accounts written before roles existed keep everything they had.
    role: EditorRole = "admin"

    @model_validator(mode="after")
    def _one_password(self) -> EditorAccount:
        if (self.password_hash is None) == (self.password_env is None):
            raise ValueError(
                "expected exactly one of password_hash (from `digest editors hash-password`) "
                "or password_env (the name of a variable holding the password)"
            )
        return self


RATE_LIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix")


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    editors: list[EditorAccount] = Field(default_factory=list)
    session_max_age_seconds: int = Field(43200, ge=60)
    # Send cookies only over https; turn off only for local development over http.
    secure_cookies: bool = True
    # After sign_in_failures failed sign-ins within sign_in_window_minutes, that account, and
    # separately that client, is refused (429) for sign_in_lock_minutes.
    sign_in_failures: int = Field(5, ge=1)
    sign_in_window_minutes: float = Field(15.0, gt=0)
    sign_in_lock_minutes: float = Field(15.0, gt=0)
    # Proxies (IPs or networks) whose X-Forwarded-For names the client; none: the peer is.
    trusted_proxies: list[str] = Field(default_factory=list)
    # A client gets this long to send a request's headers, and then its body; else cut off.
    header_timeout_seconds: float = Field(10.0, gt=0)
    body_timeout_seconds: float = Field(30.0, gt=0)
    # Open connections served at once; past it, requests are answered 503.
    max_connections: int = Field(500, ge=1)
    # Open connections one client (an IPv4 address, an IPv6 /64) may hold; past it, its new
    # ones are closed at once. Trusted proxies are not limited.
    max_connections_per_client: int = Field(20, ge=1)
    # Where sign-up attempts are counted: "memory://" in each process, or a storage that every
    # `digest serve` process shares ("redis://host:6379", "rediss://…", "redis+unix://…").
    rate_limit_storage: str = "memory://"

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        scheme = value.partition("://")[0]
        if scheme not in RATE_LIMIT_SCHEMES or "://" not in value:
            raise ValueError(
                f"expected memory:// or a redis:// URL such as redis://127.0.0.1:6379 ({value!r})"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            if not _is_network(proxy.strip()):
                raise ValueError(
                    f"expected an IP address or a network such as 10.0.0.0/8 ({proxy!r})"
                )
        return [str(ipaddress.ip_network(p.strip(), strict=False)) for p in value]


class PathSettings(Section):
    templates: Path = Path("templates")
    previews: Path = Path("previews")


class SecuritySettings(Section):
    """Where the secret behind reader links and editor sessions comes from (digest.secret_key)."""

    secret_key_env: str = "DIGEST_SECRET_KEY"
    # Made on first use when secret_key_env is unset; relative to the config file's folder.
    secret_file: Path = Path("digest.secret")


class ReaderSettings(Section):
    """The reader's own pages: subscribe, confirm, unsubscribe, preferences; their abuse limits."""

    confirm_token_days: float = Field(7.0, gt=0)
    resend_confirmation_minutes: float = Field(60.0, ge=0)
    subscribe_per_ip: int = Field(10, ge=1)
    subscribe_per_address: int = Field(3, ge=1)
    rate_window_minutes: float = Field(60.0, gt=0)
    max_body_bytes: int = Field(16384, ge=1024)
    record_ip: bool = False
    topics: list[str] = Field(default_factory=list)
    consent_wording: str = (
        "Yes, send me the lists I ticked by email. I can unsubscribe at any time with the "
        "link in every email."
    )
    confirmation_subject: str = "Please confirm your subscription to {newsletter}"
    # Sites whose pages may post the sign-up form to /subscribe (scheme://host[:port]).
    embed_origins: list[str] = Field(default_factory=list)
    # How long the "undo" of an unsubscribe (and the "why did you leave" question) works.
    undo_unsubscribe_hours: float = Field(24.0, gt=0, le=24 * 30)
    # Subject of the welcome mail ({newsletter}, {list}).
    welcome_subject: str = "Welcome to {list}"

    @field_validator("confirmation_subject")
    @classmethod
    def _confirmation_subject(cls, value: str) -> str:
        # One mail for all the lists a reader ticked: it names the newsletter alone.
        return checked_subject(value, ("newsletter",))

    @field_validator("welcome_subject")
    @classmethod
    def _welcome_subject(cls, value: str) -> str:
        return checked_subject(value, ("newsletter", "list"))

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [web_origin(origin) for origin in value]


class ServiceSettings(Section):
    """The always-on service (`digest serve`): scheduler, delivery worker, shutdown, logs."""

    shutdown_grace_seconds: float = Field(30.0, gt=0)
    tick_seconds: float = Field(30.0, gt=0)
    worker_interval_seconds: float = Field(30.0, gt=0)
    log_json: bool = False
    stale_run_hours: float = Field(24.0, gt=0)


class ApiSettings(Section):
    """The subscribers REST API at /api: off unless the variable keys_env names holds keys."""

    keys_env: str = "DIGEST_API_KEYS"
    page_size_max: int = Field(500, ge=1, le=10000)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def web_origin(value: str) -> str:
    """scheme://host[:port] as a browser's Origin header writes it (lower case, no default
    port); ValueError naming what to fix for anything else (a path, a query, another scheme)."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(
            f"expected an origin: scheme://host[:port] such as https://www.example.org, "
            f"with no path ({value!r})"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    shown_port = "" if port in (None, _DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown_port}"


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
