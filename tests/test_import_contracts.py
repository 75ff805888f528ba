"""The import-linter contracts in pyproject.toml place every module: a new one cannot slip by."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"

# What subscribers may import from digest: the database, the errors and the configuration,
# with what the configuration needs to check itself (its sections, the cadence of schedules).
FOUNDATION = {
    "digest.cadence",
    "digest.config",
    "digest.config_analytics",
    "digest.config_sections",
    "digest.cron_fields",
    "digest.db",
    "digest.errors",
}


def _contract(contract_id: str) -> dict[str, Any]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c.get("id") == contract_id]
    return contract


def _modules(package: str) -> list[str]:
    """Every module of a package, found on disk (importing them all would start things)."""
    root = REPO / package
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if not all(
            (REPO.joinpath(*parts[:i]) / "__init__.py").exists() for i in range(1, len(parts))
        ):
            continue  # not inside a package (migrations/versions): never imported as a module
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def _top_level(package: str) -> list[str]:
    return sorted({".".join(module.split(".")[:2]) for module in _modules(package)} - {package})


def _covered(module: str, entries: list[str]) -> bool:
    return any(module == entry or module.startswith(entry + ".") for entry in entries)


def test_subscribers_may_import_only_digests_foundation() -> None:
    forbidden = _contract("subscribers-foundation")["forbidden_modules"]
    where = "the forbidden_modules of the contract 'subscribers-foundation' in pyproject.toml"
    unplaced = [m for m in _top_level("digest") if m not in FOUNDATION and m not in forbidden]
    messages = []
    for module in unplaced:
        if module.startswith("digest.config"):
            messages.append(
                f"{module} is part of the configuration, which subscribers reads: add it to "
                "FOUNDATION in tests/test_import_contracts.py and to the name of the contract "
                "'subscribers-foundation' in pyproject.toml"
            )
        else:
            messages.append(
                f"{module} is a new top-level module of digest: add it to {where} (or, if "
                "the configuration or the database need it, to FOUNDATION in "
                "tests/test_import_contracts.py)"
            )
    assert not messages, "\n".join(messages)
    assert sorted(FOUNDATION & set(forbidden)) == []
    assert sorted(FOUNDATION - set(_top_level("digest"))) == []


def test_every_module_is_pure_or_named_as_doing_io() -> None:
    contract = _contract("pure")
    pure = contract["source_modules"]
    doing_io = [
        m for m in contract["forbidden_modules"] if m.split(".")[0] in {"digest", "subscribers"}
    ]
    entries = pure + doing_io
    modules = _modules("digest") + _modules("subscribers")
    # A package split between the two lists (digest.collect) holds only its modules.
    containers = {m for m in modules if any(e.startswith(m + ".") for e in entries)}
    unplaced = [
        f"{module} is in neither list of the contract 'pure' in pyproject.toml: add it to "
        "source_modules if it only computes over values (no network, database, SMTP, "
        "environment or clock), else to forbidden_modules"
        for module in modules
        if module not in containers and not _covered(module, entries)
    ]
    assert not unplaced, "\n".join(unplaced)
    assert [m for m in modules if _covered(m, pure) and _covered(m, doing_io)] == []


def test_the_pipeline_steps_may_not_import_the_outer_layer() -> None:
    forbidden = _contract("pipeline-outer")["forbidden_modules"]
    outer = [
        m
        for m in _top_level("digest")
        if m.split(".")[1] in {"__main__", "cli", "service", "web"}
        or m.split(".")[1].startswith("schedul")
    ]
    unplaced = [
        f"{module} runs the pipeline from outside: add it to the forbidden_modules of the "
        "contract 'pipeline-outer' in pyproject.toml"
        for module in outer
        if module not in forbidden
    ]
    assert not unplaced, "\n".join(unplaced)
