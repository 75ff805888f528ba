"""normalise_address: one spelling per mailbox; anything else is refused with InvalidAddress."""

from __future__ import annotations

import pytest

from digest.errors import DigestError
from subscribers.addresses import InvalidAddress, normalise_address


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("reader@example.org", "reader@example.org"),
        ("Reader@Example.ORG", "reader@example.org"),
        ("  Fatou.Diop@Example.org \n", "fatou.diop@example.org"),
        ("AMINATA+digest@News.Example.SN", "aminata+digest@news.example.sn"),
        ("o'brien@example.org", "o'brien@example.org"),
    ],
)
def test_normalise_address(given: str, stored: str) -> None:
    assert normalise_address(given) == stored


def test_the_same_mailbox_in_any_case_is_one_address() -> None:
    spellings = ["kofi@example.org", "KOFI@EXAMPLE.ORG", "Kofi@Example.Org", " kofi@example.org "]

    assert len({normalise_address(s) for s in spellings}) == 1


def test_normalise_address_is_idempotent() -> None:
    once = normalise_address("  Moussa.Keita@Example.ORG")

    assert normalise_address(once) == once


def test_international_domain_is_kept_readable_and_lower_case() -> None:
    assert normalise_address("Reader@Exämple.org") == "reader@exämple.org"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "reader",
        "reader@",
        "@example.org",
        "reader@@example.org",
        "read er@example.org",
        "reader@example",
        "reader@exa mple.org",
        "reader@.example.org",
        "reader.@example.org",
        "reader@example..org",
        "<reader@example.org>",
        "Reader <reader@example.org>",
        "reader@example.org, other@example.org",
    ],
)
def test_invalid_addresses_raise_invalid_address(address: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_address(address)

    assert repr(address) in str(caught.value)
    assert caught.value.hint


def test_invalid_address_is_a_digest_error() -> None:
    with pytest.raises(DigestError):
        normalise_address("not an address")
