"""Phrases of Sisimai 5's current reason lists and of its per-MTA (lhost) and per-provider (rhost)
tables that the classifier did not know, a group each, in notice lines written for these tests
(go-sisimai's reason/why-*.go, lhost/via-*.go and rhost/for-*.go; BSD 2-Clause)."""

from __future__ import annotations

import pytest

from digest.delivery.bounce_reasons import Reason, classify, suppresses


def check(status: str, diagnostic: str, reason: Reason) -> None:
    found = classify(status, "failed", diagnostic)
    assert found == reason, f"{diagnostic!r} read as {found}, not {reason}"
    assert suppresses(found, status) == (
        reason in {Reason.USER_UNKNOWN, Reason.HOST_UNKNOWN, Reason.SUSPENDED}
    )


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        # UserUnknown (reason/why-userunknown.go): Microsoft's German notice.
        (
            "5.0.0",
            "Ihre Nachricht an ann@example.org konnte nicht zugestellt werden, weil die Adresse "
            "nicht gefunden wurde oder keine E-Mails empfangen kann.",
            Reason.USER_UNKNOWN,
        ),
        # Filtered's "not found recipient account" (reason/why-filtered.go).
        ("5.0.0", "550 Not found recipient account <ann@example.org>", Reason.USER_UNKNOWN),
        # Suspend (reason/why-suspend.go): Gmail's inactive account, the pair "mailbox ...
        # unavailable or access denied".
        (
            "5.0.0",
            "550 The email account that you tried to reach is inactive.",
            Reason.SUSPENDED,
        ),
        (
            "5.0.0",
            "550 Mailbox <ann@example.org> unavailable or access denied",
            Reason.SUSPENDED,
        ),
    ],
)
def test_sisimai_5_address_phrases_suppress(status: str, diagnostic: str, reason: Reason) -> None:
    check(status, diagnostic, reason)


@pytest.mark.parametrize(
    ("diagnostic", "reason"),
    [
        # MailboxFull (reason/why-mailboxfull.go), with a wrong 5.1.1 as MTAs give.
        ("550 5.1.1 write error: No space left on device", Reason.MAILBOX_FULL),
        ("550 5.1.1 <ann@example.org>: not sufficient disk space", Reason.MAILBOX_FULL),
        ("550 5.1.1 Mailbox ann has exceeded its size limit", Reason.MAILBOX_FULL),
        # Blocked and SpamDetected (why-blocked.go, why-spamdetected.go).
        ("550 5.1.1 Your access IP 192.0.2.1 has been rejected", Reason.SPAM_BLOCK),
        ("550 5.1.1 Mail score (14.2) over MX threshold", Reason.SPAM_BLOCK),
        # Rejected, NoRelaying, AuthFailure, RateLimited, NotCompliantRFC.
        ("550 5.1.1 Connected to 192.0.2.1 but sender was rejected.", Reason.POLICY_BLOCK),
        ("550 5.1.1 not local host example.org", Reason.POLICY_BLOCK),
        ("550 5.1.1 The specified domain is not allowed", Reason.POLICY_BLOCK),
        (
            "550 5.1.1 Sending domain example.net doesn't meet the required authentication level",
            Reason.POLICY_BLOCK,
        ),
        ("421 4.7.0 Connection count limit exceeded", Reason.POLICY_BLOCK),
        ("550 5.1.1 This message contains multiple From header", Reason.CONTENT_BLOCK),
    ],
)
def test_sisimai_5_phrases_of_other_reasons_do_not_suppress(
    diagnostic: str, reason: Reason
) -> None:
    check("5.1.1", diagnostic, reason)


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        # Exim's router errors (lhost/via-exim.go).
        ("5.0.0", "all host address lookups failed permanently", Reason.HOST_UNKNOWN),
        ("5.0.0", "all relevant MX records point to non-existent hosts", Reason.HOST_UNKNOWN),
        # qmail-ldap's disabled addresses, in the spellings it has (lhost/via-qmail.go).
        ("5.0.0", "Mailaddress is administrativly disabled. (#5.2.1)", Reason.SUSPENDED),
        ("5.0.0", "Mailaddress is administrativeley disabled. (#5.2.1)", Reason.SUSPENDED),
        # Gmail's DNS error (lhost/via-gmail.go), Exchange's (via-exchange2007.go).
        (
            "5.0.0",
            "DNS Error: DNS server returned answer with no data for example.org",
            Reason.HOST_UNKNOWN,
        ),
        ("5.0.0", "SMTPSEND.DNS.NonExistentDomain; nonexistent domain", Reason.HOST_UNKNOWN),
        ("5.0.0", "RESOLVER.ADR.ExRecipNotFound; not found", Reason.USER_UNKNOWN),
        # Oracle Messaging Server's, IMail's (via-messagingserver.go, via-imailserver.go).
        ("5.0.0", "Illegal host/domain name found", Reason.HOST_UNKNOWN),
        ("5.0.0", "550 Invalid final delivery userid: ann", Reason.USER_UNKNOWN),
        # Domino's and Notes' in Spanish, French and Japanese (via-domino.go, via-notes.go).
        ("5.0.0", "ann no se encuentra en el Directorio de Domino", Reason.USER_UNKNOWN),
        ("5.0.0", "ann non répertorié dans l'annuaire Domino", Reason.USER_UNKNOWN),
        ("5.0.0", "ユーザー ann は Domino ディレクトリには見つかりません", Reason.USER_UNKNOWN),
        ("5.0.0", "ann はディレクトリのリストにありません", Reason.USER_UNKNOWN),
    ],
)
def test_mta_tables_address_phrases_suppress(status: str, diagnostic: str, reason: Reason) -> None:
    check(status, diagnostic, reason)


