"""`digest bounces process` on the kinds of report: only dead addresses are suppressed, ARF
complainers as complaints, addresses matched in Unicode and IDNA forms, MTAs' own formats read."""

from __future__ import annotations

from pathlib import Path

from digest import pipeline
from subscribers import membership
from tests.conftest import TEST_FROM
from tests.delivery.scenario import NOW, digest
from tests.delivery.test_bounces import (
    FINE,
    HARD,
    LATER,
    SOFT,
    audience,
    config,
    dsn,
    subscribe,
    suppressions,
    write_mbox,
)
from tests.servers import FixtureSMTPServer

CORPUS = Path(__file__).parent / "bounces_corpus"


def arf(*, original_rcpt_to: str, number: int) -> bytes:
    """A complaint as a mailbox provider's feedback loop sends one (RFC 5965)."""
    boundary = f"arf-{number}-boundary"
    return (
        "From: Feedback Loop <fbl@isp.example.net>\r\n"
        "To: fbl@news.example.org\r\n"
        "Subject: Abuse report\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        f"Message-ID: <arf-{number}@isp.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=feedback-report;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is an email abuse report.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/feedback-report\r\n"
        "\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: ISP-FBL/1.0\r\n"
        "Version: 1\r\n"
        f"Original-Rcpt-To: <{original_rcpt_to}>\r\n"
        "Source-IP: 192.0.2.25\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        f"From: The Weekly <{TEST_FROM}>\r\n"
        f"To: {original_rcpt_to}\r\n"
        "Subject: The Weekly: 23 Nov - 29 Nov 2026\r\n"
        "\r\n"
        "This week...\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode()


IDN_READER = "lena@bücher.example"
QMAIL_READER, EXIM_READER = "userx@example.de", "userx@its.example.nl"


def test_only_dead_addresses_are_suppressed_and_complainers_as_complaints(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    settings = write_config(config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        subscribe(rt, "weekly")
        with rt.sessions.begin() as session:
            lst = membership.get_list(session, "weekly")
            for email in (IDN_READER, QMAIL_READER, EXIM_READER):
                membership.add_subscriber(session, lst, email, name=None, now=NOW)

        def failed(number: int, recipient: str, status: str, diagnostic: str) -> bytes:
            return dsn(
                to=TEST_FROM,
                final_recipient=recipient,
                action="delivered" if status.startswith("2") else "failed",
                status=status,
                diagnostic=diagnostic,
                number=number,
            )

        box = write_mbox(
            tmp_path / "bounces.mbox",
            [
                arf(original_rcpt_to=FINE, number=1),
                failed(2, SOFT, "5.2.2", "552 5.2.2 Mailbox full"),
                failed(
                    3,
                    HARD,
                    "5.7.1",
                    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
                    "zen.spamhaus.org",
                ),
                failed(4, HARD, "2.1.5", "250 2.1.5 OK"),
                # Reported in its IDNA form; stored with its domain in Unicode.
                failed(5, "lena@xn--bcher-kva.example", "5.1.1", "550 5.1.1 User unknown"),
                (CORPUS / "tuned" / "qmail_01.txt").read_bytes(),
                (CORPUS / "tuned" / "exim_01.txt").read_bytes(),
            ],
        )

        result = digest(
            settings.config_path, "--now", LATER.isoformat(), "bounces", "process", str(box)
        )

        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == (
            "Read 7 message(s): 3 hard bounce(s) suppressed, 2 soft bounce(s) noted, "
            "1 complaint(s) suppressed, 0 naming no known subscriber"
        )
        found = suppressions(rt)
        assert {email: reason for email, (reason, _d) in found.items()} == {
            FINE: "complaint",
            IDN_READER: "hard_bounce",
            QMAIL_READER: "hard_bounce",
            EXIM_READER: "hard_bounce",
        }
        assert found[IDN_READER][1].startswith("user_unknown: ")
        readers = audience(rt)
        assert readers[FINE][0] == "complained"
        # Mailbox full and a block list refusing our server: soft; the success: nothing.
        assert readers[SOFT] == ("active", 1)
        assert readers[HARD] == ("active", 1)
