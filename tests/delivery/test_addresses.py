"""Addresses on the wire: IDNA 2008 A-labels for domains, UTF-8 local parts left as they are."""

from __future__ import annotations

import pytest

from digest.delivery.addresses import (
    UnencodableAddress,
    address_forms,
    needs_smtputf8,
    wire_address,
)
from digest.delivery.message import to_header


def test_a_domain_goes_as_the_a_label_email_validator_checked() -> None:
    assert wire_address("ascii-local@ex\u0430mple.net") == "ascii-local@xn--exmple-4nf.net"
    # IDNA 2008 keeps ß, a different domain from the "fuss.de" of the stdlib's IDNA 2003 codec.
    assert wire_address("a@fu\u00df.de") == "a@xn--fu-hia.de"
    assert wire_address("reader@example.org") == "reader@example.org"


def test_a_utf8_local_part_is_kept_and_needs_smtputf8() -> None:
    assert wire_address("\u00fcser@b\u00fccher.de") == "\u00fcser@xn--bcher-kva.de"
    assert needs_smtputf8("news@example.org", "\u00fcser@xn--bcher-kva.de")
    assert not needs_smtputf8("news@example.org", "ascii-local@xn--exmple-4nf.net")
    assert to_header("\u00fc@example.net") == "To: \u00fc@example.net\r\n".encode()


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("snow@ex\u2603.net", "cannot be encoded in IDNA"),
        ("x@example.org\r\nBcc: y@example.net", "control character"),
    ],
)
def test_an_address_no_message_can_carry_is_refused_with_its_reason(
    address: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        to_header(address)
    if "IDNA" in says:
        with pytest.raises(UnencodableAddress):
            wire_address(address)


def test_a_reported_address_is_looked_up_in_its_unicode_and_idna_forms() -> None:
    both = {"lena@b\u00fccher.example", "lena@xn--bcher-kva.example"}
    assert address_forms("lena@xn--bcher-kva.example") == both
    assert address_forms("lena@b\u00fccher.example") == both
    assert address_forms("reader@example.org") == {"reader@example.org"}
    # A domain with no IDNA form is looked up as given.
    assert address_forms("a@xn--invalid-.example") == {"a@xn--invalid-.example"}
