"""One Message-ID per issue and reader: every copy of a message carries the same one."""

from __future__ import annotations

import re

from digest.delivery.envelope import issue_message_id
from subscribers.tokens import TokenSigner

SIGNER = TokenSigner("a test secret")
FROM = "digest@sahelcoast.example.org"


def test_the_same_reader_and_issue_get_the_same_message_id_every_time() -> None:
    first = issue_message_id(SIGNER, FROM, issue_id=7, subscriber_id=42, list_id=1)
    # Built again, as after a crash, by another signer with the same secret (another worker).
    again = issue_message_id(TokenSigner("a test secret"), FROM, 7, 42, 1)
    assert first == again
    assert re.fullmatch(r"<[A-Za-z0-9_-]{20,}@sahelcoast\.example\.org>", first), first


def test_readers_issues_and_lists_each_get_their_own() -> None:
    ids = {
        issue_message_id(SIGNER, FROM, issue, reader, lst)
        for issue in (7, 8)
        for reader in (42, 43)
        for lst in (1, 2)
    }
    assert len(ids) == 8
    # Keyed with the secret: nobody outside can work out a reader's Message-ID.
    assert issue_message_id(TokenSigner("another"), FROM, 7, 42, 1) not in ids
    # The parts are not merely joined: (1, 23) and (12, 3) differ.
    assert issue_message_id(SIGNER, FROM, 1, 23, 1) != issue_message_id(SIGNER, FROM, 12, 3, 1)
