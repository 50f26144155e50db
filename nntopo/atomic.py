"""The one way nntopo writes a file or a folder: beside the target, then one rename.

A failed or interrupted (Ctrl-C) write leaves the old file as it was and no temporary one.
Recordings, trajectories, videos, posters, frame folders, the gallery and `knn` tables all go
through `replacing`.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_counter = itertools.count()


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` (nothing there yet); when the block ends without an
    exception, what was written there replaces `path`: a file by one rename, a folder by two."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{next(_counter)}.tmp"
    try:
        yield tmp
        if tmp.is_dir() and path.exists():
            old = path.parent / f".{path.name}.{os.getpid()}.{next(_counter)}.old"
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            _remove(tmp)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` (UTF-8), atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path`, atomically."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_npz(path: str | os.PathLike, arrays: dict) -> Path:
    """Save `arrays` as a compressed .npz at `path`, atomically."""
    import numpy as np

    with replacing(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    return Path(path)


def check_output(path: str | os.PathLike, suffix: str | tuple[str, ...], overwrite: bool = True,
                 folder: bool = False, option: str = "--output") -> Path:
    """Refuse an output that could not be written, before any work is done: a wrong suffix (for
    a file; suffix: the one allowed, or several), a missing or unwritable folder, a directory where
    a file goes (or the reverse), an existing output with overwrite=False. option: how the error
    names it."""
    import tempfile

    from .errors import NntopoError

    path = Path(path)
    suffixes = (suffix,) if isinstance(suffix, str) else tuple(suffix)
    if not overwrite and path.exists():
        raise NntopoError(f"{option} {path}: exists, and --no-overwrite was given")
    if folder:
        if path.exists() and not path.is_dir():
            raise NntopoError(f"{option} {path}: is a file; --frames writes a folder")
    else:
        if path.suffix.lower() not in suffixes:
            raise NntopoError(f"{option} {path}: the file name must end in {' or '.join(suffixes)}")
        if path.is_dir():
            raise NntopoError(f"{option} {path}: is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise NntopoError(f"{option} {path}: folder {parent} does not exist")
    try:  # a real probe: permissions alone say nothing for root or a read-only mount
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".nntopo-probe-"):
            pass
    except OSError as e:
        raise NntopoError(f"{option} {path}: cannot write in {parent} ({e.strerror})") from None
    if path.exists() and not folder and not os.access(path, os.W_OK):
        raise NntopoError(f"{option} {path}: not writable")
    return path
