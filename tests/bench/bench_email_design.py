"""Benchmark: the digest's design before (the templates of a git ref) and after (this tree's),
side by side in one run, for an issue of 40 stories, every other one with an image, in English,
French and Arabic (tests/render/big_issue.py).

Run by hand:

    python -m tests.bench.bench_email_design [--baseline 176e449]

Printed, before beside after (the same renderer code draws both; only the templates and their
catalogues differ, and the message builder of each ref wraps its own HTML):
- size: bytes each story adds (between 20 and 40 stories), the 40-story HTML in KB, the most
  stories under Gmail's 102 KB clip;
- SpamAssassin (`spamassassin -L -t`, offline rules only, Bayes off; apt-get install -y
  spamassassin): the score and the rules hit by the whole English message;
- doiuse-email (caniemail.com's data; npm install doiuse-email under ~/.cache/digest-bench/npm,
  never in the repository): for gmail, outlook, apple-mail and yahoo, the features not supported
  by some client of that family that the digest uses beyond those MJML's own one-section
  template already uses;
- contrast: every text colour on its background, light and dark (prefers-color-scheme), as
  headless Chromium computed them (WCAG 2 ratio; the lowest first).
Sizes are counts, not times: the machine's load does not move them.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from mjml import mjml2html

from digest.delivery import message as message_now
from digest.render.checks import GMAIL_CLIP_BYTES
from digest.render.email import EmailRenderer, IssueView, personalise
from tests.render.big_issue import big_issue, message_of, spam_status
from tests.render.contrast import MEASURE_JS, contrast
from tests.render.test_golden import READER

REPO = Path(__file__).resolve().parents[2]
BASELINE = "176e449"
LANGUAGES = ("en", "fr", "ar")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
NPM = Path(os.environ.get("DIGEST_BENCH_NPM", Path.home() / ".cache" / "digest-bench" / "npm"))
CLIENTS = ("gmail", "outlook", "apple-mail", "yahoo")
MJML_ONE_SECTION = (
    "<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section>"
    "</mj-body></mjml>"
)
SUBJECTS = {"before": "{name}: {period}", "after": "{lead} · {name}"}


def git_templates(ref: str, into: Path) -> Path:
    """The templates folder as it was at ref, written under into."""
    archive = subprocess.run(
        ["git", "archive", ref, "templates"], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "templates"


def git_module(ref: str, path: str, name: str) -> ModuleType:
    """A module of digest as it was at ref (it may import today's others)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=REPO, capture_output=True, check=True, text=True
    ).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:{path}", "exec"), module.__dict__)
    return module


def html_of(renderer: EmailRenderer, issue: IssueView) -> str:
    return personalise(renderer.render(issue), READER)[0]


def size_of(renderer: EmailRenderer, count: int, language: str) -> int:
    return len(html_of(renderer, big_issue(count, language)).encode("utf-8"))


def most_under_clip(renderer: EmailRenderer, language: str, high: int = 400) -> int:
    low = 0  # size_of(low) is under the clip; find the largest such count
    while low < high:
        middle = (low + high + 1) // 2
        if size_of(renderer, middle, language) < GMAIL_CLIP_BYTES:
            low = middle
        else:
            high = middle - 1
    return low


def spamassassin(raw: bytes) -> str:
    if shutil.which("spamassassin") is None:
        return "not installed (apt-get install -y spamassassin)"
    return spam_status(raw)


def doiuse(html: str, family: str, workdir: Path) -> set[str] | None:
    cli = NPM / "node_modules" / "doiuse-email" / "bin" / "cli.js"
    if shutil.which("node") is None or not cli.is_file():
        return None
    page = workdir / "doiuse.html"
    page.write_text(html, encoding="utf-8")
    out = subprocess.run(
        ["node", str(cli), "-e", f"{family}.*", str(page)],
        capture_output=True,
        check=True,
        text=True,
        timeout=300,
    ).stdout
    # "`Feature` is not supported by `client`": the feature, whichever client of the family.
    return {error.split("`")[1] for error in json.loads(out).get("errors", [])}


