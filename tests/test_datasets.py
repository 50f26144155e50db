import numpy as np
import pytest

from nntopo.data.datasets import DATASETS, make_dataset
from nntopo.analysis.topology import separable as linearly_separable


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_labels_and_determinism(name):
    X, y = make_dataset(name, 100, seed=7)
    C = DATASETS[name].classes or 3  # blobs: three unless asked
    assert X.shape == (100 * C, DATASETS[name].dim) and X.dtype == np.float64
    assert y.shape == (100 * C,) and set(np.unique(y)) == set(range(C)) and (np.bincount(y) == 100).all()
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


def gauss_linking(a: np.ndarray, b: np.ndarray) -> float:
    """Linking number of two closed curves (n, 3), (m, 3) by the Gauss double integral."""
    da, db = np.roll(a, -1, 0) - a, np.roll(b, -1, 0) - b
    ma, mb = a + da / 2, b + db / 2
    r = ma[:, None, :] - mb[None, :, :]
    cross = np.cross(da[:, None, :], db[None, :, :])
    return float((r * cross).sum(-1).__truediv__(np.linalg.norm(r, axis=-1) ** 3).sum() / (4 * np.pi))


def test_tori_are_linked_and_the_unlink_is_not():
    from nntopo.data.datasets import TORI, UNLINK, core_circle

    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    a = core_circle((-TORI["offset"], 0, 0), TORI["radius"], 2, t)
    b = core_circle((TORI["offset"], 0, 0), TORI["radius"], 1, t)
    assert abs(abs(gauss_linking(a, b)) - 1.0) < 1e-3
    # each core passes through the other's disk: B meets A's plane (z = 0) at two points, one
    # inside A's circle and one outside
    cx = TORI["offset"] + np.array([-1, 1]) * TORI["radius"]  # where B's circle meets z = 0
    inside = np.abs(cx - (-TORI["offset"])) < TORI["radius"]
    assert inside.sum() == 1
    ring = core_circle((0, 0, 0), UNLINK["radius"], 2, t)
    hang = core_circle(UNLINK["hang_center"], UNLINK["hang_radius"], 1, t)
    assert abs(gauss_linking(ring, hang)) < 1e-3


@pytest.mark.parametrize("name", ["tori", "unlink"])
def test_solid_tori_keep_apart(name):
    from scipy.spatial import cKDTree

    X, y = make_dataset(name, 2000, seed=0)
    gap = cKDTree(X[y == 0]).query(X[y == 1])[0].min()
    assert gap > 0.03  # the two solids do not touch: the classes are well defined


def test_blobs_take_any_number_of_classes_and_others_refuse():
    from nntopo.errors import ConfigError

    for C in (2, 5, 10):
        X, y = make_dataset("blobs", 30, 0, C)
        assert np.bincount(y).tolist() == [30] * C
        centres = np.stack([X[y == c].mean(0) for c in range(C)])
        assert np.linalg.norm(centres - centres[:, None], axis=-1)[~np.eye(C, dtype=bool)].min() > 0.3
    with pytest.raises(ConfigError, match="classes 11: must be between 2 and 10"):
        make_dataset("blobs", 30, 0, 11)
    with pytest.raises(ConfigError, match="spirals has 2 classes; only blobs takes --classes"):
        make_dataset("spirals", 30, 0, 3)
    X, y = make_dataset("spirals-3", 50, 0)
    assert np.bincount(y).tolist() == [50, 50, 50]
