"""The topology and linear geometry of point clouds: Betti numbers from persistent homology
(ripser, by the rule in `betti`) and exact linear separability (an LP), with the words that say
them. Pure functions of arrays; `inspect` applies them to every stage of a network.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import cKDTree


MAX_PH_POINTS = 300  # points per class given to persistent homology (farthest-point subsample)
MAX_PH_POINTS_3D = 120  # fewer when b2 is wanted: 2-simplices grow with the cube of the points
NOISE_FLOOR = 1.0  # features living under this many sample spacings are noise
GAP_RATIO = 3.0  # real features outlive the next-longest by this factor
BIRTH_LIMIT = 20.0  # holes (b1, b2) must be born within this many sample spacings


def farthest_points(X: np.ndarray, k: int) -> np.ndarray:
    """Indices of k points of X (N, d) by farthest-point sampling from point 0: deterministic,
    and it spreads the points evenly, so the sample spacing is about the same everywhere."""
    if len(X) <= k:
        return np.arange(len(X))
    chosen = [0]
    dist = np.linalg.norm(X - X[0], axis=1)
    for _ in range(k - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(X - X[i], axis=1))
    return np.array(chosen)


def count_features(lifetimes: np.ndarray, spacing: float) -> int:
    """How many of the longest-lived features are real: the rule of `betti`.

    Sort the lifetimes, longest first. The real features are those before the largest drop
    between consecutive lifetimes, provided the drop is a factor of GAP_RATIO or more and the
    features before it outlive the sample spacing; else there are none. Scale-free: it asks how
    far the longest-lived features stand out from the rest, not how long they live.
    """
    life = np.sort(lifetimes[np.isfinite(lifetimes)])[::-1]
    floor = NOISE_FLOOR * spacing
    life = np.append(life, floor)  # after the shortest: a lone feature is compared with the floor
    ratios = life[:-1] / np.maximum(life[1:], 1e-3 * spacing)
    ratios[life[:-1] <= floor] = 0.0  # sampling noise is never a feature
    if len(ratios) == 0 or ratios.max() < GAP_RATIO:
        return 0
    return int(np.argmax(ratios)) + 1


def whiten(X: np.ndarray) -> np.ndarray:
    """X (N, d) in its principal axes, each scaled to unit variance: (N, r), r = its rank.

    An invertible affine map changes no topology, but a squashed cloud (a layer with a large
    condition number) hides a hole at any fixed scale; whitening undoes the squash first.
    Directions the cloud has really collapsed in (variance ~ 0) are dropped, not blown up.
    """
    Xc = X - X.mean(0)
    w, V = np.linalg.eigh(np.cov(Xc, rowvar=False).reshape(X.shape[1], X.shape[1]))
    keep = w > 1e-12 * max(w.max(), 1e-300)
    if not keep.any():
        return Xc[:, :1]
    return Xc @ V[:, keep] / np.sqrt(w[keep])


def betti(X: np.ndarray, maxdim: int = 1) -> tuple[int, ...]:
    """Betti numbers (b0, ..., b_maxdim) of the shape the point cloud X (N, d) samples.

    The rule: whiten the cloud (`whiten`: an affine map, so the topology is unchanged), subsample
    to MAX_PH_POINTS points (fewer for b2) by farthest-point sampling, which spreads them evenly; compute the Vietoris-Rips persistence diagrams (ripser); in each
    dimension count the longest-lived features that stand out from the rest by a factor of
    GAP_RATIO or more (count_features); the sample spacing is the median nearest-neighbour
    distance of the subsample, and holes must be born within BIRTH_LIMIT spacings. The one infinite component always counts towards b0.
    """
    from ripser import ripser

    if len(X) < 3:
        return (len(X),) + (0,) * maxdim
    P = whiten(X)
    P = P[farthest_points(P, MAX_PH_POINTS if maxdim < 2 else MAX_PH_POINTS_3D)]
    spacing = float(np.median(cKDTree(P).query(P, k=2)[0][:, 1]))
    dgms = ripser(P, maxdim=maxdim)["dgms"]
    out = []
    for dim, d in enumerate(dgms):
        life = d[:, 1] - d[:, 0]
        if dim > 0:
            # A hole of the set is born as soon as the sample connects around it, within a few
            # spacings; a loop born late is an arc closed by a chord across a wide gap (a
            # curled curve), not a hole.
            life = np.where(d[:, 0] <= BIRTH_LIMIT * spacing, life, 0.0)
        n = count_features(life, spacing)
        out.append(1 + n if dim == 0 else n)  # b0: the infinite bar plus the finite real ones
    return tuple(out)


def separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Exactly, by an LP feasibility test: two classes, is there (w, c) with s_i (w . x_i + c) >= 1
    for all i? C classes, are there scores W x + b whose largest is every point's own class, by a
    margin (w_y - w_k) . x_i + b_y - b_k >= 1 for every other class k?"""
    X1 = np.hstack([X, np.ones((len(X), 1))])  # (N, d + 1)
    C = int(y.max()) + 1 if len(y) else 2
    if C <= 2:
        s = np.where(y == 1, 1.0, -1.0)
        A = -s[:, None] * X1
    else:
        rows = []
        for k in range(C):  # the constraints against class k, for the points of every other class
            other = y != k
            block = np.zeros((other.sum(), C, X1.shape[1]))
            block[np.arange(other.sum()), y[other]] = -X1[other]
            block[:, k] = X1[other]
            rows.append(block.reshape(len(block), -1))
        A = np.concatenate(rows)
    res = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=-np.ones(len(A)), bounds=(None, None), method="highs")
    return res.status == 0


def apart(X: np.ndarray, y: np.ndarray, classes: int) -> tuple[bool, ...]:
    """Per class: does one hyperplane cut it from all the others? (one-vs-rest, exactly)"""
    return tuple(separable(X, (y == c).astype(np.int64)) for c in range(classes))


def linear_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the best linear classifier: 1.0 when separable, else LinearSVC's on the data."""
    if separable(X, y):
        return 1.0
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    keep = np.ptp(X, axis=0) > 0
    if not keep.any():
        return float(np.bincount(y).max() / len(y))
    clf = make_pipeline(StandardScaler(), LinearSVC(C=100.0, max_iter=20000))
    clf.fit(X[:, keep], y)
    return float(clf.score(X[:, keep], y))


def betti_words(names: tuple[str, ...], bettis: tuple[tuple[int, ...], ...], fmt=str) -> str:
    """The Betti numbers of every class in a few words: 'A (1, 0), B (1, 1)' for two classes;
    for more, the common value and the exceptions: '(1, 0) each but C (1, 1)'. fmt: how one
    class's numbers are written."""
    if len(names) <= 2:
        return ", ".join(f"{n} {fmt(b)}" for n, b in zip(names, bettis))
    common = max(set(bettis), key=bettis.count)
    odd = [f"{n} {fmt(b)}" for n, b in zip(names, bettis) if b != common]
    return f"{fmt(common)} each" + (f" but {', '.join(odd[:3])}" + (", ..." if len(odd) > 3 else "") if odd else "")
