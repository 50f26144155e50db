"""The user's own points: a CSV file of rows of d numeric feature columns and one label column.

    x,y,label                      sepal length,sepal width,...,species      ,0,1,...,783,label
    0.5,1.2,red                    5.1,3.5,1.4,0.2,setosa                     0,0,0,...,0,5

d is 1 to MAX_FEATURES (1024: MNIST's 784 pixels fit). The label is the last column, or the one
named by `label=`; labels are words or numbers. Blank lines and lines starting with '#' are
skipped. The first row is a header (the columns' names) when
  - some cell of it is a word (not a number, not a missing-value mark such as NA) while the cell
    below it is a number (`x,y,label` over `0.5,1.2,red`), or its first cell is empty over a
    number (pandas' `df.to_csv()`: an unnamed index column), or
  - none of its cells is a number (`x,y,label` alone: a header with no points), or
  - its numbers are 0, 1, 2, ... in order, at least PER_COLUMN_FROM of them (pandas' integer
    column names, written without the index: `0,1,...,783,label`).
An unnamed first column of whole numbers is pandas' index (row numbers) and is dropped. Without
a header the features are named x, y, z (1 to 3 of them) or x1 ... xd.

Any problem is an NntopoError of one line that names the file and the line or column. The
features are moved and scaled into [-1, 1]^d, the box the scenes and the training recipe
expect: X = (X_file - center) / scale. For 1 to 3 features one factor serves every axis (shapes
keep their angles); from PER_COLUMN_FROM features on, each column gets its own center and
half-range (pixels, centimetres and counts side by side). center and scale are kept in the
recording's metadata so the original units can be recovered.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ranges import RANGES
from ..errors import NntopoError

MAX_FEATURES = 1024  # numeric columns of a points file (MNIST: 784)
PER_COLUMN_FROM = 4  # from this many features on, each column is scaled on its own
MAX_POINTS = 2 * RANGES["points"][1]  # rows of a points file: what --points allows for two classes
MAX_BYTES = 64 * 2**20  # a points file's size, checked before it is read
MISSING = {"", "na", "n/a", "nan", "null", "?"}  # cells (lower case) that mark a missing value
_CHUNK = 1000  # rows turned into floats at a time, so a big file's strings are never all held


@dataclass(frozen=True)
class Table:
    X: np.ndarray  # (N, d) rescaled into [-1, 1]^d
    y: np.ndarray  # (N,) each label's place in sorted order (integers numerically)
    labels: tuple[str, ...]  # the file's labels, in label order (class A, class B for two)
    center: np.ndarray  # (d,) X_file = X * scale + center
    scale: np.ndarray  # (d,) > 0; all entries equal unless per_column
    sha256: str  # of the file's bytes: the recording says exactly which data it saw
    features: tuple[str, ...]  # (d,) the feature columns' names (header, or x, y, z / x1 ... xd)
    per_column: bool  # each column scaled on its own (d >= PER_COLUMN_FROM)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _kind(cell: str) -> str:
    """'number', 'missing' (empty, NA, nan, ?) or 'word'."""
    cell = cell.strip()
    if cell.lower() in MISSING:
        return "missing"
    return "word" if _number(cell) is None else "number"


def _is_header(first: list[str], second: list[str] | None) -> bool:
    """The rule of the module docstring."""
    kinds = [_kind(c) for c in first]
    below = [_kind(c) for c in second] if second is not None else []
    for k, (a, b) in enumerate(zip(kinds, below)):
        if b == "number" and (a == "word" or (k == 0 and not first[0].strip())):
            return True
    if "number" not in kinds:
        return "word" in kinds
    numbers = [float(c) for c, kind in zip(first, kinds) if kind == "number"]
    return len(numbers) >= PER_COLUMN_FROM and numbers == list(range(len(numbers)))


def _read(path: Path) -> bytes:
    """The file's bytes, checked to be of a readable size and UTF-8."""
    if not path.is_file():
        raise NntopoError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise NntopoError(f"{path}: {path.stat().st_size / 2**20:.0f} MB; a points file holds at most "
                          f"{MAX_BYTES // 2**20} MB")
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")  # checked whole, then read as a stream: the text is never all held
    except UnicodeDecodeError:
        raise NntopoError(f"{path}: not a text file (UTF-8 expected)") from None
    return raw


