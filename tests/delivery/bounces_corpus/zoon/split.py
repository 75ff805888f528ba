"""How zoon/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/zoon/split.py SOURCE TARGET

SOURCE: a folder of the messages, each named `zoon-<its name>` (the bounces of
zoonru/PHP-Bounce-Handler's `eml/`). Each goes to tuned/ when the first hex digit of the
SHA-256 of its name is even, else to held_out/, as fixtures/split.py splits.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    for path in sorted(source.iterdir()):
        digit = int(hashlib.sha256(path.name.encode()).hexdigest()[0], 16)
        half = "tuned" if digit % 2 == 0 else "held_out"
        (target / half).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / half / path.name)
        print(half, path.name)


if __name__ == "__main__":
    main()
