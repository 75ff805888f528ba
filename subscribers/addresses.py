"""Email addresses: validated and normalised (email-validator, no network lookups)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from digest.errors import DigestError


class InvalidAddress(DigestError):
    default_hint = "give an address such as reader@example.org"


def normalise_address(address: str) -> str:
    """The one spelling an address is stored under; raises InvalidAddress naming the problem."""
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{address!r} is not a valid email address: {exc}") from None
    # Mailbox names are case-insensitive at every provider that matters; one person, one row.
    return result.normalized.lower()
