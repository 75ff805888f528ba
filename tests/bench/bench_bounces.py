"""Benchmark: bounce and complaint classification over real bounce messages, beside the parser
from before the bounce classifier was written.

Run by hand: python -m tests.bench.bench_bounces [--half HALF] [--show-wrong [HALF]]
(HALF: tuned, held_out or complaints; --half reports that half only, so tuning can look at
`tuned` without seeing `held_out`.)

The corpus (tests/delivery/bounces_corpus/, see its README) has fourteen sources of real bounces
from many MTAs: flufl.bounce's test messages (`tuned/`, `held_out/`),
Mail::DeliveryStatus::BounceParser's (`bounceparser/tuned/`, `bounceparser/held_out/`),
bounce_email's and baunsu's (`bounced/tuned/`, `bounced/held_out/`), Sisimai's
(`sisimai/tuned/`, `sisimai/held_out/`), crisp-oss/email-bounce-parser's notice bodies
(`crisp/tuned/`, `crisp/held_out/`, read through `read_message`) and PHP-Bounce-Handler's and
flanker's (`handlers/tuned/`, `handlers/held_out/`) and the Ruby mail gem's and MimeKit's
(`libraries/tuned/`, `libraries/held_out/`) and more of Sisimai's, its older sample folder's
and its debugging set's (`sisimai12/tuned/`, `sisimai12/held_out/`) and bouncehammer's examples
(`bouncehammer/tuned/`, `bouncehammer/held_out/`) and MailBounceDetector's and go-gmime's test
fixtures (`fixtures/tuned/`, `fixtures/held_out/`) and the real DSNs of CPython's email tests
(`cpython/tuned/`, `cpython/held_out/`) and zoonru/PHP-Bounce-Handler's fixtures (`zoon/tuned/`,
`zoon/held_out/`) and CwsMailBounceHandler's test messages (`cws/tuned/`, `cws/held_out/`) and
MediaWiki's BounceHandler's and node-bounce-handler's (`webhandlers/tuned/`,
`webhandlers/held_out/`), each address labelled hard (about the address: suppress it) or soft
(anything else: never). Each source is split in two: `tuned` (the rules were adjusted looking
at it) and `held_out` (never looked at while tuning).
`complaints` are ARF reports (RFC 5965). For each source and half: hard addresses suppressed
(should be all), soft ones suppressed (should be none; an address suppressed that no label
names counts here too), complaints acted on (an address complained of that no label names
counts as a wrong one), per reason the classifier gave; the parsers at BASELINES beside it when
git can give them.
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
# The parsers beside which the figures are printed: the first parent of the merge that brought
# the bounce classifier (parse_dsn read RFC 3464 reports only, every 5.x.x failure hard), and
# that merge (the classifier before it was tuned on the BounceParser corpus), main when the
# third corpus (bounce_email's and baunsu's, `bounced/`) was added, main when the fourth
# (Sisimai's, `sisimai/`) was, main when that fourth one's fifth batch was, main when its
# sixth was, main when its seventh was, main when its eighth and ninth were (both taken
# from it at the same time, on two branches), main when the fifth source (crisp/) was, and main
# when the tenth batch (the sixth source, handlers/: PHP-Bounce-Handler's and flanker's) was, and
# main when the eleventh (the seventh source, libraries/: the mail gem's and MimeKit's, and two
# more of Sisimai's) was, and main when the twelfth (the eighth source, sisimai12/: more of
# Sisimai's, from its older sample folder and its debugging set) was, and main when the
# fourteenth (the ninth source, bouncehammer/: the examples of bouncehammer, Sisimai's
# predecessor) was; the tenth source (fixtures/) came in on the same branch, after the rules
# that the ninth's tuned half led to; and main before the nineteenth batch of rules (from the
# MTAs' formats, no new messages: where a notice names its recipient, which words win).
BASELINES = (
    "74b2129^1",
    "74b2129",
    "223d616",
    "176e449",
    "0de9770",
    "3886c6e",
    "8fe995d",
    "0c60abb",
    "7727928",
    "4220b81",
    "c289fe2",
    "8320336",
    "c616405",
    "9e12915",
)
HALVES = ("tuned", "held_out", "complaints")
# Sources kept in a folder of their own (<source>/tuned/, <source>/held_out/); flufl.bounce's
# halves are at the top of the corpus.
SPLIT_SOURCES = (
    "bounceparser",
    "bounced",
    "sisimai",
    "crisp",
    "handlers",
    "libraries",
    "sisimai12",
    "bouncehammer",
    "fixtures",
    "cpython",
    "zoon",
    "cws",
    "webhandlers",
)
SOURCES = ("flufl", *SPLIT_SOURCES, "all")
# Sources whose files are a notice's body only, as their project keeps them (no header): read
# as a mail system's notice to our VERP bounce address, the header below put before the body
# at load time; the files stay as they came.
BODY_ONLY = ("crisp/",)
NOTICE_HEADER = (
    b"From: MAILER-DAEMON@mailer.example.net (Mail Delivery System)\n"
    b"To: bounces+corpus@digest.example.org\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"\n"
)


def git_source(commit: str, path: str) -> str | None:
    try:
        return subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            capture_output=True,
            check=True,
            text=True,
            cwd=CORPUS,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def load(name: str, source: str, origin: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, origin, "exec"), module.__dict__)
    return module


def baseline_parser(commit: str) -> Any | None:
    """parse_dsn as it was at a commit, or None outside a git checkout that has it."""
    source = git_source(commit, "digest/delivery/bounces.py")
    if source is None:
        return None
    tag = "".join(c if c.isalnum() else "_" for c in commit)
    for helper in ("bounce_reasons", "notice_text"):  # the modules it imports, as they were then
        helper_source = git_source(commit, f"digest/delivery/{helper}.py")
        if helper_source is not None:
            load(f"{helper}_{tag}", helper_source, f"{commit}:digest/delivery/{helper}.py")
            source = source.replace(f"digest.delivery.{helper}", f"{helper}_{tag}")
    return load(f"bounces_{tag}", source, f"{commit}:digest/delivery/bounces.py").parse_dsn


def place(name: str) -> tuple[str, str]:
    """(source, half) of a labelled message."""
    parts = name.split("/")
    if parts[0] in SPLIT_SOURCES:
        return parts[0], parts[1]
    return ("flufl" if parts[0] != "complaints" else "arf"), parts[0]


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


def read_message(name: str) -> bytes:
    """A labelled message's bytes as a bounce handler would get them: a body-only notice
    (BODY_ONLY) under a mail system's minimal header, any other as it is stored."""
    raw = (CORPUS / name).read_bytes()
    return NOTICE_HEADER + raw if name.startswith(BODY_ONLY) else raw


