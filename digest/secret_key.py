"""Every secret digest reads: the signing secret, passwords, API keys and the DKIM key.

The one secret behind reader tokens and editor sessions comes from the environment, else a
file. Never a shared default: without the variable named by security.secret_key_env, each install
makes its own random secret on first use and keeps it, owner-only, in security.secret_file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from digest.config import Settings
from digest.config_sections import EditorAccount, LlmSettings
from digest.errors import ConfigError

log = logging.getLogger(__name__)

MIN_BYTES = 32
# More than any secret needs; a larger file is not one digest wrote.
MAX_BYTES = 4096
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
API_KEY_MIN_LENGTH = 24
_SESSION_PURPOSE = b"digest.web.session"


def secret_key(settings: Settings) -> str:
    """The secret from the variable named by security.secret_key_env, else from the secret file
    (made on first use). Raises ConfigError for a short secret or an unsafe or unusable file."""
    name = settings.security.secret_key_env
    value = os.environ.get(name)
    if value is not None:
        if len(value.encode("utf-8")) < MIN_BYTES:
            state = "is empty" if not value else f"holds {len(value.encode('utf-8'))} bytes"
            raise ConfigError(
                f"environment variable {name} (security.secret_key_env) {state}; "
                f"a secret needs at least {MIN_BYTES} bytes",
                hint=f"export {name}=$({GENERATE}), or unset it to use security.secret_file",
            )
        return value
    return _from_file(settings.resolve(settings.security.secret_file), name)


def session_key(settings: Settings) -> str:
    """The key of the web app's session cookies: derived from the secret with its own purpose
    label, so a reader token never verifies as a session nor the other way round."""
    key = secret_key(settings).encode("utf-8")
    return hmac.new(key, _SESSION_PURPOSE, hashlib.sha256).hexdigest()


def smtp_password(settings: Settings) -> str | None:
    """The SMTP password, from the variable named by delivery.smtp.password_env; None when no
    username is configured. Raises ConfigError when the variable is not set."""
    smtp = settings.delivery.smtp
    if not smtp.username:
        return None
    password = os.environ.get(smtp.password_env or "", None)
    if password is None:
        raise ConfigError(
            f"delivery.smtp.password_env: environment variable {smtp.password_env} is not set",
            hint=f"export {smtp.password_env}=… with the SMTP password for {smtp.username}",
        )
    return password


def editor_password(
    account: EditorAccount, where: str, environ: Mapping[str, str] | None = None
) -> str:
    """An editor's password from the variable the account's password_env names. Raises
    ConfigError, naming the account (where), when it is unset or empty."""
    environ = os.environ if environ is None else environ
    name = account.password_env or ""
    password = environ.get(name, "")
    if not password:
        raise ConfigError(
            f"{where}.password_env: environment variable {name} is not set",
            hint=f"export {name}=… with {account.username}'s password, or use "
            "password_hash from `digest editors hash-password`",
        )
    return password


def api_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The keys in the variable api.keys_env names (comma-separated); none turns the API off."""
    environ = os.environ if environ is None else environ
    name = settings.api.keys_env
    keys = tuple(key.strip() for key in environ.get(name, "").split(",") if key.strip())
    short = [key for key in keys if len(key) < API_KEY_MIN_LENGTH]
    if short:
        raise ConfigError(
            f"environment variable {name} (api.keys_env): a key is shorter than "
            f"{API_KEY_MIN_LENGTH} characters",
            hint='make each key long and random: python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"',
        )
    return keys


def llm_api_key(settings: LlmSettings, environ: Mapping[str, str] | None = None) -> str:
    """The LLM endpoint's key from the variable api_key_env names; empty when there is none."""
    env = os.environ if environ is None else environ
    return env.get(settings.api_key_env, "") if settings.api_key_env else ""


def dkim_private_key(settings: Settings, key_file: Path) -> bytes:
    """The PEM private key that signs outgoing mail (delivery.dkim.key_file)."""
    path = settings.resolve(key_file)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"delivery.dkim.key_file: cannot read {path}: {exc.strerror}",
            hint="point it at the PEM private key whose public half is in DNS",
        ) from None
    if b"PRIVATE KEY" not in key:
        raise ConfigError(f"delivery.dkim.key_file: {path} is not a PEM private key")
    return key


def _from_file(path: Path, env_name: str) -> str:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        _create(path)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot create the secret file (security.secret_file): {exc.strerror}",
            hint=f"set security.secret_file to a path digest may write, or export "
            f"{env_name}=$({GENERATE})",
        ) from None
    try:
        return _read(path)
    except FileNotFoundError:
        # Only a dangling symbolic link gets here: it blocks the new file but leads nowhere.
        raise ConfigError(
            f"{path}: the secret file (security.secret_file) is a link to nothing",
            hint="remove the link or point it at the secret file",
        ) from None


def _read(path: Path) -> str:
    """The secret in an existing file, refused if others may read or change it."""
    try:
        # Non-blocking: a FIFO put there must be refused below, not wait for a writer forever.
        # No symbolic link either: one put in the data folder would choose the secret.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise  # the caller makes it
    except OSError as exc:
        if os.path.islink(path):
            raise ConfigError(
                f"{path}: the secret file (security.secret_file) is a symbolic link",
                hint="point security.secret_file at the file itself",
            ) from None
        raise ConfigError(
            f"{path}: cannot read the secret file (security.secret_file): {exc.strerror}",
            hint=f"make it readable by the user digest runs as: chmod 600 {path}",
        ) from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                f"{path}: the secret file (security.secret_file) is not a regular file",
                hint="point security.secret_file at a file, or remove what is there",
            )
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise ConfigError(
                f"{path}: the secret file belongs to another user (uid {info.st_uid})",
                hint=f"chown it to the user digest runs as, or replace it: rm {path}",
            )
        if info.st_mode & 0o077:
            # Like ssh with a private key: a secret others can read is no longer a secret.
            raise ConfigError(
                f"{path}: the secret file is open to other users "
                f"(mode {stat.S_IMODE(info.st_mode):03o})",
                hint=f"chmod 600 {path}; if others may have read it, replace the secret "
                "(links already sent stop working)",
            )
        data = file.read(MAX_BYTES + 1)
    try:
        secret = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        secret = ""
    if not MIN_BYTES <= len(secret.encode("utf-8")) <= MAX_BYTES:
        raise ConfigError(
            f"{path}: the secret file must hold one secret of at least {MIN_BYTES} bytes "
            f"(UTF-8 text, at most {MAX_BYTES})",
            hint=f"(umask 077; {GENERATE} > {path}); links already sent stop working",
        )
    return secret


def _create(path: Path) -> None:
    """Write a fresh secret to a private temporary file, then link it into place: the link
    fails if another process got there first, so every process ends up with the winner's."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write((secrets.token_urlsafe(48) + "\n").encode("ascii"))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        _sync_folder(path.parent)
        log.info(
            "generated a new secret in %s (security.secret_file): it signs reader links and "
            "editor sessions; keep it with the data and back it up",
            path,
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _sync_folder(folder: Path) -> None:
    # The new name must survive a power cut: links mailed out are signed with this secret.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
