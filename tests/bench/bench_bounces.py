"""Benchmark: bounce and complaint classification over real bounce messages, beside main's.

Run by hand: python -m tests.bench.bench_bounces [--show-wrong]

The corpus (tests/delivery/bounces_corpus/, see its README) is flufl.bounce's test messages
from many MTAs, labelled by its maintainers: each address a permanent (hard) or temporary
(soft) failure. It is split in two: `tuned` (the rules were adjusted looking at it) and
`held_out` (never looked at while tuning). `complaints` are ARF reports (RFC 5965).
For each half: hard addresses suppressed (should be all), soft ones suppressed (should be
none), complaints acted on, per reason the classifier gave; the previous parser
(`git show main:digest/delivery/bounces.py`) beside it when git can give it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path
from typing import Any

from digest.delivery.bounces import parse_dsn

CORPUS = Path(__file__).parent.parent / "delivery" / "bounces_corpus"


def previous_parser() -> Any | None:
    """main's parse_dsn, or None outside a git checkout."""
    try:
        source = subprocess.run(
            ["git", "show", "main:digest/delivery/bounces.py"],
            capture_output=True,
            check=True,
            text=True,
            cwd=CORPUS,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("previous_bounces")
    sys.modules["previous_bounces"] = module  # dataclasses look their module up
    exec(compile(source, "main:digest/delivery/bounces.py", "exec"), module.__dict__)
    return module.parse_dsn


def outcome(parse: Any, raw: bytes) -> tuple[dict[str, str], set[str]]:
    """Suppressed addresses with their reason, and complainers."""
    suppressed: dict[str, str] = {}
    complained: set[str] = set()
    for bounce in parse(raw):
        if not bounce.recipient:
            continue
        if getattr(bounce, "complaint", False):
            complained.add(bounce.recipient)
        elif bounce.hard:
            suppressed[bounce.recipient] = str(getattr(bounce, "reason", "hard"))
    return suppressed, complained


def reasons_of(raw: bytes) -> dict[str, str]:
    return {b.recipient: str(b.reason) for b in parse_dsn(raw) if b.recipient}


def score(parse: Any, half: str, labels: dict[str, Any], show: bool) -> dict[str, Any]:
    tally: dict[str, Counter[str]] = {"hard": Counter(), "soft": Counter(), "complaint": Counter()}
    per_reason: Counter[tuple[str, str, str]] = Counter()
    for name, label in sorted(labels.items()):
        if not name.startswith(half + "/"):
            continue
        raw = (CORPUS / name).read_bytes()
        suppressed, complained = outcome(parse, raw)
        reasons = reasons_of(raw) if parse is parse_dsn else {}
        for kind in ("hard", "soft", "complaint"):
            for address in label.get(kind, []):
                acted = address in (complained if kind == "complaint" else suppressed)
                right = acted if kind != "soft" else not acted
                tally[kind]["right" if right else "wrong"] += 1
                reason = reasons.get(address, "not found")
                per_reason[(kind, reason, "right" if right else "wrong")] += 1
                if show and not right:
                    print(f"  wrong: {name} {kind} {address} -> {reason}")
        expected = {a for k in ("hard", "soft", "complaint") for a in label.get(k, [])}
        for address in set(suppressed) - expected:
            tally["soft"]["wrong"] += 1  # an address nobody bounced, suppressed
            if show:
                print(f"  wrong: {name} suppressed {address}, not in the labels")
    return {"tally": tally, "per_reason": per_reason}


def share(counter: Counter[str], kind: str) -> str:
    total = counter["right"] + counter["wrong"]
    acted = counter["right"] if kind != "soft" else counter["wrong"]
    return f"{acted}/{total} ({100 * acted / total:.0f}%)" if total else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args()
    labels = json.loads((CORPUS / "labels.json").read_text())
    previous = previous_parser()
    for half in ("tuned", "held_out", "complaints"):
        now = score(parse_dsn, half, labels, args.show_wrong)
        before = score(previous, half, labels, False) if previous else None
        print(f"{half}:")
        for kind, what in (
            ("hard", "hard addresses suppressed"),
            ("soft", "soft addresses suppressed"),
            ("complaint", "complaints acted on"),
        ):
            if not sum(now["tally"][kind].values()):
                continue
            old = share(before["tally"][kind], kind) if before else "n/a"
            print(f"  {what}: {share(now['tally'][kind], kind)}  (main: {old})")
        for (kind, reason, verdict), count in sorted(now["per_reason"].items()):
            print(f"    {kind:9} {reason:20} {verdict:5} {count}")


if __name__ == "__main__":
    main()
