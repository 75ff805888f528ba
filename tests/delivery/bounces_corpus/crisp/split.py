"""How crisp/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/crisp/split.py SOURCE TARGET

SOURCE: a folder of the notice bodies taken from crisp-oss/email-bounce-parser's
`test/fixtures/` (see the corpus README), named as there: the reply code's parts, then the
reason, then `_variant_N` (`550_5_1_1_no_such_recipient_variant_9.txt`,
`unknown_server_timeout.txt`). Families: the reason part of the name (`no_such_recipient`,
`mailbox_full`, `spam_content`, ...); a family of one notice is pooled with the others of one
("other"), so that both halves get some. Names in natural order (2 before 10), alternately to
tuned/ (first) and held_out/.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path


def reason(name: str) -> str:
    """The reason part of a fixture's name: without its reply code and variant number."""
    stem = re.sub(r"_variant_\d+$", "", name.removesuffix(".txt"))
    return re.sub(r"^(?:\d+_)+", "", stem)


def natural(path: Path) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    by_reason: dict[str, list[Path]] = defaultdict(list)
    for path in source.glob("*.txt"):
        by_reason[reason(path.name)].append(path)
    families: dict[str, list[Path]] = defaultdict(list)
    for name, paths in by_reason.items():
        families[name if len(paths) > 1 else "other"].extend(paths)
    for name, paths in sorted(families.items()):
        for i, path in enumerate(sorted(paths, key=natural)):
            half = "tuned" if i % 2 == 0 else "held_out"
            (target / half).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / half / path.name)
            print(name, half, path.name)


if __name__ == "__main__":
    main()