@pytest.mark.parametrize(
    ("diagnostic", "reason"),
    [
        # qmail's (lhost/via-qmail.go): a full disk, a misconfigured MX, its LDAP patch.
        (
            "Remote host said: 452 Requested action not taken: mailbox unavailable (not enough "
            "free space)",
            Reason.MAILBOX_FULL,
        ),
        (
            "Sorry. Although I'm listed as a best-preference MX or A for that host, it isn't in "
            "my control/locals file, so I don't treat it as local. (#5.4.6)",
            Reason.NETWORK_ERROR,
        ),
        ("Connected to 192.0.2.1 but my name was rejected.", Reason.POLICY_BLOCK),
        ("The message exeeded the maximum size the user accepts", Reason.MESSAGE_TOO_BIG),
        ("Unable to contact LDAP server (#4.4.3)", Reason.SYSTEM_ERROR),
        ("Temporary error in automatic homedir creation. (#4.3.0)", Reason.SYSTEM_ERROR),
        ("Permanent error while executing qmail-forward. (#5.4.4)", Reason.SYSTEM_ERROR),
        # Gmail's (lhost/via-gmail.go).
        ("DNS Error: Could not contact DNS servers", Reason.NETWORK_ERROR),
        ("500 Remote server does not support TLS (state 6).", Reason.POLICY_BLOCK),
        ("535 SMTP AUTH failed with the remote server. (state 8).", Reason.POLICY_BLOCK),
        # Exchange's (via-exchange2003.go, via-exchange2007.go).
        ("550 5.5.3 RESOLVER.ADR.RecipLimit", Reason.TOO_MANY_RECIPIENTS),
        ("554 5.4.4 SMTPSEND.DNS.MxLoopback", Reason.NETWORK_ERROR),
        ("550 5.2.0 RESOLVER.ADR.BadPrimary", Reason.SYSTEM_ERROR),
        ("(000C0595) Ambiguous Recipient", Reason.SYSTEM_ERROR),
        ("(000D06B5) No proxy for recipient", Reason.SYSTEM_ERROR),
        ("(00050311) Conversion to Internet format failed", Reason.CONTENT_BLOCK),
        ("550 5.7.1 RESOLVER.RST.AuthRequired", Reason.POLICY_BLOCK),
        # Courier's, OpenSMTPD's, Notes' (via-courier.go, via-opensmtpd.go, via-notes.go).
        ("This domain's DNS violates RFC 1035.", Reason.SYSTEM_ERROR),
        ("DNS lookup failed.", Reason.NETWORK_ERROR),
        ("Temporary failure in MX lookup", Reason.NETWORK_ERROR),
        ("Network error on destination MXs", Reason.NETWORK_ERROR),
        ("No valid route to remote MX", Reason.NETWORK_ERROR),
        ("Could not retrieve credentials", Reason.POLICY_BLOCK),
        ("Destination seem to reject all mails", Reason.POLICY_BLOCK),
        ("Message has exceeded maximum hop count", Reason.NETWORK_ERROR),
        # KDDI's relay error (via-kddi.go).
        ("Due to the following SMTP relay error", Reason.POLICY_BLOCK),
    ],
)
def test_mta_tables_phrases_of_other_reasons_do_not_suppress(
    diagnostic: str, reason: Reason
) -> None:
    check("5.1.1", diagnostic, reason)


