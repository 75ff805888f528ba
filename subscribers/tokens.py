"""Signed tokens that act for a subscriber on one list, each for one purpose only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from itsdangerous import BadSignature, URLSafeSerializer

Purpose = Literal["unsubscribe", "confirm", "preferences", "bounce"]


@dataclass(frozen=True)
class TokenSubject:
    subscriber_id: int
    list_id: int


class TokenSigner:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a token secret is required")
        # The salt binds a token to its purpose: an unsubscribe token never confirms.
        self._serializers = {
            purpose: URLSafeSerializer(secret, salt=f"digest.{purpose}")
            for purpose in get_args(Purpose)
        }

    def _serializer(self, purpose: Purpose) -> URLSafeSerializer:
        return self._serializers[purpose]

    def sign(self, purpose: Purpose, subject: TokenSubject) -> str:
        return str(self._serializer(purpose).dumps([subject.subscriber_id, subject.list_id]))

    def verify(self, purpose: Purpose, token: str) -> TokenSubject | None:
        try:
            data = self._serializer(purpose).loads(token)
        except BadSignature:
            return None
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in data)
        ):
            return None
        return TokenSubject(subscriber_id=data[0], list_id=data[1])
