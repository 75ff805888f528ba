"""A recipient's address as it goes on the wire: the domain as its IDNA A-label, the local part
as it is (a UTF-8 one only with SMTPUTF8, RFC 6531)."""

from __future__ import annotations

import contextlib

import idna


class UnencodableAddress(ValueError):
    """An address no server can be given (its domain has no IDNA form)."""


def wire_address(address: str) -> str:
    """The address with its domain as an IDNA A-label (xn--…): what the SMTP envelope and the
    To header carry. The domain's ASCII form needs no extension from any server, so an
    internationalised domain with an ASCII local part stays deliverable everywhere.

    IDNA 2008 (the idna package, UTS 46 mapping), as email-validator checked it: Python's own
    "idna" codec is IDNA 2003, which maps some domains to others (fuß.de to fuss.de)."""
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise UnencodableAddress(
            f"the domain of {address} cannot be encoded in IDNA: {exc}"
        ) from None
    return f"{local}@{ascii_domain}"


def needs_smtputf8(*addresses: str) -> bool:
    """Whether these wire addresses (see wire_address) can only go with SMTPUTF8."""
    return not all(a.isascii() for a in addresses)


def address_forms(address: str) -> set[str]:
    """The spellings of one address a report may give: as given, with its domain as an IDNA
    A-label, and with its domain in Unicode (as addresses are stored)."""
    forms = {address}
    local, at, domain = address.rpartition("@")
    if not at:
        return forms
    with contextlib.suppress(idna.IDNAError, UnicodeError):
        forms.add(f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}")
    with contextlib.suppress(idna.IDNAError, UnicodeError):
        forms.add(f"{local}@{idna.decode(domain)}")
    return forms
