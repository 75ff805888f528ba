"""`digest --help` and `--version` start without importing what only the commands need.

Timings are measured by tests/bench/bench_startup.py, never asserted here; what keeps them
is that the heavy libraries stay out of `import digest.cli`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from digest import __version__
from digest.cli import COMMANDS, cli
from digest.cli.lazy_group import load_command
from tests.cli_runner import run_digest

# What the commands' modules pull in, none of which `--help` or `--version` needs.
HEAVY = [
    "alembic",
    "digest.config",
    "digest.pipeline",
    "httpx",
    "pydantic",
    "rich",
    "sqlalchemy",
    "starlette",
    "trafilatura",
]


def _imported_after(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        f"print(__import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_cli_imports_none_of_the_heavy_libraries() -> None:
    assert _imported_after("import digest.cli") == []


def test_help_and_version_import_none_of_the_heavy_libraries() -> None:
    for args in (["--help"], ["--version"]):
        code = (
            "from digest.cli import cli\n"
            f"try:\n    cli.main({args!r}, prog_name='digest')\nexcept SystemExit:\n    pass"
        )
        assert _imported_after(code) == [], args


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_commands_stored_help_is_its_own_first_sentence(name: str) -> None:
    command = load_command(COMMANDS[name])
    assert COMMANDS[name].help == command.get_short_help_str(limit=1000), (
        f"write the first sentence of {COMMANDS[name].target}'s help beside it in "
        "COMMANDS (digest/cli/__init__.py)"
    )


def test_help_lists_every_command_with_its_short_help() -> None:
    shown = run_digest(["--help"])
    assert shown.returncode == 0
    listed = shown.stdout.split("Commands:\n", 1)[1]
    assert [line.split()[0] for line in listed.splitlines()] == sorted(COMMANDS)
    assert "  collect      Fetch every source and store the new articles.\n" in listed
    assert "  run          Collect, compose this week's issue, preview it" in listed


def test_a_command_is_imported_and_runs_when_named() -> None:
    assert run_digest(["--version"]).stdout == f"digest, version {__version__}\n"
    usage = run_digest(["db", "--help"])
    assert usage.returncode == 0 and "upgrade  Apply pending migrations." in usage.stdout
    assert cli.get_command(cli.make_context("digest", ["db"]), "db") is load_command(COMMANDS["db"])
    unknown = run_digest(["sned"])
    assert unknown.returncode == 2 and "No such command 'sned'" in unknown.stderr


def test_the_delivery_commands_do_not_load_the_collectors_libraries() -> None:
    # `digest send`, `worker` and `bounces` reach the pipeline's delivery and bounce steps
    # only: the collector's libraries (trafilatura, feedparser) are a third of their start-up,
    # and dkimpy (with dnspython) is for a configured DKIM key alone.
    code = (
        "from digest.cli.lazy_group import load_command\n"
        "from digest.cli import COMMANDS\n"
        "for name in ('send', 'worker', 'bounces'):\n"
        "    load_command(COMMANDS[name])\n"
        "from digest import pipeline\n"
        "pipeline.send, pipeline.deliver_pending, pipeline.process_bounces, pipeline.runtime\n"
        "import sys\n"
        "print('unneeded', [m for m in ('trafilatura', 'feedparser', 'dkim', 'dns')"
        " if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "unneeded []"
