"""TokenSigner: a token acts for one subscriber on one list, for one purpose, under one secret."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import Signer, URLSafeSerializer

from subscribers.tokens import TokenSigner, TokenSubject

SECRET = "test-secret-3f9a1c7e"
SUBJECT = TokenSubject(subscriber_id=42, list_id=7)
ISSUED = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET)


@pytest.mark.parametrize("purpose", ["unsubscribe", "preferences", "bounce"])
def test_token_verifies_for_its_purpose(signer: TokenSigner, purpose: str) -> None:
    token = signer.sign(purpose, SUBJECT)  # type: ignore[arg-type]

    assert signer.verify(purpose, token) == SUBJECT  # type: ignore[arg-type]


def test_token_is_url_safe(signer: TokenSigner) -> None:
    token = signer.sign("unsubscribe", TokenSubject(subscriber_id=10**12, list_id=99))

    assert token
    assert all(c.isalnum() or c in "-_." for c in token)


def test_a_new_signer_with_the_same_secret_verifies(signer: TokenSigner) -> None:
    token = signer.sign("confirm", SUBJECT, issued_at=ISSUED)

    assert TokenSigner(SECRET).verify("confirm", token, now=ISSUED, max_age=WEEK) == SUBJECT


def test_confirm_token_works_until_it_expires(signer: TokenSigner) -> None:
    token = signer.sign("confirm", SUBJECT, issued_at=ISSUED)
    last_moment = ISSUED + WEEK

    assert signer.verify("confirm", token, now=last_moment, max_age=WEEK) == SUBJECT
    too_late = last_moment + timedelta(seconds=1)
    assert signer.verify("confirm", token, now=too_late, max_age=WEEK) is None
    assert signer.verify("confirm", token, now=ISSUED - timedelta(days=1), max_age=WEEK) is None


def test_confirm_token_needs_the_time_it_was_issued(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match="issued_at"):
        signer.sign("confirm", SUBJECT)
    token = signer.sign("confirm", SUBJECT, issued_at=ISSUED)
    with pytest.raises(ValueError, match="max_age"):
        signer.verify("confirm", token)


def test_unsubscribe_token_does_not_confirm(signer: TokenSigner) -> None:
    token = signer.sign("unsubscribe", SUBJECT)

    assert signer.verify("confirm", token) is None
    assert signer.verify("preferences", token) is None


def test_confirm_token_does_not_unsubscribe(signer: TokenSigner) -> None:
    token = signer.sign("confirm", SUBJECT, issued_at=ISSUED)

    assert signer.verify("unsubscribe", token) is None
    assert signer.verify("preferences", token) is None


def test_tokens_differ_by_subject_and_purpose(signer: TokenSigner) -> None:
    tokens = {
        signer.sign("unsubscribe", SUBJECT),
        signer.sign("confirm", SUBJECT, issued_at=ISSUED),
        signer.sign("unsubscribe", TokenSubject(subscriber_id=43, list_id=7)),
        signer.sign("unsubscribe", TokenSubject(subscriber_id=42, list_id=8)),
    }

    assert len(tokens) == 4


def test_another_secret_does_not_verify(signer: TokenSigner) -> None:
    token = signer.sign("unsubscribe", SUBJECT)

    assert TokenSigner("another-secret").verify("unsubscribe", token) is None


def _flip(char: str) -> str:
    return "B" if char != "B" else "C"


def test_tampered_signature_returns_none(signer: TokenSigner) -> None:
    token = signer.sign("unsubscribe", SUBJECT)

    # A middle character: every one of its bits counts (the last one has padding bits).
    tampered = token[:-5] + _flip(token[-5]) + token[-4:]

    assert tampered != token
    assert signer.verify("unsubscribe", tampered) is None


def test_tampered_payload_returns_none(signer: TokenSigner) -> None:
    token = signer.sign("unsubscribe", SUBJECT)
    payload, signature = token.rsplit(".", 1)

    tampered = _flip(payload[0]) + payload[1:] + "." + signature

    assert signer.verify("unsubscribe", tampered) is None


def test_payload_of_another_subscriber_with_this_signature_returns_none(
    signer: TokenSigner,
) -> None:
    mine = signer.sign("unsubscribe", SUBJECT)
    theirs = signer.sign("unsubscribe", TokenSubject(subscriber_id=43, list_id=7))

    forged = theirs.rsplit(".", 1)[0] + "." + mine.rsplit(".", 1)[1]

    assert signer.verify("unsubscribe", forged) is None


@pytest.mark.parametrize("garbage", ["", ".", "not-a-token", "a.b.c", "W10.", "%%%%.@@@"])
def test_garbage_returns_none(signer: TokenSigner, garbage: str) -> None:
    assert signer.verify("unsubscribe", garbage) is None


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenSigner("")


def test_tokens_are_those_itsdangerous_makes_so_links_already_sent_keep_working() -> None:
    # The signer keeps each derived key instead of deriving it per token: same bytes out.
    secret = "s3cret-for-this-test"
    ours = TokenSigner(secret)
    subject = TokenSubject(subscriber_id=41, list_id=3)
    plain = URLSafeSerializer(secret, salt="digest.unsubscribe")
    assert ours.sign("unsubscribe", subject) == plain.dumps([41, 3])
    assert ours.verify("unsubscribe", plain.dumps([41, 3])) == subject
    story = Signer(secret, salt="digest.click.story", key_derivation="hmac")
    assert ours.clicks.story_token(7, 9) == story.sign(b"7-9").decode()
    ids = Signer(
        secret, salt="digest.message-id", key_derivation="hmac", digest_method=hashlib.sha256
    )
    assert ours.message_key(7, 41, 3) == ids.get_signature(b"7/41/3").decode()
    assert TokenSigner("another").sign("unsubscribe", subject) != plain.dumps([41, 3])


_IDS = st.one_of(
    st.integers(min_value=0, max_value=10**12),
    # Repeated digits: the ids whose JSON zlib does make shorter, which itsdangerous compresses.
    st.builds(lambda digit, n: int(str(digit) * n), st.integers(1, 9), st.integers(1, 14)),
)


@settings(max_examples=300, deadline=None)
@given(subscriber_id=_IDS, list_id=_IDS, issued=st.integers(0, 4 * 10**9))
def test_every_token_is_the_one_itsdangerous_makes(
    subscriber_id: int, list_id: int, issued: int
) -> None:
    """Whatever the ids, compressed payload or not: byte for byte URLSafeSerializer's."""
    ours = TokenSigner(SECRET)
    subject = TokenSubject(subscriber_id, list_id)
    for purpose in ("unsubscribe", "preferences", "bounce"):
        plain = URLSafeSerializer(SECRET, salt=f"digest.{purpose}")
        assert ours.sign(purpose, subject) == plain.dumps([subscriber_id, list_id])
    at = datetime.fromtimestamp(issued, UTC)
    plain = URLSafeSerializer(SECRET, salt="digest.confirm")
    assert ours.sign("confirm", subject, issued_at=at) == plain.dumps(
        [subscriber_id, list_id, issued]
    )


def test_one_signer_signs_token_after_token_as_itsdangerous_does() -> None:
    """The keyed HMAC a signer keeps is copied for each token, never left holding the last
    one's bytes: the thousandth token of a send is as genuine as the first."""
    ours = TokenSigner(SECRET)
    plain = URLSafeSerializer(SECRET, salt="digest.unsubscribe")
    ids = Signer(
        SECRET, salt="digest.message-id", key_derivation="hmac", digest_method=hashlib.sha256
    )
    for subscriber_id in range(1000, 1050):
        subject = TokenSubject(subscriber_id, 3)
        assert ours.sign("unsubscribe", subject) == plain.dumps([subscriber_id, 3])
        assert (
            ours.message_key(7, subscriber_id, 3)
            == ids.get_signature(f"7/{subscriber_id}/3".encode()).decode()
        )
        assert ours.verify("unsubscribe", ours.sign("unsubscribe", subject)) == subject
