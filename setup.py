"""Build step: the wheel carries the top-level templates/ and config.yaml as digest/packaged/.

They stay at the top of the repository, where a clone's Quickstart uses them; the copies exist
only in the build, so they cannot drift (digest/packaged_files.py finds either).
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


setup(cmdclass={"build_py": BuildWithPackagedFiles})