def contrasts(pages: dict[str, Path]) -> dict[str, list[tuple[float, str]]] | None:
    """(ratio, what) of each text colour on its background, per page and scheme, lowest first."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    from tests.browser import CHROMIUM_ARGS, chromium_path, open_page

    executable = chromium_path()
    if executable is None:
        return None
    found: dict[str, list[tuple[float, str]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        for name, path in pages.items():
            for scheme in ("light", "dark"):
                with open_page(browser, path.as_uri(), 600, color_scheme=scheme) as page:
                    laid = page.evaluate(MEASURE_JS, "After fourteen months")
                pairs = {(t["color"], t["background"]): t["text"] for t in laid["texts"]}
                found[f"{name} {scheme}"] = sorted(
                    (contrast(color, bg), f"{color} on {bg} ({text[:30]!r})")
                    for (color, bg), text in pairs.items()
                )
        browser.close()
    return found


def side_by_side(label: str, before: object, after: object, ratio: bool = False) -> None:
    extra = ""
    if ratio and isinstance(before, int | float) and isinstance(after, int | float) and before:
        extra = f"   after/before {after / before:.2f}"
    print(f"  {label:<34} before {before!s:>10}   after {after!s:>10}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="git ref of the templates before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-design-") as tmp:
        work = Path(tmp)
        renderers = {
            "before": EmailRenderer(git_templates(args.baseline, work / "before")),
            "after": EmailRenderer(REPO / "templates"),
        }
        builders: dict[str, Callable[[], ModuleType]] = {
            "before": lambda: git_module(
                args.baseline, "digest/delivery/message.py", "message_before"
            ),
            "after": lambda: message_now,
        }
        print(f"Digest design, before = templates of {args.baseline}, after = this tree")
        print("40 stories, every other one with an image\n")
        for language in LANGUAGES:
            print(f"[{language}] size")
            per_story, total, most = {}, {}, {}
            for side, renderer in renderers.items():
                forty = size_of(renderer, 40, language)
                per_story[side] = round((forty - size_of(renderer, 20, language)) / 20)
                total[side] = round(forty / 1024, 1)
                most[side] = most_under_clip(renderer, language)
            side_by_side("bytes per story", per_story["before"], per_story["after"], True)
            side_by_side("40 stories, KB", total["before"], total["after"], True)
            side_by_side("most stories under 102 KB", most["before"], most["after"], True)
        print("\nSpamAssassin (-L, whole English message, 40 stories)")
        for side, renderer in renderers.items():
            raw = message_of(renderer, builders[side](), SUBJECTS[side], NOW)
            print(f"  {side:<7} {spamassassin(raw)}")
        print("\ndoiuse-email: features some client lacks, beyond MJML's one-section template")
        mjml_own = mjml2html(MJML_ONE_SECTION)
        for family in CLIENTS:
            own = doiuse(mjml_own, family, work)
            if own is None:
                print(f"  not installed: cd {NPM} && npm install doiuse-email")
                break
            beyond = {
                side: sorted((doiuse(html_of(r, big_issue(40)), family, work) or set()) - own)
                for side, r in renderers.items()
            }
            side_by_side(family, len(beyond["before"]), len(beyond["after"]))
            print(f"    before: {', '.join(beyond['before']) or '-'}")
            print(f"    after:  {', '.join(beyond['after']) or '-'}")
        print("\nContrast (WCAG 2), every text colour on its background, Chromium at 600 px")
        pages = {}
        for side, renderer in renderers.items():
            for language in ("en", "ar"):
                pages[f"{side} {language}"] = work / f"{side}-{language}.html"
                pages[f"{side} {language}"].write_text(
                    html_of(renderer, big_issue(12, language)), encoding="utf-8"
                )
        found = contrasts(pages)
        if found is None:
            print("  no Chromium or playwright: skipped")
            return
        for name, pairs in found.items():
            print(f"  {name}: lowest {pairs[0][0]:.2f}")
            for ratio, what in pairs:
                print(f"      {ratio:5.2f}  {what}")
        for scheme in ("light", "dark"):
            lowest = {
                side: min(found[f"{side} {lang} {scheme}"][0][0] for lang in ("en", "ar"))
                for side in renderers
            }
            side_by_side(
                f"lowest contrast, {scheme}",
                round(lowest["before"], 2),
                round(lowest["after"], 2),
                True,
            )


if __name__ == "__main__":
    main()
