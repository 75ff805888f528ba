"""The client a limit counts: its IPv4 address, or its IPv6 /64 (what one user usually holds)."""

from __future__ import annotations

import ipaddress

# One subscriber line or host is usually given a whole /64: counting each address apart would
# give one IPv6 user 2^64 allowances.
IPV6_CLIENT_PREFIX = 64


def client_network(host: str | None) -> str:
    """The client as a limit counts it: its address (an IPv4-mapped one unwrapped), or its /64
    for IPv6; "unknown" without an address."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)
