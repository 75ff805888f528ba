"""`digest subscribers import|export|suppress` as an operator runs them: a real process."""

from __future__ import annotations

from pathlib import Path

from tests.servers import FixtureSMTPServer
from tests.terminal import digest_on_terminal
from tests.test_cli import digest, project  # noqa: F401 (the project fixture)


def test_import_reports_bad_rows_by_line_then_export_round_trips(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    (project / "people.csv").write_text(
        "email,name,topics,timezone\n"
        "ann@example.org,Ann,West Africa,Africa/Dakar\n"
        "nobody,,,\n"
        "bob@example.org,Bob,,Atlantis/Capital\n"
        "cy@example.org,,,\n",
        encoding="utf-8",
    )
    result = digest(
        project, "subscribers", "import", "people.csv", "--confirmed", database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "people.csv:3: 'nobody' is not a valid email address: An email address must have an "
        "@-sign.",
        "people.csv:4: time zone 'Atlantis/Capital' is not an IANA zone such as Africa/Dakar",
    ]
    assert result.stdout.splitlines() == [
        "Read 4 row(s) into weekly: added 2 confirmed, 0 pending, 0 unsubscribed; "
        "0 unsubscribed now.",
        "Skipped 0 already on the list, 0 who had unsubscribed (never re-subscribed), "
        "0 suppressed, 0 bounced or blocked, 2 bad row(s) (listed above).",
    ]
    exported = digest(
        project, "subscribers", "export", "--output", "out.csv", database_url=database_url
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == "Wrote 3 subscription(s) of weekly to out.csv\n"
    written = (project / "out.csv").read_text(encoding="utf-8")
    assert written.splitlines() == [
        "email,name,status,topics,timezone",
        "reader@example.org,,confirmed,,",  # the shipped config's demo reader
        "ann@example.org,Ann,confirmed,West Africa,Africa/Dakar",
        "cy@example.org,,confirmed,,",
    ]
    to_stdout = digest(project, "subscribers", "export", database_url=database_url)
    assert to_stdout.stdout == written
    again = digest(project, "subscribers", "import", "out.csv", database_url=database_url)
    assert again.returncode == 0 and again.stderr == ""
    assert "Skipped 3 already on the list" in again.stdout


def test_a_suppressed_address_is_never_imported_and_only_manual_ones_are_lifted(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return digest(project, "subscribers", *args, database_url=database_url)

    assert run("suppress", "Ann@Example.org").stdout == "Suppressed ann@example.org (manual)\n"
    assert run("suppress", "ann@example.org").stdout == "Already suppressed: ann@example.org\n"
    run("suppress", "bob@example.org", "--reason", "complaint", "--detail", "abuse report")
    (project / "in.csv").write_text("email\nann@example.org\nbob@example.org\n")
    imported = run("import", "in.csv", "--confirmed")
    assert "2 suppressed" in imported.stdout
    refused = run("suppress", "--remove", "bob@example.org")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == (
        "error: bob@example.org is suppressed for complaint, not by hand"
    )
    lifted = run("suppress", "--remove", "ann@example.org")
    assert lifted.stdout == "Lifted the manual suppression of ann@example.org\n"
    assert "added 1 confirmed" in run("import", "in.csv", "--confirmed").stdout
    listed = run("list", "--all").stdout
    assert "ann@example.org" in listed and "bob@example.org" not in listed


def test_a_missing_file_or_a_bad_header_is_one_line_and_a_hint(
    project: Path,  # noqa: F811
) -> None:
    missing = digest(project, "subscribers", "import", "nowhere.csv")
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        "error: nowhere.csv: cannot read: No such file or directory",
        "hint: give the path of a CSV file",
    ]
    (project / "bad.csv").write_text("mail,name\nann@example.org,Ann\n")
    bad = digest(project, "subscribers", "import", "bad.csv")
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "error: bad.csv: line 1: no column of addresses among the file's columns: 'mail', 'name'",
        "hint: name it with --map email=COLUMN (and name=COLUMN…), or call it email",
    ]
    unknown_list = digest(project, "subscribers", "export", "--list", "monthly")
    assert unknown_list.returncode == 1
    assert "no list with slug 'monthly'" in unknown_list.stderr


def test_pending_readers_are_listed_and_adding_one_confirms_them(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return digest(project, "subscribers", *args, database_url=database_url)

    (project / "in.csv").write_text("email,status\nann@example.org,\nbob@example.org,pending\n")
    assert run("import", "in.csv").returncode == 0
    listed = run("list")
    assert "ann@example.org" not in listed.stdout
    assert listed.stdout.splitlines()[-1] == "1 subscriber(s); also 2 pending (--status pending)"
    pending = run("list", "--status", "pending")
    assert "ann@example.org" in pending.stdout and "bob@example.org" in pending.stdout
    assert "reader@example.org" not in pending.stdout
    assert (
        pending.stdout.splitlines()[-1] == "2 subscriber(s); also 1 confirmed (--status confirmed)"
    )
    confirmed = run("add", "ann@example.org")
    assert confirmed.stdout == "Confirmed ann@example.org → weekly (was waiting for confirmation)\n"
    again = run("add", "ann@example.org")
    assert again.stdout == "Already subscribed: ann@example.org → weekly\n"
    assert "ann@example.org" in run("list").stdout
    everyone = run("list", "--status", "all").stdout
    assert all(a in everyone for a in ("ann@", "bob@", "reader@")) and "3 subscriber(s)" in everyone


def test_confirm_resend_mails_pending_readers_through_smtp_once_per_window(
    project: Path,  # noqa: F811
    database_url: str,
    smtp_server: FixtureSMTPServer,
) -> None:
    smtp = {
        "DIGEST_DELIVERY__TRANSPORT": "smtp",
        "DIGEST_DELIVERY__SMTP__PORT": str(smtp_server.port),
        "DIGEST_DELIVERY__SMTP__SECURITY": "none",
        "DIGEST_NEWSLETTER__FROM_ADDRESS": "digest@sahel-coast.example.org",
        "DIGEST_NEWSLETTER__POSTAL_ADDRESS": "Sahel Coast Media, 4 Rue du Port, Dakar, Senegal",
    }

    def run(*args: str):  # type: ignore[no-untyped-def]
        return digest(project, "subscribers", *args, database_url=database_url, **smtp)

    (project / "in.csv").write_text("email,name\nann@example.org,Ann\nbob@example.org,Bob\n")
    run("import", "in.csv")
    run("suppress", "bob@example.org")
    refused = run("confirm")
    assert refused.returncode == 2 and "say --resend" in refused.stderr
    sent = run("confirm", "--resend")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "Mailed the confirmation to 1 pending reader(s) of weekly.\n"
    [mail] = smtp_server.handler.parsed()
    assert mail["To"] == "ann@example.org"
    assert "https://news.example.org/confirm/" in mail.get_body(("plain",)).get_content()
    again = run("confirm", "--resend", "ANN@example.org", "reader@example.org", "x@example.org")
    assert again.stdout.splitlines() == [
        "reader@example.org is not waiting for confirmation on weekly (confirmed)",
        "x@example.org is not waiting for confirmation on weekly (not on the list)",
        "Mailed the confirmation to 0 pending reader(s) of weekly; 1 had one within the last "
        "60 minute(s) (readers.resend_confirmation_minutes).",
    ]
    assert len(smtp_server.handler.received) == 1
    later = digest(
        project,
        "--now",
        "2099-01-01T00:00+00:00",
        "subscribers",
        "confirm",
        "--resend",
        "ann@example.org",
        database_url=database_url,
        **smtp,
    )
    assert later.stdout == "Mailed the confirmation to 1 pending reader(s) of weekly.\n"
    assert smtp_server.handler.counts()["ann@example.org"] == 2


def test_import_shows_a_progress_bar_on_a_terminal(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    rows = "".join(f"reader{i}@example.org\n" for i in range(30))
    (project / "many.csv").write_text("email\n" + rows)
    env = {} if database_url.startswith("sqlite") else {"DIGEST_DATABASE__URL": database_url}
    code, stdout, shown = digest_on_terminal(project, "subscribers", "import", "many.csv", **env)
    assert code == 0, shown
    assert "importing" in shown and "30/30" in shown and "row/s" in shown
    assert stdout.startswith("Read 30 row(s) into weekly")
