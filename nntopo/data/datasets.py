"""The essay's datasets: labelled point sets in the plane (or on the line), made with numpy.

Every maker takes the number of points per class and a ``numpy.random.Generator`` and returns
``(X, y)``: ``X`` of shape (N, d) float64 and ``y`` of shape (N,) int64 with labels 0 (class A)
and 1 (class B), or 0 ... C-1 for the datasets of C classes. Class sizes are equal, so N = C n.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .real import REAL

Array = np.ndarray
EXTENT = 1.2  # half-width of the input window the scenes show, for the plane's datasets and CSVs


@dataclass(frozen=True)
class Dataset:
    name: str
    dim: int  # dimension of the input space
    summary: str  # one line for `nntopo datasets`
    make: Callable[[int, np.random.Generator], tuple[Array, Array]]
    params: dict  # the parameters `make` uses, recorded in every run's metadata
    extent: float  # half-width of the input window the scenes show (grid and heat map)
    classes: int = 2  # how many classes it has; 0: as many as asked (`--classes`, config.RANGES)


DEFAULT_CLASSES = 3  # a dataset of any number of classes, when none is asked for


def _stack(*parts: Array) -> tuple[Array, Array]:
    """Points of class 0, 1, ... stacked: X (N, d), y (N,)."""
    X = np.concatenate(parts).astype(np.float64)
    y = np.concatenate([np.full(len(p), c, np.int64) for c, p in enumerate(parts)])
    return X, y


# --- two curves -----------------------------------------------------------------------------
# Two parallel sine arcs, one above the other. The best straight line misses the sine's shape by
# more than the curves' separation (max |0.6 sin(pi x) - m x| >= 0.39 > 0.25 over [-1, 1]), so no
# line separates them, while one hidden layer can.
CURVES = dict(amplitude=0.6, offset=0.25, x_range=1.0)


def _curves(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    p = CURVES
    xa = rng.uniform(-p["x_range"], p["x_range"], n)
    xb = rng.uniform(-p["x_range"], p["x_range"], n)
    a = np.stack([xa, p["amplitude"] * np.sin(np.pi * xa) + p["offset"]], 1)
    b = np.stack([xb, p["amplitude"] * np.sin(np.pi * xb) - p["offset"]], 1)
    return _stack(a, b)


# --- two spirals ----------------------------------------------------------------------------
# Arm k (k = 0 for A, 1 for B) at parameter s in [0, 1]: radius r0 + (1 - r0) s, angle
# 2 pi turns s + pi k. "turns" is how entangled the pair is.
SPIRALS = dict(turns=0.85, r0=0.15, noise=0.02)
SPIRALS_HARD = dict(turns=1.5, r0=0.15, noise=0.02)


SPIRALS_3 = dict(turns=0.6, r0=0.15, noise=0.02)  # three arms, a third of a turn apart


def _spiral_arms(n: int, rng: np.random.Generator, turns: float, r0: float, noise: float, count: int = 2):
    arms = []
    for k in range(count):
        s = np.sqrt(rng.uniform(0.0, 1.0, n))  # sqrt: even density along the growing arm
        r = r0 + (1.0 - r0) * s
        theta = 2.0 * np.pi * turns * s + 2.0 * np.pi * k / count
        pts = np.stack([r * np.cos(theta), r * np.sin(theta)], 1)
        arms.append(pts + noise * rng.standard_normal(pts.shape))
    return _stack(*arms)


def _spirals(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    return _spiral_arms(n, rng, **SPIRALS)


def _spirals_hard(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    return _spiral_arms(n, rng, **SPIRALS_HARD)


def _spirals_3(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    return _spiral_arms(n, rng, **SPIRALS_3, count=3)


# --- Gaussian blobs -------------------------------------------------------------------------------
# C round clusters with centres evenly on a circle, class 0 at the top: linearly separable from
# each other but for their tails, the simplest data of many classes.
BLOBS = dict(radius=0.7, spread=0.09)


def _blobs(n: int, rng: np.random.Generator, classes: int = DEFAULT_CLASSES) -> tuple[Array, Array]:
    p = BLOBS
    angles = np.pi / 2 + 2.0 * np.pi * np.arange(classes) / classes
    centres = p["radius"] * np.stack([np.cos(angles), np.sin(angles)], 1)
    return _stack(*(c + p["spread"] * rng.standard_normal((n, 2)) for c in centres))

# --- disk and annulus -----------------------------------------------------------------------
# Exactly the essay's sets: A = {d(x, 0) < 1/3}, B = {2/3 < d(x, 0) < 1}, sampled uniformly by area.
CIRCLES = dict(inner=1 / 3, annulus_in=2 / 3, annulus_out=1.0)


def _uniform_annulus(n: int, rng: np.random.Generator, r_in: float, r_out: float) -> Array:
    # Inverse-CDF sampling by area; the open bounds are kept open by rejecting the endpoints.
    u = rng.uniform(r_in**2, r_out**2, n)
    r = np.sqrt(u)
    r = np.where((r <= r_in) | (r >= r_out), (r_in + r_out) / 2, r)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    return np.stack([r * np.cos(phi), r * np.sin(phi)], 1)


def _circles(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    p = CIRCLES
    return _stack(
        _uniform_annulus(n, rng, 0.0, p["inner"]),
        _uniform_annulus(n, rng, p["annulus_in"], p["annulus_out"]),
    )


# --- intervals on the line ------------------------------------------------------------------
# A = [-1/3, 1/3], B = [-1, -2/3] u [2/3, 1].
INTERVALS = dict(a=1 / 3, b_in=2 / 3, b_out=1.0)


def _intervals(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    p = INTERVALS
    a = rng.uniform(-p["a"], p["a"], n)
    side = rng.choice([-1.0, 1.0], n)
    b = side * rng.uniform(p["b_in"], p["b_out"], n)
    return _stack(a[:, None], b[:, None])


# --- linked tori and an unlink (3D) -------------------------------------------------------------
# Solid tori around core circles. "tori": two links of a chain, each core circle passing through
# the other's disk once (linking number 1). "unlink": a ring, and a circle hanging through it
# that crosses the ring's disk twice, both times inside: it looks caught, but it lifts out
# (linking number 0): the essay's "relatively simple unlink".
TORI = dict(radius=0.45, tube=0.1, offset=0.225)
UNLINK = dict(radius=0.5, tube=0.07, hang_center=(0.125, 0.0, 0.2), hang_radius=0.27)


def core_circle(center, radius: float, normal_axis: int, t: np.ndarray) -> np.ndarray:
    """Points (n, 3) of a circle around `center` in the plane normal to axis `normal_axis`."""
    a, b = [k for k in range(3) if k != normal_axis]
    pts = np.zeros((len(t), 3))
    pts[:, a], pts[:, b] = radius * np.cos(t), radius * np.sin(t)
    return pts + np.asarray(center, dtype=np.float64)


def _solid_tube(core: np.ndarray, tangent: np.ndarray, tube: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform points in discs of radius `tube` normal to the core curve at each core point."""
    t = tangent / np.linalg.norm(tangent, axis=1, keepdims=True)
    helper = np.where(np.abs(t[:, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
    u = np.cross(t, helper)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = np.cross(t, u)
    r = tube * np.sqrt(rng.uniform(0, 1, len(core)))[:, None]
    phi = rng.uniform(0, 2 * np.pi, len(core))[:, None]
    return core + r * (np.cos(phi) * u + np.sin(phi) * v)


def _torus(n, rng, center, radius, normal_axis, tube):
    t = rng.uniform(0, 2 * np.pi, n)
    core = core_circle(center, radius, normal_axis, t)
    tangent = core_circle(np.zeros(3), radius, normal_axis, t + np.pi / 2)  # d/dt of the circle
    return _solid_tube(core, tangent, tube, rng)


def _tori(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    p = TORI
    a = _torus(n, rng, (-p["offset"], 0, 0), p["radius"], 2, p["tube"])  # in the xy plane
    b = _torus(n, rng, (p["offset"], 0, 0), p["radius"], 1, p["tube"])  # in the xz plane
    return _stack(a, b)


def _unlink(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    p = UNLINK
    a = _torus(n, rng, (0, 0, 0), p["radius"], 2, p["tube"])
    b = _torus(n, rng, p["hang_center"], p["hang_radius"], 1, p["tube"])
    return _stack(a, b)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("curves", 2, "two curves on the plane that no line separates", _curves, CURVES, EXTENT),
        Dataset(
            "spirals",
            2,
            "two slightly entangled spirals (untangled by four 2-unit tanh layers)",
            _spirals,
            SPIRALS,
            EXTENT,
        ),
        Dataset(
            "spirals-hard",
            2,
            "two more entangled spirals (the essay's failing case)",
            _spirals_hard,
            SPIRALS_HARD,
            EXTENT,
        ),
        Dataset("spirals-3", 2, "three spiral arms, three classes (a softmax head)", _spirals_3, SPIRALS_3,
                EXTENT, classes=3),
        Dataset("blobs", 2, "C round clusters on a circle, one class each (--classes C, 2 to 10)", _blobs,
                BLOBS, EXTENT, classes=0),
        Dataset(
            "circles",
            2,
            "disk d(x,0) < 1/3 inside annulus 2/3 < d(x,0) < 1 (needs 3 units)",
            _circles,
            CIRCLES,
            EXTENT,
        ),
        Dataset(
            "intervals",
            1,
            "1D: A = [-1/3, 1/3], B = [-1, -2/3] u [2/3, 1] (needs 2 units)",
            _intervals,
            INTERVALS,
            EXTENT,
        ),
        Dataset("tori", 3, "3D: two linked solid tori, like two links of a chain (needs a 4th dimension)",
                _tori, TORI, 1.0),
        Dataset("unlink", 3, "3D: a ring and a circle hanging through it: it looks caught, but lifts out",
                _unlink, UNLINK, 1.0),
    ]
}


# Every dataset a name gives: the synthetic ones above (sampled afresh), then the real ones that
# ship inside packages (data/real.py: a seeded, stratified held-out split replaces a fresh sample).
NAMES: tuple[str, ...] = tuple(DATASETS) + tuple(REAL)


def dim_of(name: str) -> int:
    """The input dimension of dataset `name` (a key of NAMES)."""
    return DATASETS[name].dim if name in DATASETS else REAL[name].dim


def classes_of(name: str, classes: int | None = None) -> int:
    """How many classes dataset `name` has when `classes` are asked for (None: its own number)."""
    d = DATASETS.get(name) or REAL[name]
    if d.classes:
        if classes not in (None, d.classes):
            from ..errors import ConfigError

            raise ConfigError("classes", classes, f"{name} has {d.classes} classes; only blobs takes --classes")
        return d.classes
    if classes is None:
        return DEFAULT_CLASSES
    from ..ranges import in_range

    return in_range("classes", classes)


def make_dataset(name: str, n_per_class: int, seed: int, classes: int | None = None) -> tuple[Array, Array]:
    """Sample dataset ``name``: X (C n, d) float64 and y (C n,) int64, the same for the same seed.
    classes: for a dataset of any number of classes (blobs), how many (default DEFAULT_CLASSES)."""
    d, rng = DATASETS[name], np.random.default_rng(seed)
    C = classes_of(name, classes)
    return d.make(n_per_class, rng) if d.classes else d.make(n_per_class, rng, C)