@pytest.mark.parametrize(
    "diagnostic",
    [
        # Exim's own refusals to deliver to a file or a pipe (lhost/via-exim.go): the receiving
        # system's, after the reasons about the address.
        "  /var/mail/ann\n    generated by ann@example.org\n    delivery to file forbidden",
        "  |/usr/local/bin/filter\n    generated by ann@example.org\n"
        "    delivery to pipe forbidden",
    ],
)
def test_exims_local_delivery_failures_are_the_systems(diagnostic: str) -> None:
    check("5.0.0", diagnostic, Reason.SYSTEM_ERROR)


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        # Gmail's (rhost/for-google.go), each with the code it comes with.
        (
            "5.2.1",
            "550 5.2.1 The user you are trying to contact is receiving mail too quickly.",
            Reason.POLICY_BLOCK,
        ),
        ("5.0.0", "The recipient's inbox is out of storage space.", Reason.MAILBOX_FULL),
        (
            "5.4.6",
            "554 5.4.6 Message exceeded 50 hops, this may indicate a mail loop.",
            Reason.NETWORK_ERROR,
        ),
        ("5.0.0", "Invalid credentials for relay [192.0.2.1].", Reason.POLICY_BLOCK),
        ("5.0.0", "Must issue a STARTTLS command first.", Reason.POLICY_BLOCK),
        (
            "5.7.1",
            "550 5.7.1 Messages missing a valid Message-ID: header are not accepted.",
            Reason.CONTENT_BLOCK,
        ),
        ("5.6.0", "554 5.6.0 Mail message is malformed. Not accepted.", Reason.CONTENT_BLOCK),
        (
            "5.0.0",
            "The number of attachments (30) exceeds Google's limit of 25 attachments.",
            Reason.MESSAGE_TOO_BIG,
        ),
        ("4.3.0", "421 4.3.0 Temporary System Problem. Try again later.", Reason.SYSTEM_ERROR),
        ("5.0.0", "Username and Password not accepted.", Reason.POLICY_BLOCK),
        (
            "4.7.0",
            "421 4.7.0 IP not in whitelist for RCPT domain, closing connection.",
            Reason.SPAM_BLOCK,
        ),
        # Microsoft 365's (rhost/for-microsoft.go).
        ("5.7.505", "550 5.7.505 Access denied, banned recipient", Reason.SUSPENDED),
        ("5.0.0", "550 Mailbox cannot be accessed", Reason.SUSPENDED),
        ("5.0.0", "550 Invalid X.400 address", Reason.USER_UNKNOWN),
        ("5.1.4", "550 5.1.4 Recipient address reserved by RFC 2606", Reason.USER_UNKNOWN),
        ("5.4.4", "550 5.4.4 Invalid arguments", Reason.NETWORK_ERROR),
        ("5.4.312", "550 5.4.312 DNS query failed", Reason.NETWORK_ERROR),
        (
            "5.0.0",
            "starttls-not-supported: Destination mail server must support TLS",
            Reason.POLICY_BLOCK,
        ),
        ("5.0.0", "Sender was not authenticated for mailbox", Reason.POLICY_BLOCK),
        ("5.0.0", "Sender not in allowed-senders list", Reason.POLICY_BLOCK),
        (
            "5.2.122",
            "550 5.2.122 The recipient has exceeded their limit for the number of messages they "
            "can receive per hour",
            Reason.POLICY_BLOCK,
        ),
        ("5.2.14", "550 5.2.14 Misconfigured forwarding address", Reason.SYSTEM_ERROR),
        ("4.3.1", "452 4.3.1 Insufficient system resources", Reason.SYSTEM_ERROR),
        ("5.6.11", "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal", Reason.CONTENT_BLOCK),
        (
            "4.7.0",
            "421 RP-001 Unfortunately, some messages from 192.0.2.1 weren't sent.",
            Reason.SPAM_BLOCK,
        ),
    ],
)
def test_the_providers_own_words_with_their_codes(
    status: str, diagnostic: str, reason: Reason
) -> None:
    check(status, diagnostic, reason)


