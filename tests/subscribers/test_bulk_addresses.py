"""The import's fast address check gives exactly email-validator's answer."""

from __future__ import annotations

import pytest

from subscribers.addresses import InvalidAddress, normalise_address
from subscribers.bulk_addresses import normalise_address_fast

ADDRESSES = [
    "a@b.co",
    "A.B@EXAMPLE.ORG",
    " x@y.org ",
    "user+tag@x.org",
    "o'brien@x.org",
    "a..b@x.org",
    ".a@x.org",
    "a.@x.org",
    "a@-x.org",
    "a@x",
    "a@localhost",
    "a@x..org",
    "a" * 64 + "@x.org",
    "a" * 65 + "@x.org",
    "a@" + "b" * 63 + ".org",
    "a@" + "b" * 64 + ".org",
    "x@" + ("a" * 60 + ".") * 4 + "org",
    "ann@bücher.de",
    "ann@XN--BCHER-KVA.de",
    '"a b"@x.org',
    "a@[1.2.3.4]",
    "Ann <a@x.org>",
    "a@b@c.org",
    "a@x.invalid",
    "a@x.test",
    "a@x.org.",
    "a@1.2.3.4",
    "zoé@x.org",
    "a@x.123",
    "a@ x.org",
    "a@x.org\x00",
    "a\r\n@x.org",
    "",
    "@x.org",
    "a@",
]


def answer(normalise, address: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(normalise(address))
    except InvalidAddress as exc:
        return f"invalid: {exc}"


@pytest.mark.parametrize("address", ADDRESSES)
def test_same_answer_as_email_validator(address: str) -> None:
    expected = answer(normalise_address, address)
    assert answer(normalise_address_fast, address) == expected
    assert answer(normalise_address_fast, address) == expected  # the domain now cached
