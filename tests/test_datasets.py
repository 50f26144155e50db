import numpy as np
import pytest

from nntopo.datasets import DATASETS, make_dataset
from nntopo.diagnostics import separable as linearly_separable


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_labels_and_determinism(name):
    X, y = make_dataset(name, 100, seed=7)
    assert X.shape == (200, DATASETS[name].dim) and X.dtype == np.float64
    assert y.shape == (200,) and set(np.unique(y)) == {0, 1} and (y == 0).sum() == 100
    X2, y2 = make_dataset(name, 100, seed=7)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make_dataset(name, 100, seed=8)
    assert not np.array_equal(X, X3)
    assert np.all(np.abs(X) <= DATASETS[name].extent)


def test_circles_exact_radii():
    X, y = make_dataset("circles", 5000, seed=0)
    r = np.linalg.norm(X, axis=1)
    assert r[y == 0].max() < 1 / 3
    assert r[y == 1].min() > 2 / 3 and r[y == 1].max() < 1
    # uniform by area: half the disk's points lie within radius (1/3) / sqrt(2)
    assert abs(np.mean(r[y == 0] < (1 / 3) / np.sqrt(2)) - 0.5) < 0.03


def test_intervals_exact():
    X, y = make_dataset("intervals", 5000, seed=0)
    a, b = X[y == 0, 0], X[y == 1, 0]
    assert a.min() >= -1 / 3 and a.max() <= 1 / 3
    assert np.all((np.abs(b) >= 2 / 3) & (np.abs(b) <= 1))
    assert (b < 0).any() and (b > 0).any()


@pytest.mark.parametrize("name", ["curves", "spirals", "spirals-hard", "circles"])
def test_no_line_separates_the_classes(name):
    X, y = make_dataset(name, 300, seed=0)
    assert not linearly_separable(X, y)


def test_lp_finds_a_separable_set():
    X = np.array([[0.0, 0.0], [0.1, 0.2], [2.0, 2.0], [2.1, 1.9]])
    assert linearly_separable(X, np.array([0, 0, 1, 1]))


def test_hard_spirals_are_more_entangled():
    assert DATASETS["spirals-hard"].params["turns"] > DATASETS["spirals"].params["turns"]
