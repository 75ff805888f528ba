"""Signed tokens that act for a subscriber on one list, each for one purpose only."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, NamedTuple, get_args

from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.signer import HMACAlgorithm

Purpose = Literal["unsubscribe", "confirm", "preferences", "bounce", "left"]

# Tokens of these purposes carry the time they were issued and expire: a confirmation link
# sitting in an old mailbox must not subscribe anyone months later. Unsubscribe and
# preferences links live in every digest ever sent and keep working (RFC 8058 expects it).
# A "left" token (the undo and the why-did-you-leave forms after an unsubscribe) is issued
# at the unsubscribe's own time and works for readers.undo_unsubscribe_hours.
EXPIRING: frozenset[Purpose] = frozenset({"confirm", "left"})


class _OneShotHMAC(HMACAlgorithm):
    """The same HMAC through hmac.digest, OpenSSL's one-shot call, instead of an HMAC object
    built in Python per token."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


class _Signer(Signer):
    """itsdangerous' Signer with its derived key computed once per secret, not once per token
    (an HMAC or a hash each time, and a serializer makes a new Signer per token), and its HMAC
    keyed once and copied per token when signing, in one call when verifying: the same key and
    signature, so the same tokens, at a fraction of the cost of a send's every message."""

    # hashlib's sha1 itself, not itsdangerous' lazy wrapper of it: the same digest, and one
    # hmac.digest takes its fast path with.
    default_digest_method = staticmethod(hashlib.sha1)
    _keys: ClassVar[dict[tuple[bytes, bytes, str | None, Any], bytes]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._short_way = type(self.algorithm) is HMACAlgorithm
        self._keyed: hmac.HMAC | None = None  # made on first use: most Signers only verify
        if self._short_way:
            self.algorithm = _OneShotHMAC(self.digest_method)

    def get_signature(self, value: str | bytes) -> bytes:
        """Signer.get_signature's bytes by a shorter way: an HMAC object keyed once per secret
        and salt, copied per token (hmac.digest looks the hash up in OpenSSL on every call,
        which costs more than the hashing), and base64 in C calls only. A send signs three
        values per message; Signer's seven Python calls for each cost more than the HMAC."""
        if not self._short_way or not isinstance(value, bytes):
            return super().get_signature(value)
        keyed = self._keyed
        if keyed is None:
            keyed = self._keyed = hmac.new(self.derive_key(), digestmod=self.digest_method)
        mac = keyed.copy()
        mac.update(value)
        return _urlsafe_base64(mac.digest())

    def sign(self, value: str | bytes) -> bytes:
        if not isinstance(value, bytes):
            return super().sign(value)
        return value + self.sep + self.get_signature(value)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        found = (secret, self.salt, self.key_derivation, self.digest_method)
        key = self._keys.get(found)
        if key is None:
            key = self._keys[found] = super().derive_key(secret)
        return key


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _urlsafe_base64(data: bytes) -> bytes:
    """itsdangerous' base64_encode (URL-safe alphabet, no padding), in C calls only."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


@dataclass(frozen=True)
class TokenSubject:
    subscriber_id: int
    list_id: int
    # When a verified expiring token was issued (to the second); None otherwise. It names the
    # mail the token came in, not who it acts for: two subjects differing only here are equal.
    issued_at: datetime | None = field(default=None, compare=False)


class TokenSigner:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a token secret is required")
        # The salt binds a token to its purpose: an unsubscribe token never confirms.
        self._serializers = {
            purpose: URLSafeSerializer(secret, salt=f"digest.{purpose}", signer=_Signer)
            for purpose in get_args(Purpose)
        }
        # The signer each serializer would make anew for every token, made once.
        self._signers = {
            purpose: serializer.make_signer() for purpose, serializer in self._serializers.items()
        }
        self._message_ids = _Signer(
            secret, salt="digest.message-id", key_derivation="hmac", digest_method=hashlib.sha256
        )
        self.clicks = ClickSigner(secret)
        # The last payload made, and its JSON: a reader's unsubscribe and preferences (and
        # bounce) tokens sign the same one, each with its own salt (no serializer's payload
        # depends on its salt).
        self._last_payload: tuple[bytes, bytes] | None = None

    def message_key(self, issue_id: int, subscriber_id: int, list_id: int) -> str:
        """The same text for the same issue, reader and list, every time and in every worker
        (an HMAC of them with the secret): a name for that message nobody outside can derive.
        URL-safe base64, so it may stand left of the @ in a Message-ID."""
        data = f"{issue_id}/{subscriber_id}/{list_id}".encode()
        return self._message_ids.get_signature(data).decode()

    def _serializer(self, purpose: Purpose) -> URLSafeSerializer:
        return self._serializers[purpose]

    def sign(
        self, purpose: Purpose, subject: TokenSubject, *, issued_at: datetime | None = None
    ) -> str:
        """A token for this purpose; expiring purposes need the time it is issued."""
        data = [subject.subscriber_id, subject.list_id]
        if purpose in EXPIRING:
            if issued_at is None:
                raise ValueError(f"a {purpose} token needs issued_at (it expires)")
            data.append(int(issued_at.timestamp()))
        json = _json(data)
        last = self._last_payload
        if last is not None and last[0] == json:
            payload = last[1]
        else:
            payload = _payload(self._serializer(purpose), data, json)
            self._last_payload = (json, payload)
        return self._signers[purpose].sign(payload).decode("ascii")

    def verify(
        self,
        purpose: Purpose,
        token: str,
        *,
        now: datetime | None = None,
        max_age: timedelta | None = None,
    ) -> TokenSubject | None:
        """The subject of a genuine token of this purpose, else None (tampered, another
        purpose's, or expired: an expiring purpose needs now and max_age, and its subject
        carries issued_at)."""
        try:
            data = self._serializer(purpose).loads(token)
        except BadSignature:
            return None
        expected = 3 if purpose in EXPIRING else 2
        if (
            not isinstance(data, list)
            or len(data) != expected
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in data)
        ):
            return None
        if purpose in EXPIRING:
            if now is None or max_age is None:
                raise ValueError(f"a {purpose} token is checked against now and max_age")
            issued = now.timestamp() - data[2]
            if issued > max_age.total_seconds() or issued < -300:
                return None  # expired, or issued in the future (a clock far off): refused
            return TokenSubject(data[0], data[1], datetime.fromtimestamp(data[2], UTC))
        return TokenSubject(subscriber_id=data[0], list_id=data[1])


def _json(data: list[int]) -> bytes:
    """Compact JSON of a list of ints, as itsdangerous' serializer writes it."""
    return f"[{','.join(map(str, data))}]".encode("ascii")


def _payload(serializer: URLSafeSerializer, data: list[int], json: bytes) -> bytes:
    """What serializer.dumps(data) signs, byte for byte: compact JSON, zlib-compressed only
    when that makes it shorter, in URL-safe base64. Without zlib's attempt when it cannot
    make it shorter (setting up a compressor costs more than the rest of a token): JSON of at
    most 24 bytes with no 3 bytes repeated, which deflate can only write as literals, and so
    at more than the length of the JSON once its header and checksum are added. json: the
    data's, from _json."""
    if len(json) > 24 or len({json[i : i + 3] for i in range(len(json) - 2)}) < len(json) - 2:
        return want_bytes(serializer.dump_payload(data))
    return _urlsafe_base64(json)


# A click token is "<ids>.<signature>": ids in decimal joined by "-", an HMAC of them with the
# secret (and the purpose) after the dot. Short, so the links stay short in a text part.
_CLICK_IDS = re.compile(r"^[0-9]{1,18}(?:-[0-9]{1,18}){0,2}$")


class StoryLink(NamedTuple):
    issue_id: int
    article_id: int
    # How many stories the mail the link was in held (a reader with topics gets fewer than
    # the issue has): the scanner rule's "every link". None: all of the issue's.
    stories: int | None = None


class ClickSigner:
    """Story links (issue, story) and, only when readers' clicks are recorded, a reader's part."""

    def __init__(self, secret: str) -> None:
        self._stories = _Signer(secret, salt="digest.click.story", key_derivation="hmac")
        self._readers = _Signer(secret, salt="digest.click.reader", key_derivation="hmac")

    def story_token(self, issue_id: int, article_id: int, stories: int | None = None) -> str:
        ids = f"{issue_id}-{article_id}" + ("" if stories is None else f"-{stories}")
        return self._stories.sign(ids.encode()).decode()

    def story_of(self, token: str) -> StoryLink | None:
        """What a genuine story token names, else None."""
        ids = _verified(self._stories, token)
        if ids is None or "-" not in ids:
            return None
        issue, article, *stories = (int(i) for i in ids.split("-"))
        return StoryLink(issue, article, stories[0] if stories else None)

    def reader_token(self, issue_id: int, subscriber_id: int) -> str:
        """The reader's part of their links in one issue: their id, signed with the issue's."""
        signature = self._readers.get_signature(f"{issue_id}-{subscriber_id}".encode())
        return f"{subscriber_id}.{signature.decode()}"

    def reader_of(self, token: str, issue_id: int) -> int | None:
        """The subscriber id of a genuine reader part for this issue, else None."""
        subscriber, _, signature = token.partition(".")
        if not _CLICK_IDS.match(subscriber) or "-" in subscriber:
            return None
        signed = f"{issue_id}-{subscriber}".encode()
        if not self._readers.verify_signature(signed, signature.encode()):
            return None
        return int(subscriber)


def _verified(signer: Signer, token: str) -> str | None:
    try:
        ids = signer.unsign(token.encode("ascii")).decode()
    except (BadSignature, UnicodeError):
        return None
    return ids if _CLICK_IDS.match(ids) else None
