"""VERP envelope senders' shape (bounces+TOKEN@domain): one made from the plain bounce address
and a reader's token (envelope.envelope_sender), whether a sender is the plain one with a
token, and its twin, a sender of the same shape no reader has, which the SMTP connection asks
for to tell a refusal of one reader's own sender from one of every reader's
(smtp._Connection._own_sender_refused)."""

from __future__ import annotations

import string

_NEXT_CHARACTER = str.maketrans(
    string.ascii_lowercase + string.ascii_uppercase + string.digits,
    string.ascii_lowercase[1:] + "a" + string.ascii_uppercase[1:] + "A" + string.digits[1:] + "0",
)


def with_token(plain: str, token: str) -> str:
    """The plain address with a reader's token: local+TOKEN@domain."""
    local, _, domain = plain.rpartition("@")
    return f"{local}+{token}@{domain}"


def is_verp_of(sender: str, plain: str) -> bool:
    """Whether `sender` is `plain` with a reader's VERP token (local+TOKEN@domain)."""
    local, _, domain = plain.rpartition("@")
    return sender.startswith(f"{local}+") and sender.endswith(f"@{domain}") and sender != plain


def twin(sender: str) -> str:
    """The envelope sender with each letter and digit of its VERP token moved one along in
    its class (a→b, z→a, 9→0): the same length, punctuation and shape, a token no reader has
    (its signature no longer checks), for a server that refuses by length or characters."""
    local, _, domain = sender.rpartition("@")
    base, _, token = local.rpartition("+")  # a token has no "+"; the bounce address may
    return with_token(f"{base}@{domain}", token.translate(_NEXT_CHARACTER))