def reasons_of(raw: bytes) -> dict[str, str]:
    return {b.recipient: str(b.reason) for b in parse_dsn(raw) if b.recipient}


def score(parse: Any, source: str, half: str, labels: dict[str, Any], show: bool) -> dict[str, Any]:
    tally: dict[str, Counter[str]] = {"hard": Counter(), "soft": Counter(), "complaint": Counter()}
    per_reason: Counter[tuple[str, str, str]] = Counter()
    for name, label in sorted(labels.items()):
        where, which = place(name)
        if which != half or source not in (where, "all"):
            continue
        raw = read_message(name)
        suppressed, complained = outcome(parse, raw)
        reasons = reasons_of(raw) if parse is parse_dsn else {}
        for kind in ("hard", "soft", "complaint"):
            for address in label.get(kind, []):
                # Readers are stored lower-cased, as parse_dsn reports addresses.
                address = address.lower()
                acted = address in (complained if kind == "complaint" else suppressed)
                right = acted if kind != "soft" else not acted
                tally[kind]["right" if right else "wrong"] += 1
                reason = reasons.get(address, "not found")
                per_reason[(kind, reason, "right" if right else "wrong")] += 1
                if show and not right:
                    print(f"  wrong: {name} {kind} {address} -> {reason}")
        expected = {a.lower() for k in ("hard", "soft", "complaint") for a in label.get(k, [])}
        for address in sorted(set(suppressed) - expected):
            tally["soft"]["wrong"] += 1  # an address nobody bounced, suppressed
            per_reason[("unlabelled", suppressed[address], "wrong")] += 1
            if show:
                print(f"  wrong: {name} suppressed {address} ({suppressed[address]}), unlabelled")
        for address in sorted(complained - expected):
            tally["complaint"]["wrong"] += 1  # a complaint nobody made, acted on
            per_reason[("unlabelled", "complaint", "wrong")] += 1
            if show:
                print(f"  wrong: {name} complaint of {address}, unlabelled")
    return {"tally": tally, "per_reason": per_reason}


def share(counter: Counter[str], kind: str) -> str:
    total = counter["right"] + counter["wrong"]
    acted = counter["right"] if kind != "soft" else counter["wrong"]
    return f"{acted}/{total} ({100 * acted / total:.0f}%)" if total else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--show-wrong",
        nargs="?",
        const="all",
        choices=(*HALVES, "all"),
        help="list the wrong ones (of one half only, when named)",
    )
    parser.add_argument("--half", choices=HALVES, help="report this half only")
    args = parser.parse_args()
    labels = json.loads((CORPUS / "labels.json").read_text())
    baselines = {commit: baseline_parser(commit) for commit in BASELINES}
    for half in (args.half,) if args.half else HALVES:
        for source in SOURCES if half != "complaints" else ("arf",):
            show = args.show_wrong in (half, "all") and source != "all"
            if show:
                print(f"{source} {half}, wrong ones:")
            now = score(parse_dsn, source, half, labels, show)
            before = {
                commit: score(parse, source, half, labels, False) if parse else None
                for commit, parse in baselines.items()
            }
            print(f"{source} {half}:")
            for kind, what in (
                ("hard", "hard addresses suppressed"),
                ("soft", "soft addresses suppressed"),
                ("complaint", "complaints acted on"),
            ):
                if not sum(now["tally"][kind].values()):
                    continue
                old = ", ".join(
                    f"{commit}: {share(then['tally'][kind], kind) if then else 'n/a'}"
                    for commit, then in before.items()
                )
                print(f"  {what}: {share(now['tally'][kind], kind)}  ({old})")
            if source == "all":
                continue
            for (kind, reason, verdict), count in sorted(now["per_reason"].items()):
                print(f"    {kind:10} {reason:20} {verdict:5} {count}")


if __name__ == "__main__":
    main()
