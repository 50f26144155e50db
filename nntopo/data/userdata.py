"""The user's own points: a CSV file of `x, y[, z], label` rows, checked line by line.

Any problem is an NntopoError that names the file and line. Coordinates are rescaled into the
box [-1, 1]^d that the scenes and the training recipe expect; the shift and scale are kept in
the recording's metadata so the original units can be recovered.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ranges import RANGES
from ..errors import NntopoError

MAX_COORDINATES = 3  # x, y, z: the input spaces the scenes draw (representations may be wider)
MAX_POINTS = 2 * RANGES["points"][1]  # rows of a points file: what --points allows for two classes
MAX_BYTES = 64 * 2**20  # a points file's size, checked before it is read


@dataclass(frozen=True)
class Table:
    X: np.ndarray  # (N, d) rescaled into [-1, 1]^d
    y: np.ndarray  # (N,) each label's place in sorted order (integers numerically)
    labels: tuple[str, ...]  # the file's labels, in label order (class A, class B for two)
    center: np.ndarray  # (d,) X_file = X * scale + center
    scale: float
    sha256: str  # of the file's bytes: the recording says exactly which data it saw


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v


def load_table(path: str | Path, max_classes: int = RANGES["classes"][1]) -> Table:
    """Read and check `path`; see the module docstring for the format."""
    path = Path(path)
    if not path.is_file():
        raise NntopoError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise NntopoError(f"{path}: {path.stat().st_size / 2**20:.0f} MB; a points file holds at most "
                          f"{MAX_BYTES // 2**20} MB ({MAX_POINTS:,} points)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NntopoError(f"{path}: not a text file (UTF-8 expected)") from None
    rows = [(i, r) for i, r in enumerate(csv.reader(text.splitlines()), start=1)
            if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise NntopoError(f"{path}: empty: expected rows of x, y[, z], label")
    first_line, first = rows[0]
    if len(first) >= 2 and all(_number(c) is None for c in first[:-1]):  # a header: x,y,label
        rows = rows[1:]
        if not rows:
            raise NntopoError(f"{path}: only a header line, no points")
    if len(rows) > MAX_POINTS:
        raise NntopoError(f"{path}: {len(rows):,} points; at most {MAX_POINTS:,} (as --points allows per class, "
                          "times two)")
    width = len(rows[0][1])
    coords, labels = [], []
    for line, row in rows:
        if len(row) != width:
            raise NntopoError(f"{path}:{line}: {len(row)} columns, but line {rows[0][0]} has {width}")
        if width < 2:
            raise NntopoError(f"{path}:{line}: expected x, y[, z], label: at least 2 columns")
        if width - 1 > MAX_COORDINATES:
            raise NntopoError(
                f"{path}:{line}: {width - 1} coordinates; at most {MAX_COORDINATES} (x, y, z) are supported")
        values = []
        for k, cell in enumerate(row[:-1]):
            v = _number(cell.strip())
            if v is None:
                raise NntopoError(f"{path}:{line}: column {k + 1} is not a number: {cell.strip()!r}")
            if not math.isfinite(v):
                raise NntopoError(f"{path}:{line}: column {k + 1} is {cell.strip()}: not a finite number")
            values.append(v)
        label = row[-1].strip()
        if not label:
            raise NntopoError(f"{path}:{line}: the label (last column) is empty")
        coords.append(values)
        labels.append(label)
    distinct = sorted(set(labels), key=_label_order)
    if len(distinct) < 2:
        raise NntopoError(f"{path}: every point has label {distinct[0]!r}: two classes are needed")
    if len(distinct) > max_classes:
        shown = ", ".join(repr(d) for d in distinct[:5])
        raise NntopoError(f"{path}: {len(distinct)} labels ({shown}, ...); the networks here tell "
                          f"up to {max_classes} classes apart")
    X = np.asarray(coords, dtype=np.float64)
    y = np.array([distinct.index(lab) for lab in labels], dtype=np.int64)
    Xn, center, scale = normalize(X)
    return Table(Xn, y, tuple(distinct), center, scale, hashlib.sha256(raw).hexdigest())


def _label_order(label: str):
    """Integers in numeric order (so '10' follows '9'), then any other label alphabetically."""
    try:
        return (0, int(label), "")
    except ValueError:
        return (1, 0, label)


def normalize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Points X (N, d) moved and scaled (one factor for all axes, so shapes keep their angles)
    into [-1, 1]^d: (X - center) / scale, center (d,), scale."""
    lo, hi = X.min(0), X.max(0)
    center = (lo + hi) / 2
    scale = float(np.abs(X - center).max()) or 1.0
    return (X - center) / scale, center, scale
