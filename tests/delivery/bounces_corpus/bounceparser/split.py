"""How bounceparser/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/bounceparser/split.py SOURCE/t/corpus TARGET

Families by name stem (any name with "unknown"; spam-rejection*, quota*, message-too-large*,
warning*, doesnotexist*, boxbe-cr*; every other name is a family of one, pooled as "other"),
names in natural order (2 before 10), alternately to tuned/ (first) and held_out/.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

GROUPS = ("spam-rejection", "quota", "message-too-large", "warning", "doesnotexist", "boxbe-cr")


def family(name: str) -> str:
    base = name.removesuffix(".msg")
    if "unknown" in base:
        return "unknown"
    for group in GROUPS:
        if base.startswith(group) and re.fullmatch(r"[-.]?\d*", base[len(group) :]):
            return group
    return "other"


def natural(name: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    families: dict[str, list[str]] = defaultdict(list)
    for path in source.glob("*.msg"):
        families[family(path.name)].append(path.name)
    for name_of_family, names in sorted(families.items()):
        for i, name in enumerate(sorted(names, key=natural)):
            half = "tuned" if i % 2 == 0 else "held_out"
            (target / half).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / half / name)
            print(name_of_family, half, name)


if __name__ == "__main__":
    main()
