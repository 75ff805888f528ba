"""Where the templates, the config template and the sample sources are, installed or checked out.

The top-level templates/ and config.yaml are the originals; building a wheel copies them into
digest/packaged/ (setup.py), so an installed digest finds them there and a checkout (or an
editable install of it) finds them at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def packaged_root() -> Path:
    """The folder holding templates/ and config.yaml as the package carries them."""
    bundled = PACKAGE / "packaged"
    if bundled.is_dir():
        return bundled
    checkout = PACKAGE.parent
    if (checkout / "templates").is_dir() and (checkout / "config.yaml").is_file():
        return checkout
    return bundled  # neither: whoever reads it names this folder in its error


def packaged_templates() -> Path:
    """The templates folder (email/ and web/) used wherever the config's own lacks one."""
    return packaged_root() / "templates"


def config_template() -> Path:
    """The shipped config.yaml, every key commented."""
    return packaged_root() / "config.yaml"


def samples() -> Path:
    """The sample sources: feeds/ and the article pages/ they link to, read offline."""
    return PACKAGE / "samples"
