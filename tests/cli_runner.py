"""The `digest` command run in this process with click's CliRunner, read like a finished process."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli


@dataclass(frozen=True)
class Finished:
    """What a test reads of a run: the same names as a subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


def run_digest(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> Finished:
    """Run `digest ARGS…` in CWD with the environment a fresh process would see: no DIGEST_*
    variable of the test's own, then ENV; rich tables 80 columns wide unless ENV sets COLUMNS.

    The root logger has no handler during the run, as in a fresh process, so the command's own
    logging set-up writes the warnings to its stderr. An unexpected exception is written to
    stderr as a traceback and exits 1, as in a process. The logging and the signal handlers a
    command sets up (`digest worker`) are put back afterwards."""
    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIGEST_")}
    environ["COLUMNS"] = "80"
    environ.update(env or {})
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    root = logging.getLogger()
    log_handlers, log_level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        with contextlib.chdir(cwd or Path.cwd()):
            result = CliRunner().invoke(
                cli, list(args), env=environ, input=input, prog_name="digest"
            )
    finally:
        for added in root.handlers:
            added.close()
        root.handlers[:] = log_handlers
        root.setLevel(log_level)
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Finished(result.exit_code, result.stdout, stderr)