def _rows(path: Path, raw: bytes):
    """(line number, cells) of each row that is neither blank nor a '#' comment."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""))
    try:
        for cells in reader:
            if any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#"):
                yield reader.line_num, cells
    except csv.Error as e:
        raise NntopoError(f"{path}:{reader.line_num}: not CSV: {e}") from None


def _bad_cell(path: Path, column: str, line: int, cell: str) -> NntopoError:
    cell = cell.strip()
    if cell.lower() in MISSING:
        return NntopoError(f"{path}: {column} has a missing value (line {line}: {cell!r})")
    if _number(cell) is None:
        return NntopoError(f"{path}: {column} is not numeric (line {line}: {cell!r})")
    return NntopoError(f"{path}: {column} is not a finite number (line {line}: {cell!r})")


def _floats(path: Path, chunk: list[list[str]], lines: list[int], columns: list[str]) -> np.ndarray:
    """The cells (n, k) as floats in one go; on failure the first bad cell is named."""
    try:
        A = np.array(chunk, dtype=np.float64)
        if np.isfinite(A).all():
            return A
    except ValueError:
        pass
    for line, cells in zip(lines, chunk):
        for column, cell in zip(columns, cells):
            v = _number(cell)
            if v is None or not math.isfinite(v):
                raise _bad_cell(path, column, line, cell)
    return np.array([[float(c) for c in cells] for cells in chunk])  # numpy stricter than float()


def load_table(path: str | Path, max_classes: int = RANGES["classes"][1], label: str | None = None) -> Table:
    """Read and check `path` (see the module docstring for the format). label: the label
    column's name in the header; None: the last column."""
    path = Path(path)
    raw = _read(path)
    rows = _rows(path, raw)
    first, second = next(rows, None), next(rows, None)
    if first is None:
        raise NntopoError(f"{path}: empty: expected rows of numeric features and a label")
    head_line, head = first
    width = len(head)
    header = _is_header(head, second[1] if second else None)
    if label is not None and not header:
        raise NntopoError(f"{path}: --label needs a header line naming the columns")
    names = [c.strip() for c in head] if header else [""] * width
    index = header and width > 1 and not names[0]  # pandas' unnamed index column, dropped below
    if header:
        seen = set()
        for k, name in enumerate(names):
            if not name and not (k == 0 and index):
                raise NntopoError(f"{path}:{head_line}: column {k + 1} of the header has no name")
            if name in seen:
                raise NntopoError(f"{path}:{head_line}: the header names column {name!r} twice")
            seen.add(name)
    if label is None:
        L = width - 1
    elif label.strip() and label.strip() in names:
        L = names.index(label.strip())
    else:
        named = [n for n in names if n]
        shown = ", ".join(repr(n) for n in named[:6]) + (f", ... ({len(named)} columns)" if len(named) > 6 else "")
        raise NntopoError(f"{path}: no column {label!r}; the columns are {shown}")
    d = width - 1 - index
    if d < 1:
        raise NntopoError(f"{path}:{head_line}: expected feature columns and a label: at least 2 columns")
    if d > MAX_FEATURES:
        raise NntopoError(f"{path}:{head_line}: {d:,} feature columns; at most {MAX_FEATURES} are read")
    kept = [k for k in range(width) if k != L]  # the index (if any) and the features, in file order
    columns = [f"column {names[k]!r}" if names[k] else f"column {k + 1}" for k in kept]
    label_column = f"the label column {names[L]!r}" if header else f"the label (column {L + 1})"

    data = _chain([second] if header else [first, second], rows)
    blocks, labels, chunk, lines = [], [], [], []
    for line, cells in data:
        if len(cells) != width:
            raise NntopoError(f"{path}:{line}: {len(cells)} columns, but line {head_line} has {width}")
        if len(labels) == MAX_POINTS:
            n = MAX_POINTS + 1 + sum(1 for _ in data)
            raise NntopoError(f"{path}: {n:,} points; at most {MAX_POINTS:,} (as --points allows per class, "
                              "times two)")
        name = cells[L].strip()
        if name.lower() in MISSING:
            raise _bad_cell(path, label_column, line, name)
        labels.append(name)
        chunk.append(cells[:L] + cells[L + 1:])
        lines.append(line)
        if len(chunk) == _CHUNK:
            blocks.append(_floats(path, chunk, lines, columns))
            chunk, lines = [], []
    if chunk:
        blocks.append(_floats(path, chunk, lines, columns))
    if not labels:
        raise NntopoError(f"{path}: only a header line, no points")
    X = np.concatenate(blocks)
    blocks.clear()  # the pieces, no longer needed: a big file's floats are held twice at most
    if index:
        if not np.array_equal(X[:, 0], np.round(X[:, 0])):
            raise NntopoError(f"{path}:{head_line}: column 1 of the header has no name")
        X, kept = X[:, 1:], kept[1:]

    distinct = sorted(set(labels), key=_label_order)
    if len(distinct) < 2:
        raise NntopoError(f"{path}: every point has label {distinct[0]!r}: two classes are needed")
    if len(distinct) > max_classes:
        shown = ", ".join(repr(c) for c in distinct[:5])
        hint = f" (labels from column {names[L]!r}; --label names another)" if header and label is None else ""
        raise NntopoError(f"{path}: {len(distinct)} classes ({shown}, ...); nntopo draws up to {max_classes} "
                          f"classes{hint}")
    place = {c: i for i, c in enumerate(distinct)}
    y = np.array([place[c] for c in labels], dtype=np.int64)
    per_column = d >= PER_COLUMN_FROM
    Xn, center, scale = normalize(X, per_column)
    if header:
        features = tuple(names[k] for k in kept)
    else:
        features = ("x", "y", "z")[:d] if d <= 3 else tuple(f"x{k + 1}" for k in range(d))
    digest = hashlib.sha256(raw).hexdigest()
    return Table(Xn, y, tuple(distinct), center, scale, digest, features, per_column)


