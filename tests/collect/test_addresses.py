"""The SSRF guard's address rule: public addresses only, the IPv4 inside IPv6 forms judged too."""

from __future__ import annotations

import ipaddress

import pytest

from digest.collect.addresses import refusal


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "private or reserved"),
        ("10.0.0.1", "private or reserved"),
        ("169.254.169.254", "private or reserved"),
        ("100.64.0.1", "private or reserved"),  # carrier-grade NAT
        ("::1", "private or reserved"),
        ("fe80::1", "private or reserved"),
        ("fc00::1", "private or reserved"),
        ("fec0::1", "private or reserved"),  # site-local
        ("::ffff:127.0.0.1", "IPv4-mapped of 127.0.0.1"),
        ("::ffff:10.1.2.3", "IPv4-mapped of 10.1.2.3"),
        ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
        ("2002:c0a8:101::", "6to4 of 192.168.1.1"),
        ("2002:a9fe:a9fe:1234::5", "6to4 of 169.254.169.254"),
        ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
        ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
        ("64:ff9b:1::7f00:1", "local-use NAT64"),
        ("64:ff9b:1:2::808:808", "local-use NAT64"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Teredo"),  # client 8.8.8.8: still a tunnel
        ("::7f00:1", "IPv4-compatible"),
        ("::808:808", "IPv4-compatible"),
        ("::ffff:0:7f00:1", "IPv4-compatible"),  # IPv4-translated (SIIT)
        ("2001:db8::1", "private or reserved"),  # documentation
    ],
)
def test_a_private_address_in_any_form_is_refused_with_its_reason(
    address: str, reason: str
) -> None:
    refused = refusal(ipaddress.ip_address(address))
    assert refused is not None and reason in refused


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82b::200e",
        "::ffff:93.184.216.34",  # IPv4-mapped public address
        "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
        "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34, as DNS64 answers on IPv6-only hosts
    ],
)
def test_a_public_address_in_any_form_is_accepted(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
