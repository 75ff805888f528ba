"""DKIM: a digest sent with delivery.dkim configured verifies with dkimpy against the public key,
and its signature covers the one-click unsubscribe header."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import dkim
from dkim.dknewkey import ExtractRSADnsPublicKey, GenRSAKeys

from digest import pipeline
from tests.delivery.scenario import NOW, load_subscribers, smtp_config
from tests.servers import FixtureSMTPServer

DOMAIN = "news.example.org"
SELECTOR = "digest2026"


def key_pair(folder: Path) -> tuple[Path, bytes]:
    """A fresh 2048-bit RSA key (dkimpy's helper, which runs openssl) and its DNS TXT record."""
    folder.mkdir()
    private, record = folder / "dkim.pem", folder / "dkim.txt"
    GenRSAKeys(str(private), verbose=False)
    ExtractRSADnsPublicKey(str(private), str(record), verbose=False)
    return private, record.read_bytes()


class LocalDns:
    """dkimpy's DNS lookup, answered locally: our record for our selector, nothing else."""

    def __init__(self, record: bytes) -> None:
        self.record = record
        self.asked: list[bytes] = []

    def __call__(self, name: bytes, timeout: int = 5) -> bytes | None:
        self.asked.append(name)
        return self.record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None


def test_a_signed_digest_verifies_and_covers_list_unsubscribe_post(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    private, record = key_pair(tmp_path / "ours")
    _, other_key = key_pair(tmp_path / "theirs")
    settings = write_config(
        smtp_config(
            smtp_server,
            dkim={"domain": DOMAIN, "selector": SELECTOR, "key_file": str(private)},
        )
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, ["amina@example.org"])
        report = pipeline.send(rt, "weekly", NOW)
    assert report.sent == 1
    [received] = smtp_server.handler.received
    message = received.content
    lookup = LocalDns(record)

    assert dkim.verify(message, dnsfunc=lookup) is True
    assert lookup.asked == [f"{SELECTOR}._domainkey.{DOMAIN}.".encode()]

    assert message.startswith(b"DKIM-Signature:")
    header = message_from_bytes(message, policy=compat32)["DKIM-Signature"]
    tags = dict(t.partition("=")[::2] for t in "".join(str(header).split()).split(";") if t)
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR
    signed = set(tags["h"].lower().split(":"))
    for name in (
        "from",
        "subject",
        "date",
        "message-id",
        "list-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ):
        assert name in signed, name

    # The signature fails as soon as a signed header is changed: the one-click header above
    # all (otherwise anyone could add one-click unsubscribe to a forwarded copy).
    one_click = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    assert one_click in message
    tampered = message.replace(one_click, b"List-Unsubscribe-Post: List-Unsubscribe=Nope\r\n")
    assert dkim.verify(tampered, dnsfunc=LocalDns(record)) is False
    # Nor does it verify against another key published under the same selector.
    assert dkim.verify(message, dnsfunc=LocalDns(other_key)) is False
