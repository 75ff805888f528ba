"""`digest` run as a separate process whose stderr is a terminal (a pseudo-terminal), as an
operator's shell gives it: where progress bars are drawn."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

# The installed console script (`python -m digest` would pick up the project folder's digest/).
DIGEST = str(Path(sys.executable).parent / "digest")


def digest_on_terminal(cwd: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """The exit code, the stdout and what the terminal showed on stderr."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ.update(env, TERM="xterm", COLUMNS="100")
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [DIGEST, *args],
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    ) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        os.close(leader)
        assert process.stdout is not None
        stdout = process.stdout.read()
        code = process.wait(timeout=120)
    return code, stdout, shown.decode("utf-8", "replace")
