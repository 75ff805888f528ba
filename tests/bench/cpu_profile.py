"""Run a module under cProfile timed by this process's CPU time, not by the wall clock.

    python -m tests.bench.cpu_profile OUT.prof MODULE [ARGS...]

`python -m cProfile` times calls by the wall clock: on a busy machine the turns of other
processes (smtp-sink woken by our own socket write, the neighbours' builds) are charged to
whichever call was waiting, mostly socket sends and epoll. CPU time charges each call only
what this process spent in it.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
