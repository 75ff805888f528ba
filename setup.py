"""Build step: the wheel carries the top-level templates/ and config.yaml as digest/packaged/,
with each catalogue (templates/locales/LANG/LC_MESSAGES/digest.po) compiled to its .mo.

They stay at the top of the repository, where a clone's Quickstart uses them; the copies exist
only in the build, so they cannot drift (digest/packaged_files.py finds either). A checkout
without .mo files compiles each .po in memory when it is first needed (digest/render/language.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithPackagedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own files
        target = Path(self.build_lib) / "digest" / "packaged"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / "templates", target / "templates")
        shutil.copy2(ROOT / "config.yaml", target / "config.yaml")
        compile_catalogues(target / "templates" / "locales")


def compile_catalogues(folder: Path) -> None:
    """Each LANG/LC_MESSAGES/*.po beside its .mo; a broken catalogue fails the build."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=po.parent.parent.name, abort_invalid=True)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithPackagedFiles})
