"""How sisimai/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/sisimai/split.py SOURCE TARGET

SOURCE: a folder of the messages taken from Sisimai's `set-of-emails/maildir/bsd/` (see the
corpus README), named as there (`email-<mta>-<NN>.eml`). Families: the MTA part of the name
(`email-exim`, `email-google`, ...); a family of one message is pooled with the others of one
("other"), so that both halves get some. Names in natural order (2 before 10), alternately to
tuned/ (first) and held_out/.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path


def natural(path: Path) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    by_mta: dict[str, list[Path]] = defaultdict(list)
    for path in source.glob("*.eml"):
        by_mta[re.sub(r"-\d+\.eml$", "", path.name)].append(path)
    families: dict[str, list[Path]] = defaultdict(list)
    for mta, paths in by_mta.items():
        families[mta if len(paths) > 1 else "other"].extend(paths)
    for family, paths in sorted(families.items()):
        for i, path in enumerate(sorted(paths, key=natural)):
            half = "tuned" if i % 2 == 0 else "held_out"
            (target / half).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / half / path.name)
            print(family, half, path.name)


if __name__ == "__main__":
    main()
