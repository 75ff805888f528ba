"""How handlers/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/handlers/split.py SOURCE TARGET

SOURCE: a folder with one folder per project (`cfortune/`: PHP-Bounce-Handler's `eml/`,
`flanker/`: flanker's `tests/fixtures/messages/bounce/`), the messages named as there. Families:
the project and the first dash-separated word of the name (`cfortune sendmail`, `flanker gmail`);
a family of one message is pooled with the project's others of one, so
that both halves get some. Names in natural order (2 before 10), alternately to tuned/ (first) and
held_out/, each file named `<project>-<its name>`.
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
    by_word: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in source.glob("*/*"):
        by_word[(path.parent.name, path.name.split("-")[0])].append(path)
    families: dict[str, list[Path]] = defaultdict(list)
    for (project, word), paths in by_word.items():
        families[f"{project} {word if len(paths) > 1 else 'other'}"].extend(paths)
    for family, paths in sorted(families.items()):
        for i, path in enumerate(sorted(paths, key=natural)):
            half = "tuned" if i % 2 == 0 else "held_out"
            (target / half).mkdir(parents=True, exist_ok=True)
            name = f"{path.parent.name}-{path.name}"
            shutil.copyfile(path, target / half / name)
            print(family, half, name)


if __name__ == "__main__":
    main()
