"""Editors' passwords: salted scrypt hashes (format below) and the accounts of config.yaml."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from digest.config import Settings
from digest.errors import ConfigError
from digest.secret_key import editor_password

# A stored hash reads "scrypt$<n>$<r>$<p>$<salt>$<key>": salt and key in URL-safe base64 without
# padding. The cost travels with the hash, so raising it later keeps old hashes valid. n=2^14,
# r=8, p=5 is one of OWASP's scrypt settings: 16 MiB of memory per hash, ~0.1 s of CPU.
SCHEME = "scrypt"
COST_N, COST_R, COST_P = 2**14, 8, 5
SALT_BYTES, KEY_BYTES = 16, 32
_MAX_MEMORY = 256 * 1024 * 1024  # refuse hashes whose parameters would need more than this


def hash_password(password: str, *, n: int = COST_N, r: int = COST_R, p: int = COST_P) -> str:
    """A new salted scrypt hash of password, in the format above."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, KEY_BYTES)
    return "$".join((SCHEME, str(n), str(r), str(p), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    """Whether password matches the stored hash (compared in constant time)."""
    n, r, p, salt, key = parse_hash(stored)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(key)), key)


def parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """(n, r, p, salt, key) of a stored hash; ValueError if it is not one of ours."""
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError("not a hash from `digest editors hash-password`")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise ValueError("not a hash from `digest editors hash-password`") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * n * r * p > _MAX_MEMORY or len(key) < 16:
        raise ValueError("its scrypt parameters are out of range")
    return n, r, p, salt, key


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_MAX_MEMORY
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Account:
    username: str
    password_hash: str | None
    password_digest: bytes | None  # sha256 of a password read from the environment


class Editors:
    """The editor accounts of config.yaml, checked once at start-up."""

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        self._accounts: dict[str, _Account] = {}
        for index, account in enumerate(settings.web.editors):
            where = f"{settings.config_path.name}: web.editors[{index}]"
            if account.username in self._accounts:
                raise ConfigError(f"{where}: username {account.username!r} is used twice")
            digest = None
            if account.password_hash is not None:
                try:
                    parse_hash(account.password_hash)
                except ValueError as exc:
                    raise ConfigError(
                        f"{where}.password_hash: {exc}",
                        hint="make one with `digest editors hash-password`",
                    ) from None
            else:
                digest = _sha256(editor_password(account, where, environ))
            self._accounts[account.username] = _Account(
                account.username, account.password_hash, digest
            )
        self._decoy: str | None = None

    def __bool__(self) -> bool:
        return bool(self._accounts)

    def check(self, username: str, password: str) -> bool:
        """Whether username/password is an editor's; slow on purpose (run it off the loop).

        Every answer costs one scrypt, whatever the account: timing reveals no usernames."""
        account = self._accounts.get(username)
        if account is not None and account.password_hash is not None:
            return verify_password(password, account.password_hash)
        verify_password(password, self._decoy_hash())
        if account is None:
            return False
        assert account.password_digest is not None
        # Digests of equal length: compare_digest then reveals nothing about the length either.
        return hmac.compare_digest(_sha256(password), account.password_digest)

    def _decoy_hash(self) -> str:
        if self._decoy is None:  # made on first use, so start-up stays fast
            self._decoy = hash_password(secrets.token_urlsafe(16))
        return self._decoy


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()