def _chain(head, rest):
    """The rows of the list `head` (None: none), then those of `rest`."""
    for row in head:
        if row is not None:
            yield row
    yield from rest


def _label_order(label: str):
    """Integers in numeric order (so '10' follows '9'), then any other label alphabetically."""
    try:
        return (0, int(label), "")
    except ValueError:
        return (1, 0, label)


def normalize(X: np.ndarray, per_column: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points X (N, d) moved and scaled into [-1, 1]^d: Xn = (X - center) / scale, with
    center (d,) the middle of each column's range and scale (d,) > 0.

    per_column False: one factor for all axes (scale's d entries are equal; shapes keep their
    angles). True: each column's own half-range, so each column spans [-1, 1]. A constant
    column (or all-constant X) gets scale 1.0: never a division by zero."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(0), X.max(0)
    center = lo / 2 + hi / 2  # halved first: no overflow near the float limit
    if per_column:
        scale = hi / 2 - lo / 2
        scale[scale == 0] = 1.0
    else:
        scale = np.full(X.shape[1], float(np.abs(X - center).max()) or 1.0)
    Xn = X - center
    Xn /= scale
    return np.clip(Xn, -1.0, 1.0, out=Xn), center, scale  # the clip: rounding only, at most 1 ulp


def scale_of(scale: np.ndarray) -> float | tuple[float, ...]:
    """How a recording's metadata writes a scale (d,): one number when every axis has the same
    factor (as format 3 always has), else one per feature."""
    s = np.asarray(scale, dtype=np.float64).reshape(-1)
    return float(s[0]) if np.all(s == s[0]) else tuple(s.tolist())
