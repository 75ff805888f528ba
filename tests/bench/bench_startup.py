"""Benchmark: how long `digest --version` and `digest --help` take to start, beside two baselines.

Run by hand: python -m tests.bench.bench_startup [--runs 15]

Each command runs as a new process (the installed console script, as a user types it),
the commands in turn so that a drift of the machine's speed touches them all alike:

  floor        python -c "import click"        the interpreter and click: the least any
                                                `digest` command can cost
  eager        every command's module imported what `digest --help` cost when listing the
                                                commands imported them all
  --version    digest --version
  --help       digest --help

It prints the median, min and max wall time and CPU time (user + sys, from the kernel's
accounting of the finished child) of each, and each median as a ratio of the floor's and of
the eager baseline's. The aim is under 0.3 s wall for --version and --help.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DIGEST = str(Path(sys.executable).parent / "digest")
EAGER = (
    "from digest.cli import COMMANDS\n"
    "from digest.cli.lazy_group import load_command\n"
    "for entry in COMMANDS.values():\n"
    "    load_command(entry)\n"
)
COMMANDS = {
    "floor": [sys.executable, "-c", "import click"],
    "eager": [sys.executable, "-c", EAGER],
    "--version": [DIGEST, "--version"],
    "--help": [DIGEST, "--help"],
}
TARGET_SECONDS = 0.3


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of COMMAND as a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="counted runs of each command")
    args = parser.parse_args()
    for command in COMMANDS.values():
        run_once(command)  # warm-up: the files in the page cache, .pyc written
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            wall, cpu = run_once(command)
            walls[name].append(wall)
            cpus[name].append(cpu)
    floor = statistics.median(walls["floor"])
    eager = statistics.median(walls["eager"])
    print(f"{args.runs} runs each, interleaved; wall and CPU seconds of the whole process")
    print(
        f"{'':10} {'wall median':>11} {'min':>6} {'max':>6} {'cpu median':>10}"
        f" {'× floor':>8} {'× eager':>8}"
    )
    for name in COMMANDS:
        median = statistics.median(walls[name])
        print(
            f"{name:10} {median:11.3f} {min(walls[name]):6.3f} {max(walls[name]):6.3f}"
            f" {statistics.median(cpus[name]):10.3f} {median / floor:8.2f} {median / eager:8.2f}"
        )
    for name in ("--version", "--help"):
        median = statistics.median(walls[name])
        verdict = "under" if median < TARGET_SECONDS else "OVER"
        print(f"digest {name}: {median:.3f} s, {verdict} the {TARGET_SECONDS} s aim")


if __name__ == "__main__":
    main()
