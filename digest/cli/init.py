"""The `digest init` command: a folder to run digest in, from the files the package carries."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import click

from digest.cli.output import out
from digest.errors import InitError
from digest.packaged_files import config_template, packaged_templates, samples

# Where the shipped config.yaml names the sample sources (beside the package, in a checkout),
# and where `digest init` puts them: relative to the folder it writes.
SHIPPED_SAMPLES = '"digest/samples/'
WRITTEN_SAMPLES = '"samples/'


@dataclass(frozen=True)
class Planned:
    target: Path
    source: Path | None = None  # copied as it is
    text: str | None = None  # or written


@click.command("init")
@click.argument(
    "directory", type=click.Path(path_type=Path, file_okay=False), default=".", required=False
)
@click.option("--force", is_flag=True, help="Overwrite the files that already exist.")
def init(directory: Path, force: bool) -> None:
    """Write config.yaml, the templates to customise and the sample sources into DIRECTORY
    (default: this folder), ready for `digest run`."""
    plan = _plan(directory)
    existing = [p.target for p in plan if p.target.exists()]
    if existing and not force:
        more = (
            f" (and {len(existing) - 1} more of the files it writes)" if len(existing) > 1 else ""
        )
        raise InitError(
            f"{existing[0]} already exists{more}: nothing written",
            hint="keep your files and init another folder, or run `digest init --force` "
            "to overwrite them with the shipped ones",
        )
    for planned in plan:
        planned.target.parent.mkdir(parents=True, exist_ok=True)
        if planned.source is not None:
            shutil.copyfile(planned.source, planned.target)
        else:
            planned.target.write_text(planned.text or "", encoding="utf-8")

    def count(folder: Path) -> int:
        return sum(1 for p in plan if p.target.is_relative_to(folder))

    out.print(
        f"Wrote {directory / 'config.yaml'} (every key commented; edit it first)", markup=False
    )
    templates, sample_folder = directory / "templates", directory / "samples"
    out.print(f"Wrote {templates}/ ({count(templates)} template files to customise)", markup=False)
    out.print(
        f"Wrote {sample_folder}/ ({count(sample_folder)} sample feeds and pages)", markup=False
    )
    here = Path(os.path.normpath(directory)) == Path(".")
    out.print("Next: digest run" if here else f"Next: cd {directory} && digest run", markup=False)


def _plan(directory: Path) -> list[Planned]:
    """Every file init writes, the config first; a missing packaged file is an error here."""
    config = config_template()
    templates = packaged_templates()
    if not config.is_file() or not templates.is_dir():
        raise InitError(
            f"{config.parent}: the packaged config.yaml and templates/ are missing",
            hint="reinstall digest from its wheel (built with `pip wheel`, which copies them in)",
        )
    text = config.read_text(encoding="utf-8").replace(SHIPPED_SAMPLES, WRITTEN_SAMPLES)
    plan = [Planned(directory / "config.yaml", text=text)]
    for root, name in ((templates, "templates"), (samples(), "samples")):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                plan.append(Planned(directory / name / path.relative_to(root), source=path))
    return plan