@pytest.mark.parametrize(
    "diagnostic",
    [
        # RFC 3463's X.1.7 and X.1.8 name the sender's address, whatever words come with them
        # (Microsoft's "550 5.1.7 Invalid address", Sisimai's rhost/for-microsoft.go: rejected).
        "550 5.1.7 Invalid address",
        "553 5.1.7 The sender address <ann@example.net> is not a valid RFC 5321 address.",
    ],
)
def test_codes_about_the_senders_address_never_suppress(diagnostic: str) -> None:
    status = diagnostic.split()[1]
    check(status, diagnostic, Reason.POLICY_BLOCK)


@pytest.mark.parametrize(
    "diagnostic",
    [
        # A block on a sending host that sent to too many invalid recipients names no address
        # (Cox's, GoDaddy's IB112; Sisimai's rhost/for-cox.go, for-godaddy.go: blocked).
        "554 This IP has been temporarily blocked for attempting to mail too many invalid "
        "recipients. IB112",
        "554 too many invalid recipients from 192.0.2.1",
    ],
)
def test_a_block_for_too_many_invalid_recipients_is_no_dead_address(diagnostic: str) -> None:
    check("5.0.0", diagnostic, Reason.SPAM_BLOCK)


@pytest.mark.parametrize(
    ("diagnostic", "reason"),
    [
        # Yahoo's, Cox's, GoDaddy's, Orange's and Mimecast's, with a wrong 5.1.1 (Sisimai's
        # rhost/for-yahooinc.go, for-cox.go, for-godaddy.go, for-franceptt.go, for-mimecast.go).
        (
            "421 Max message per connection reached, closing transmission channel",
            Reason.POLICY_BLOCK,
        ),
        ("554 Message not allowed - Headers are not RFC compliant", Reason.CONTENT_BLOCK),
        ("554 cox too many bad commands from 192.0.2.1", Reason.SPAM_BLOCK),
        ("421 dns check failure - try again later", Reason.SPAM_BLOCK),
        ("554 esmtp no data before greeting", Reason.POLICY_BLOCK),
        ("552 attachment extension is forbidden", Reason.CONTENT_BLOCK),
        ("421 esmtp server temporarily not available", Reason.SYSTEM_ERROR),
        ("421 message threshold exceeded", Reason.POLICY_BLOCK),
        ("535 Authentication not allowed on IBSMTP Servers. IB401", Reason.POLICY_BLOCK),
        (
            "550 ann@example.net Blank From: addresses are not allowed. Provide a valid From.",
            Reason.CONTENT_BLOCK,
        ),
        ("552 Virus infected message rejected. IB705", Reason.CONTENT_BLOCK),
        ("Account storage limit", Reason.MAILBOX_FULL),
        ("This message is looping: it already has my Delivered-To line.", Reason.SYSTEM_ERROR),
        ("550 mwinf5c10 ME Service refuse. Veuillez essayer plus tard.", Reason.SPAM_BLOCK),
        ("553 This route requires encryption (TLS)", Reason.POLICY_BLOCK),
        ("554 Maximum email size exceeded", Reason.MESSAGE_TOO_BIG),
        ("451 Open relay not allowed", Reason.POLICY_BLOCK),
        ("451 Account inbounds disabled", Reason.POLICY_BLOCK),
        ("535 Incorrect authentication data", Reason.POLICY_BLOCK),
        ("451 Unable to process connection at this time", Reason.SYSTEM_ERROR),
        ("550 Exceeding outbound thread limit", Reason.POLICY_BLOCK),
    ],
)
def test_more_providers_words_do_not_suppress(diagnostic: str, reason: Reason) -> None:
    check("5.1.1", diagnostic, reason)


