"""`digest subscribers import` of other services' exports, and of any file with --map, as an
operator migrating a list runs it: what it prints and who ends up on the list."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli_runner import Finished
from tests.test_cli import digest, project  # noqa: F401 (the project fixture)

EXPORTS = Path(__file__).parent / "exports"


def _import(project: Path, database_url: str, name: str, *args: str) -> Finished:  # noqa: F811
    shutil.copy(EXPORTS / name, project / name)
    return digest(project, "subscribers", "import", name, *args, database_url=database_url)


def _listed(project: Path, database_url: str, status: str) -> list[str]:  # noqa: F811
    shown = digest(project, "subscribers", "list", "--status", status, database_url=database_url)
    assert shown.returncode == 0, shown.stderr
    return sorted(
        line.split()[1] for line in shown.stdout.splitlines() if "@" in line and "│" in line
    )


def test_a_mailchimp_audience_export_is_read_with_names_and_unsubscribes(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    subscribed = _import(project, database_url, "mailchimp-subscribed.csv", "--confirmed")
    assert subscribed.returncode == 0, subscribed.stderr
    assert subscribed.stderr == ""
    assert subscribed.stdout.splitlines() == [
        "Read 3 row(s) into weekly (columns of Mailchimp): added 3 confirmed, 0 pending, "
        "0 unsubscribed; 0 unsubscribed now.",
        "Skipped 0 already on the list, 0 who had unsubscribed (never re-subscribed), "
        "0 suppressed, 0 bounced or blocked, 0 bad row(s).",
    ]
    left = _import(project, database_url, "mailchimp-unsubscribed.csv", "--confirmed")
    assert "added 0 confirmed, 0 pending, 1 unsubscribed" in left.stdout
    assert _listed(project, database_url, "confirmed") == [
        "amina.diallo@example.org",
        "kofi.mensah@example.net",
        "rania@example.org",
        "reader@example.org",  # the shipped config's demo reader
    ]
    assert _listed(project, database_url, "unsubscribed") == ["yusuf.ali@example.org"]
    names = digest(project, "subscribers", "list", database_url=database_url).stdout
    assert "Amina Diallo" in names and "Kofi Mensah" in names


def test_substack_buttondown_and_listmonk_statuses_decide_who_is_confirmed(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    substack = _import(project, database_url, "substack.csv", "--confirmed")
    assert substack.stdout.splitlines()[0] == (
        "Read 3 row(s) into weekly (columns of Substack): added 2 confirmed, 0 pending, "
        "1 unsubscribed; 0 unsubscribed now."
    )
    buttondown = _import(project, database_url, "buttondown.csv", "--confirmed")
    assert buttondown.stdout.splitlines()[0] == (
        "Read 4 row(s) into weekly (columns of Buttondown): added 2 confirmed, 1 pending, "
        "1 unsubscribed; 0 unsubscribed now."
    )
    assert buttondown.stdout.splitlines()[-1] == (
        "1 pending: 1 as their status was 'unactivated'. They receive no digest until they "
        "confirm; `digest subscribers confirm --resend --list weekly` mails them the link."
    )
    listmonk = _import(project, database_url, "listmonk.csv", "--confirmed")
    assert listmonk.stdout.splitlines()[0] == (
        "Read 3 row(s) into weekly (columns of listmonk): added 1 confirmed, 1 pending, "
        "1 unsubscribed; 0 unsubscribed now."
    )
    assert "1 pending: 1 as their status was 'disabled'." in listmonk.stdout
    assert _listed(project, database_url, "pending") == [
        "never.clicked@example.org",
        "paused.reader@example.net",
    ]
    assert _listed(project, database_url, "unsubscribed") == [
        "gone.away@example.org",
        "left.reader@example.org",
        "spam.trap@example.org",
    ]
    assert "zainab.musa@example.org" in _listed(project, database_url, "confirmed")


def test_without_confirmed_the_summary_says_why_rows_are_pending_then_confirmed_says_how_many(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    first = _import(project, database_url, "buttondown.csv")
    assert first.stdout.splitlines()[-1].startswith(
        "3 pending: 2 as no --confirmed given; 1 as their status was 'unactivated'."
    )
    again = _import(project, database_url, "buttondown.csv", "--confirmed")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1:] == [
        "Confirmed 2 who were waiting for confirmation; 0 were confirmed already.",
        "Skipped 1 already on the list, 1 who had unsubscribed (never re-subscribed), "
        "0 suppressed, 0 bounced or blocked, 0 bad row(s).",
        "1 pending: 1 as their status was 'unactivated'. They receive no digest until they "
        "confirm; `digest subscribers confirm --resend --list weekly` mails them the link.",
    ]
    third = _import(project, database_url, "buttondown.csv", "--confirmed")
    assert "Skipped 3 already on the list" in third.stdout
    assert "Confirmed" not in third.stdout


def test_any_other_file_is_read_with_map_and_a_file_without_addresses_says_what_it_saw(
    project: Path,  # noqa: F811
    database_url: str,
) -> None:
    (project / "crm.csv").write_text(
        "Courriel;Nom complet;Ville\nawa.ndiaye@example.org;Awa Ndiaye;Thiès\n", encoding="utf-8"
    )
    refused = digest(project, "subscribers", "import", "crm.csv", database_url=database_url)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: crm.csv: line 1: no column of addresses among the file's columns: "
        "'Courriel', 'Nom complet', 'Ville'",
        "hint: name it with --map email=COLUMN (and name=COLUMN…), or call it email",
    ]
    mapped = digest(
        project,
        "subscribers",
        "import",
        "crm.csv",
        "--confirmed",
        "--map",
        "email=courriel, name=Nom complet",
        database_url=database_url,
    )
    assert mapped.returncode == 0, mapped.stderr
    assert mapped.stdout.splitlines() == [
        "Read 1 row(s) into weekly (columns of --map): added 1 confirmed, 0 pending, "
        "0 unsubscribed; 0 unsubscribed now.",
        "Skipped 0 already on the list, 0 who had unsubscribed (never re-subscribed), "
        "0 suppressed, 0 bounced or blocked, 0 bad row(s).",
        "Ignored column(s): 'Ville' (--map reads others).",
    ]
    assert "Awa Ndiaye" in digest(project, "subscribers", "list", database_url=database_url).stdout
    wrong = digest(
        project,
        "subscribers",
        "import",
        "crm.csv",
        "--map",
        "email=Mail",
        database_url=database_url,
    )
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines() == [
        "error: crm.csv: line 1: --map names column 'Mail', which the file does not have "
        "(its columns: 'Courriel', 'Nom complet', 'Ville')",
        "hint: give --map the column names of the file's first line",
    ]
    unknown = digest(project, "subscribers", "import", "crm.csv", "--map", "mail=Courriel")
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines() == [
        "error: --map: unknown field 'mail'",
        "hint: map some of: email, name, status, topics, timezone",
    ]
