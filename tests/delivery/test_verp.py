"""VERP senders' shapes: a reader's sender told from others, and its twin."""

from __future__ import annotations

from digest.delivery.verp import is_verp_of, twin, with_token


def test_a_sender_with_a_token_is_the_plain_ones_verp_and_no_other_is() -> None:
    plain = "bounces@example.net"
    assert with_token(plain, "WzMsMV0.JhVk-C6_x") == "bounces+WzMsMV0.JhVk-C6_x@example.net"
    assert is_verp_of("bounces+WzMsMV0.JhVk-C6_x@example.net", plain)
    assert not is_verp_of(plain, plain)
    assert not is_verp_of("news@example.net", plain)  # a test mail's From address
    assert not is_verp_of("bounces+x@example.org", plain)
    assert not is_verp_of("bouncesx+y@example.net", plain)


def test_a_twin_has_the_same_shape_and_another_token() -> None:
    sender = "bounces+WzMsMV0.JhVk-C6_xz9Z@example.net"
    other = twin(sender)
    assert other == "bounces+XaNtNW1.KiWl-D7_ya0A@example.net"
    assert len(other) == len(sender) and other != sender
    assert [c.isalnum() for c in other] == [c.isalnum() for c in sender]
    assert is_verp_of(other, "bounces@example.net")


def test_a_plus_in_the_bounce_address_stays_as_it_is() -> None:
    assert twin("list+bounces+Ab9@example.net") == "list+bounces+Bc0@example.net"