@pytest.mark.parametrize(
    ("diagnostic", "reason"),
    [
        # MessageLabs' refusal of an address it has no mailbox for (rhost/for-messagelabs.go).
        ("553 Recipient mailbox is not allowed", Reason.USER_UNKNOWN),
        # Apple's, Tencent's (QQ) and MessageLabs' other words (rhost/for-apple.go,
        # for-tencent.go, for-messagelabs.go), none about the address.
        (
            "421 4.7.1 Messages to ann@example.org deferred due to excessive volume",
            Reason.POLICY_BLOCK,
        ),
        ("550 Mail is rejected by recipients", Reason.POLICY_BLOCK),
        ("550 Frequency of receiving messages is limited", Reason.POLICY_BLOCK),
        ("421 IP frequency limited", Reason.POLICY_BLOCK),
        ("550 Suspected bounce attacks", Reason.POLICY_BLOCK),
        ("451 TLS/SSLv3 Connection required. (#4.7.1)", Reason.POLICY_BLOCK),
        (
            "550 sender envelope domain not allowed for sender IP address (#5.1.8)",
            Reason.POLICY_BLOCK,
        ),
        ("553 Please turn on SMTP Authentication in your mail client", Reason.POLICY_BLOCK),
        ("553 Stray linefeeds in message (#5.6.2)", Reason.CONTENT_BLOCK),
        # Facebook's response codes (rhost/for-facebook.go): the address, or the sender.
        ("550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes#rcp", Reason.USER_UNKNOWN),
        ("550 INT-P4 http://postmaster.facebook.com/response_codes#int", Reason.USER_UNKNOWN),
        ("554 RCP-T4 http://postmaster.facebook.com/response_codes#rcp", Reason.SUSPENDED),
        ("554 5.7.1 POL-P2 http://postmaster.facebook.com/response_codes#pol", Reason.POLICY_BLOCK),
        ("550 DNS-P1 http://postmaster.facebook.com/response_codes#dns", Reason.POLICY_BLOCK),
        # Zoho's and Google Workspace's (rhost/for-zoho.go, for-gsuite.go).
        ("541 5.4.1 Mail rejected by destination domain", Reason.POLICY_BLOCK),
        ("552 5.7.1 virus Eicar-Test detected by Zoho Mail", Reason.CONTENT_BLOCK),
        (
            "DNS type 'mx' lookup of example.org had no relevant answers.",
            Reason.NETWORK_ERROR,
        ),
        # Mimecast's notice and Google Workspace's (lhost/via-mimecast.go, via-googleworkspace.go).
        (
            "The problem appears to be : -- Recipient email address is possibly incorrect",
            Reason.USER_UNKNOWN,
        ),
        (
            "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability",
            Reason.POLICY_BLOCK,
        ),
        # fml's (lhost/via-fml.go).
        ("You are not a member of this mailing list <club@example.org>.", Reason.POLICY_BLOCK),
        ("NOT MEMBER article from ann@example.net", Reason.POLICY_BLOCK),
        ("Duplicated Message-ID", Reason.CONTENT_BLOCK),
        (
            "fml has detected a loop condition so that input mail has not been delivered",
            Reason.SYSTEM_ERROR,
        ),
    ],
)
def test_notices_and_providers_words_without_a_code(diagnostic: str, reason: Reason) -> None:
    check("5.0.0", diagnostic, reason)
