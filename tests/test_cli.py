"""The `digest` command as a user runs it: its output, its exit code and what it stores.

Most tests run it in this process (tests.cli_runner); the exit codes of the installed console
script and of `python -m digest` are checked on real processes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import Finished, run_digest

REPO = Path(__file__).resolve().parent.parent
# The installed console script, as a user runs it (`python -m digest` would pick up the
# project folder's own digest/ in the working directory instead).
DIGEST = str(Path(sys.executable).parent / "digest")


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> Path:
    """A folder laid out like a fresh clone: the shipped config.yaml, samples and templates."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "samples").symlink_to(REPO / "digest" / "samples")
    (tmp_path / "templates").symlink_to(REPO / "templates")
    return tmp_path


def digest(project: Path, *args: str, database_url: str | None = None, **env: str) -> Finished:
    """`digest ARGS…` run in PROJECT, in this process, on DATABASE_URL unless it is SQLite
    (the shipped config's own SQLite file then)."""
    if database_url and not database_url.startswith("sqlite"):
        env["DIGEST_DATABASE__URL"] = database_url
    return run_digest(args, cwd=project, env=env)


def digest_process(project: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """COMMAND (the console script or the interpreter) run in PROJECT as a separate process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ.update(env)
    return subprocess.run(
        list(command),
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_run_on_the_shipped_config_delivers_to_the_outbox_then_says_nothing_is_new(
    project: Path, database_url: str
) -> None:
    first = digest(project, "run", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "Collected 12 new article(s) from 2 source(s)" in first.stdout
    assert "Issue #1 of weekly" in first.stdout
    assert "Delivered to 1 recipient(s) via file outbox" in first.stdout
    assert "HTML preview:" in first.stdout and "Outbox:" in first.stdout
    assert len(list((project / "outbox").glob("*.eml"))) == 1
    assert len(list((project / "previews").glob("*.html"))) == 1

    second = digest(project, "run", database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert "Collected 0 new article(s)" in second.stdout
    assert (
        "Nothing new to send: this issue was already delivered to 1 recipient(s)" in second.stdout
    )
    assert len(list((project / "outbox").glob("*.eml"))) == 1


def test_a_bad_config_value_is_one_line_and_a_hint_exit_1(project: Path) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("port: 587", "port: five-eight-seven"))
    result = digest_process(project, DIGEST, "run")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        "error: config.yaml: delivery.smtp.port: expected an integer (got 'five-eight-seven')"
    )
    assert lines[1].startswith("hint: ")
    assert len(lines) == 2
    assert "Traceback" not in result.stderr

    verbose = digest_process(project, DIGEST, "-v", "run")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_usage_errors_exit_2(project: Path) -> None:
    assert digest_process(project, DIGEST, "no-such-command").returncode == 2
    assert digest(project, "preview", "--bogus").returncode == 2


def test_subscribers_add_list_remove(project: Path, database_url: str) -> None:
    added = digest(
        project,
        "subscribers",
        "add",
        "Amina@Example.org",
        "--name",
        "Amina",
        database_url=database_url,
    )
    assert added.returncode == 0, added.stderr
    assert "Added amina@example.org → weekly" in added.stdout
    again = digest(project, "subscribers", "add", "amina@example.org", database_url=database_url)
    assert "Already subscribed: amina@example.org" in again.stdout

    listed = digest(project, "subscribers", "list", database_url=database_url)
    assert "amina@example.org" in listed.stdout and "reader@example.org" in listed.stdout
    assert "2 subscriber(s)" in listed.stdout

    removed = digest(
        project, "subscribers", "remove", "amina@example.org", database_url=database_url
    )
    assert removed.returncode == 0 and "Removed amina@example.org" in removed.stdout
    listed = digest(project, "subscribers", "list", database_url=database_url)
    assert "amina@example.org" not in listed.stdout and "1 subscriber(s)" in listed.stdout

    bad = digest(project, "subscribers", "add", "not-an-address", database_url=database_url)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: 'not-an-address' is not a valid email address")
    unknown = digest(project, "subscribers", "list", "--list", "daily", database_url=database_url)
    assert unknown.returncode == 1 and "no list with slug 'daily'" in unknown.stderr
    zoned = digest(
        project,
        "subscribers",
        "add",
        "kenji@example.org",
        "--timezone",
        "Asia/Tokyo",
        database_url=database_url,
    )
    assert zoned.returncode == 0, zoned.stderr
    nowhere = digest(
        project,
        "subscribers",
        "add",
        "x@example.org",
        "--timezone",
        "Mars/Olympus",
        database_url=database_url,
    )
    assert nowhere.returncode == 1
    assert nowhere.stderr.startswith("error: time zone 'Mars/Olympus' is not an IANA zone")


def test_preview_writes_html_or_text_without_sending(project: Path, database_url: str) -> None:
    empty = digest(project, "preview", database_url=database_url)
    assert empty.returncode == 0, empty.stderr
    assert "nothing to preview (run `digest collect` first)" in empty.stdout
    assert digest(project, "collect", database_url=database_url).returncode == 0
    html = digest(project, "preview", "--out", "issue.html", database_url=database_url)
    assert html.returncode == 0, html.stderr
    assert (project / "issue.html").read_text().startswith("<!doctype html>")
    text = digest(project, "preview", "--text", "--out", "issue.txt", database_url=database_url)
    assert text.returncode == 0
    body = (project / "issue.txt").read_text()
    assert "min read" in body and "<" not in body.split("\n", 1)[0]
    assert not (project / "outbox").exists()


@pytest.mark.unmigrated
def test_db_upgrade_applies_then_reports_up_to_date(project: Path, database_url: str) -> None:
    first = digest(project, "db", "upgrade", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert re.match(r"Applied \d+ migration\(s\): 0001\b", first.stdout)
    second = digest(project, "db", "upgrade", database_url=database_url)
    assert "Database is up to date" in second.stdout


def test_articles_lists_the_weeks_articles_for_an_editor(project: Path, database_url: str) -> None:
    assert digest(project, "collect", database_url=database_url).returncode == 0

    plain = digest(project, "articles", "--plain", database_url=database_url)
    assert plain.returncode == 0, plain.stderr
    assert "12 article(s) collected, period of" in plain.stdout
    assert plain.stdout.count("min read") == 12
    assert "region: Northern Africa" in plain.stdout and "region: West Africa" in plain.stdout
    assert "Global ties" in plain.stdout
    # The sample sites write in English; each article's language is read from its text.
    assert plain.stdout.count("language: en") == 12
    assert "summary (extractive):" in plain.stdout or "summary (feed):" in plain.stdout

    table = digest(project, "articles", "--since", "2020-01-01", database_url=database_url)
    assert table.returncode == 0, table.stderr
    assert "12 article(s) collected, since 2020-01-01" in table.stdout
    future = digest(project, "articles", "--since", "2999-01-01", database_url=database_url)
    assert "0 article(s) collected" in future.stdout

    both = digest(project, "articles", "--week", "--since", "2020-01-01")
    assert both.returncode == 2 and "either --since or --week" in both.stderr
    bad = digest(project, "articles", "--since", "last tuesday")
    assert bad.returncode == 2 and "ISO date" in bad.stderr


def test_edit_and_collect_resummarise(project: Path, database_url: str) -> None:
    assert digest(project, "collect", database_url=database_url).returncode == 0

    unchanged = digest(project, "edit", database_url=database_url)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "Checked 12 article(s), summarised 0 (extractive)" in unchanged.stdout

    forced = digest(project, "edit", "--resummarise", database_url=database_url)
    assert "Checked 12 article(s), summarised 12 (extractive)" in forced.stdout

    again = digest(project, "collect", "--resummarise", database_url=database_url)
    assert again.returncode == 0, again.stderr
    assert "Collected 0 new article(s)" in again.stdout
    assert "Summarised 12 article(s) again." in again.stdout
