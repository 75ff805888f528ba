"""The catalogue commands docs/design.md gives, run as written on a copy of the tree: extraction
finds every message the catalogues hold and no new one, and the update makes no entry obsolete
(a clean tree's extract + update changes no message)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "design.md"
LANGUAGES = ("en", "fr", "ar")
# A documented command: in backticks, perhaps broken over lines.
COMMAND = re.compile(r"`(pybabel\s[^`]+)`")


def documented_commands() -> list[list[str]]:
    found = [" ".join(text.split()) for text in COMMAND.findall(DOCS.read_text("utf-8"))]
    assert any(c.startswith("pybabel extract") for c in found), "no pybabel extract in the docs"
    assert any(c.startswith("pybabel update") for c in found), "no pybabel update in the docs"
    pybabel = str(Path(sys.executable).parent / "pybabel")
    return [[pybabel, *shlex.split(command)[1:]] for command in found]


def messages(path: Path) -> set[str]:
    with path.open("rb") as stream:
        catalog: Catalog = read_po(stream)
    return {str(m.id) if isinstance(m.id, str) else str(m.id[0]) for m in catalog if m.id}


def obsolete(path: Path) -> set[str]:
    with path.open("rb") as stream:
        catalog: Catalog = read_po(stream)
    return {str(m.id) if isinstance(m.id, str) else str(m.id[0]) for m in catalog.obsolete.values()}


def test_extract_and_update_as_documented_change_no_message(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.mo")
    for part in ("digest", "subscribers", "templates"):
        shutil.copytree(ROOT / part, tree / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", tree / "pyproject.toml")
    locales = tree / "templates" / "locales"
    before = {tag: messages(locales / tag / "LC_MESSAGES" / "digest.po") for tag in LANGUAGES}
    committed_template = messages(locales / "digest.pot")

    for command in documented_commands():
        done = subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stderr}"

    extracted = messages(locales / "digest.pot")
    assert committed_template - extracted == set(), "in digest.pot but no longer extracted"
    assert extracted - committed_template == set(), "extracted but not in the committed digest.pot"
    for tag in LANGUAGES:
        po = locales / tag / "LC_MESSAGES" / "digest.po"
        assert obsolete(po) == set(), f"{tag}: entries the update made obsolete"
        assert before[tag] - extracted == set(), f"{tag}: catalogue entries no longer extracted"
        assert messages(po) == before[tag], f"{tag}: the update added entries (run it, translate)"
