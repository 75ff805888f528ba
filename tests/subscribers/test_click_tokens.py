"""Click tokens: a story link names its issue and story; a reader's part only its reader."""

from __future__ import annotations

import pytest

from subscribers.tokens import ClickSigner, TokenSigner

SECRET = "test-secret-3f9a1c7e"


@pytest.fixture
def signer() -> ClickSigner:
    return TokenSigner(SECRET).clicks


def test_a_story_token_names_its_issue_and_story_and_is_short(signer: ClickSigner) -> None:
    token = signer.story_token(12, 345)

    assert signer.story_of(token) == (12, 345, None)
    assert len(token) <= 40
    assert all(c.isalnum() or c in "-_." for c in token)
    assert signer.story_of(signer.story_token(10**9, 10**9)) == (10**9, 10**9, None)


def test_a_story_token_may_say_how_many_stories_its_mail_held(signer: ClickSigner) -> None:
    token = signer.story_token(12, 345, 4)
    assert signer.story_of(token) == (12, 345, 4)
    assert signer.story_of(token.replace("-4.", "-9.", 1)) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("12-", "13-", 1),  # another issue
        lambda t: t.replace("-345", "-346", 1),  # another story
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t.partition(".")[0],  # no signature
        lambda t: "",
        lambda t: "12-345",
        lambda t: "x-y." + t.partition(".")[2],
        lambda t: "-1-345." + t.partition(".")[2],
        lambda t: t + ".more",
        lambda t: "12-345-1-2." + t.partition(".")[2],
    ],
)
def test_a_tampered_story_token_names_nothing(signer: ClickSigner, tamper) -> None:  # type: ignore[no-untyped-def]
    assert signer.story_of(tamper(signer.story_token(12, 345))) is None


def test_a_token_of_another_secret_or_purpose_names_nothing(signer: ClickSigner) -> None:
    foreign = TokenSigner("another-secret-0000").clicks.story_token(12, 345)
    assert signer.story_of(foreign) is None
    # A reader part is no story token, nor the reverse.
    assert signer.story_of(signer.reader_token(12, 345)) is None
    assert signer.reader_of(signer.story_token(12, 345), 12) is None


def test_a_reader_token_names_the_reader_for_its_issue_only(signer: ClickSigner) -> None:
    token = signer.reader_token(12, 4242)

    assert signer.reader_of(token, 12) == 4242
    assert signer.reader_of(token, 13) is None  # moved onto another issue's link
    assert signer.reader_of(token.replace("4242", "4243"), 12) is None
    assert signer.reader_of("m", 12) is None
    assert len(token) <= 40
