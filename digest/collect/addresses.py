"""Which IP addresses the collector may connect to: public ones only, IPv4 inside IPv6 included."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6052's well-known NAT64 prefix: the translator sends to the IPv4 address in the last 32
# bits, which is judged as that address (an IPv6-only network with DNS64 reaches every IPv4-only
# site this way).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215's local-use NAT64 prefix: where its addresses lead is the local network's own
# business (the IPv4 address may sit at any of six places), so none is accepted.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# Teredo tunnels through a relay to a client behind a NAT: the hosts it reaches cannot be
# judged from the address, and no news site is served over it (the public relays are gone).
_TEREDO = ipaddress.IPv6Network("2001::/32")
# IPv4-compatible (::a.b.c.d, deprecated by RFC 4291) and IPv4-translated (SIIT,
# ::ffff:0:a.b.c.d) addresses: some stacks still send them to the IPv4 address inside.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def refusal(address: IPAddress) -> str | None:
    """Why the collector must not connect to address, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        return _ipv6_refusal(address)
    return None if _public(address) else "a private or reserved address"


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str | None:
    if address.is_loopback or address.is_unspecified:  # ::1 and :: are in ::/96 too
        return "a private or reserved address"
    if address in _TEREDO:
        return "a Teredo tunnel address"
    if address in _NAT64_LOCAL:
        return "a local-use NAT64 address"
    if address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED:
        return "an IPv4-compatible address"
    embedded, form = _embedded_ipv4(address)
    if embedded is not None:
        if _public(embedded):
            return None
        return f"{form} of {embedded}, a private or reserved address"
    if address.is_site_local or not _public(address):
        return "a private or reserved address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    """The IPv4 address an IPv6 address leads to, by the form that carries it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    return None, ""


def _public(address: IPAddress) -> bool:
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )
