"""Read a `file:` URL only from inside the folders a source may read, after `..` and symlinks."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from digest.errors import FetchError

_HINT = "set the source's pages_dir in config.yaml to the folder that holds its pages"


def read_local_file(url: str, folders: Sequence[Path], max_bytes: int) -> bytes:
    """The bytes of the regular file url names, when it lies inside one of folders once every
    symlink and `..` is resolved; anything else is a FetchError naming the link and the folders.
    """
    parts = urlsplit(url)
    if parts.netloc.lower() not in ("", "localhost"):
        # url2pathname would drop the host and read the same path here.
        raise FetchError(
            f"{url}: a file on {parts.netloc}, not on this machine: never read", hint=_HINT
        )
    inside = [_resolved_folder(folder) for folder in folders]
    try:
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except FileNotFoundError:
        raise FetchError(f"{url}: file not found", hint="check the source's file: path") from None
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL in the path
        raise FetchError(f"{url}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if not any(path.is_relative_to(folder) for folder in inside):
        allowed = ", ".join(str(folder) for folder in inside)
        raise FetchError(
            f"{url}: {path} is outside the folder this source's pages are read from ({allowed})",
            hint=_HINT,
        )
    return _read_regular(url, path, max_bytes)


def _resolved_folder(folder: Path) -> Path:
    try:
        return folder.resolve()
    except (OSError, RuntimeError):
        return folder


def _read_regular(url: str, path: Path, max_bytes: int) -> bytes:
    # O_NOFOLLOW: a symlink put in place of the checked file since it was resolved is refused,
    # not followed. O_NONBLOCK: a FIFO never holds the collection waiting for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise FetchError(f"{url}: cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise FetchError(f"{url}: {path} is not a regular file")
    with os.fdopen(descriptor, "rb") as file:
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise FetchError(f"{url}: cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise FetchError(
            f"{path}: larger than collect.max_bytes ({max_bytes} bytes)",
            hint="raise collect.max_bytes if this feed or page is really that large",
        )
    return data
