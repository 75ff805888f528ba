"""How bouncehammer/ was split, before anyone looked at how the classifier does on it.

python tests/delivery/bounces_corpus/bouncehammer/split.py MBOX TARGET

MBOX: bouncehammer's `examples/17-messages.eml` (an mbox of 37 messages, whatever its name
says), as the stored copy gives it: UTF-8, its Japanese decoded. Each message is written out
unchanged, its mbox "From " line and all, as `bouncehammer-NN.eml` (NN: its place in the mbox),
but for its lines of Japanese: they are in 7bit parts declared ISO-2022-JP, so they are written
back in ISO-2022-JP, each line ending in ASCII (RFC 1468), as the mail systems sent them. A
message whose Message-Id is already in the corpus is left out. Families: the host of the
notice's own Message-Id (the mail system that wrote it: one server's notices are alike, so they
go to the same half); a family goes to tuned/ when the first hex digit of the SHA-256 of its
host is even, else to held_out/.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

_MESSAGE_ID = re.compile(r"^message-id:\s*<([^<>\s]+)@([^<>\s]+)>", re.I | re.M)
CORPUS = Path(__file__).parent.parent


def messages(mbox: str) -> list[str]:
    starts = [m.start() for m in re.finditer(r"(?:\A|(?<=\n))From ", mbox)]
    return [mbox[a:b] for a, b in zip(starts, [*starts[1:], len(mbox)], strict=True)]


def raw(text: str) -> bytes:
    """The message's bytes: ASCII lines as they are, the others in ISO-2022-JP, which every
    part of these messages that has them declares."""
    if not text.isascii():
        assert "charset=iso-2022-jp" in text.lower().replace('"', ""), text[:200]
    return b"".join(
        line.encode("ascii") if line.isascii() else line.encode("iso2022_jp")
        for line in text.splitlines(keepends=True)
    )


def known_ids() -> set[str]:
    found: set[str] = set()
    for path in CORPUS.rglob("*"):
        if path.is_file() and "bouncehammer" not in path.parts:
            text = path.read_bytes().decode("utf-8", "replace")
            found.update(f"{a}@{b}".lower() for a, b in _MESSAGE_ID.findall(text))
    return found


def main() -> None:
    mbox = Path(sys.argv[1]).read_bytes().decode("utf-8")
    target = Path(sys.argv[2])
    known = known_ids()
    for number, text in enumerate(messages(mbox), start=1):
        head = text.split("\n\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        assert found is not None, number
        local, host = found.groups()
        name = f"bouncehammer-{number:02d}.eml"
        if f"{local}@{host}".lower() in known:
            print("left out (already in the corpus):", name)
            continue
        digit = int(hashlib.sha256(host.lower().encode()).hexdigest()[0], 16)
        half = "tuned" if digit % 2 == 0 else "held_out"
        (target / half).mkdir(parents=True, exist_ok=True)
        (target / half / name).write_bytes(raw(text))
        print(host.lower(), half, name)


if __name__ == "__main__":
    main()
