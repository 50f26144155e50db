"""Topology on the numbers: what each stage of each layer does, measured.

For every layer and stage (linear, translate, activate) of a recording, laid out as the video
plays it (isotopy.plan), `inspect` reports:

- the linear map: det W (sign and size), its condition number, and whether the stage is a
  homeomorphism of the data's domain (nonsingular linear part, invertible activation; ReLU,
  singular and narrowing layers are flagged);
- linear separability of the representation after the stage: an exact LP test (C classes: is
  there a linear C-way head that gets every point right, and which classes can one hyperplane
  cut from all the others), and the accuracy of the best linear classifier LinearSVC finds;
- Betti numbers of each class's point cloud from persistent homology (ripser), by the rule in
  `betti`;
- local stretch: the largest singular value of the layer map's Jacobian up to this stage at the
  data points (max and 99th percentile), which exposes the "easy way out".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from ..nets import isotopy, vectorfield
from ..data.datasets import make_dataset
from ..nets.network import VectorField
from ..recording import Recording

TOPOLOGY_POINTS = 4000  # points per class of the dense sample whose topology is measured
TOPOLOGY_SEED_OFFSET = 2_000_003  # its seed: never the training data's
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


@dataclass(frozen=True)
class StageReport:
    layer: int  # 1-based
    stage: str  # linear, translate or activate
    det: float | None  # det W for a square W, else None
    cond: float  # condition number of W (ratio of extreme singular values)
    homeomorphism: bool  # is this stage a homeomorphism of the data's domain?
    why: str  # what makes it one or not
    separable: bool  # does a linear head (two classes: a hyperplane) get every point right after it?
    linear_accuracy: float  # the best linear classifier's accuracy after this stage
    betti: tuple[tuple[int, ...], ...]  # per class: its Betti numbers after this stage
    apart: tuple[bool, ...]  # C > 2, per class: one hyperplane cuts it from the rest; () for two
    stretch_max: float  # largest singular value of the layer's Jacobian so far, over the data
    stretch_p99: float  # its 99th percentile
    # The Betti numbers changed although the stage is a homeomorphism: it squashed a set thinner
    # than the sample resolves (the essay's "easy way out"), not a change of topology.
    squashed: bool = False


@dataclass(frozen=True)
class Report:
    dataset: str
    architecture: str
    activation: str | None  # of the dense layers (None: there are none)
    classes: tuple[str, ...]  # the classes' names, label 0 first
    train_accuracy: float
    test_accuracy: float | None
    input_betti: tuple[tuple[int, ...], ...]  # per class
    input_separable: bool
    stages: tuple[StageReport, ...]
    first_separable: str | None  # "layer L stage" where the classes first become separable
    seconds: float  # how long the diagnostics took

    def to_dict(self) -> dict:
        return asdict(self)


def _linear_facts(W: np.ndarray, lp: isotopy.LayerPlan) -> tuple[float | None, float, bool, str]:
    m, n = W.shape
    s = np.linalg.svd(W, compute_uv=False)
    cond = float(s[0] / s[-1]) if s[-1] > 0 else float("inf")
    det = float(np.linalg.det(W)) if m == n else None
    if m < n:
        return det, cond, False, f"narrows R^{n} -> R^{m}"
    if lp.collapse:
        return det, cond, False, "singular W (det = 0)" if m == n else "W not injective"
    if m > n:
        return det, cond, True, f"embeds R^{n} in R^{m} (injective)"
    return det, cond, True, "det W != 0"


def architecture(rec: Recording) -> str:
    """'2 -> 2 -> 1, tanh', or with vector-field steps '2 -> F2 -> F2 -> 1, vector field (8 anchors)'."""
    text = " -> ".join([str(rec.X.shape[1])] + rec.net.labels() + [str(len(rec.net.head_b))])
    if rec.net.activation is not None:
        text += f", {rec.net.activation}"
    if rec.net.anchors is not None:
        text += f", vector field ({rec.net.anchors} anchors)"
    return text


def _step_facts(step: VectorField, x: np.ndarray, dense: np.ndarray) -> tuple[float, float, bool, str]:
    """A vector-field step on the region around the data x and the dense sample: the smallest
    det(I + J_F), the largest condition number of I + J_F, and whether the step is invertible."""
    where = np.concatenate([vectorfield.region(np.concatenate([x, dense])), x])
    J = step.jacobian(where)
    det = float(np.linalg.det(J).min())
    s = np.linalg.svd(J, compute_uv=False)
    cond = float((s[:, 0] / np.maximum(s[:, -1], 1e-300)).max())
    inv = vectorfield.Invertibility(vectorfield.lipschitz_estimate(step, where), det <= 0)
    return det, cond, not inv.folds, inv.describe()


def inspect(rec: Recording) -> Report:
    """Measure every stage of every layer of `rec` (see the module docstring)."""
    import time

    t0 = time.perf_counter()
    in_dim = rec.X.shape[1]
    plan = isotopy.plan(rec.net, in_dim)
    maxdim = 2 if plan.dim >= 3 else 1
    y = rec.y
    x = isotopy.pad(rec.X, plan.dim)
    # Topology is measured on a dense fresh sample of the true sets, carried through the same
    # stages: where a layer stretches space, 250 training points tear apart long before the set
    # does, and the Betti numbers would report the sampling, not the map.
    C = rec.net.classes
    if rec.sampled:
        Xd, yd = make_dataset(rec.dataset, TOPOLOGY_POINTS, rec.meta["seed"] + TOPOLOGY_SEED_OFFSET, C)
    else:  # the user's own points: they are all there is
        Xd, yd = rec.X, rec.y
    xd = isotopy.pad(Xd, plan.dim)
    J = np.broadcast_to(np.eye(plan.dim), (len(x), plan.dim, plan.dim))  # of this layer so far
    stages = []
    first = None
    input_betti = tuple(betti(Xd[yd == c], maxdim) for c in range(C))
    previous = input_betti
    for lp, layer in zip(plan.layers, plan.net.layers):
        if lp.step is None:
            det, cond, lin_homeo, why = _linear_facts(layer.W, lp)
            act = lp.activation
        for name in lp.stages:
            before, xd_before = x, xd
            x = isotopy.stage_end(lp, name, x)
            xd = isotopy.stage_end(lp, name, xd)
            if name == "flow":
                k = lp.out_dim
                det, cond, homeo, reason = _step_facts(lp.step, before[:, :k], xd_before[:, :k])
                Jf = np.broadcast_to(np.eye(plan.dim), J.shape).copy()
                Jf[:, :k, :k] = lp.step.jacobian(before[:, :k])
                J = Jf @ J
            elif name == "linear":
                J = np.broadcast_to(lp.M, J.shape)
                homeo, reason = lin_homeo, why
            elif name == "translate":
                homeo, reason = True, "translation"
            else:
                d = np.ones_like(before)
                d[:, : lp.out_dim] = act.numpy_deriv(before[:, : lp.out_dim])
                J = d[:, :, None] * J
                homeo = act.invertible
                reason = f"{act.label} is invertible" if homeo else f"{act.label} folds"
            sv = np.linalg.svd(J[:, : lp.out_dim], compute_uv=False)[:, 0]
            sep = separable(x, y)
            betti_now = tuple(betti(xd[yd == c], maxdim) for c in range(C))
            squashed = homeo and betti_now != previous
            previous = betti_now
            stages.append(StageReport(
                layer=lp.index + 1,
                stage=name,
                det=det,
                cond=cond,
                homeomorphism=homeo,
                why=reason,
                separable=sep,
                linear_accuracy=linear_accuracy(x, y),
                betti=betti_now,
                apart=apart(x, y, C) if C > 2 else (),
                stretch_max=float(sv.max()),
                stretch_p99=float(np.percentile(sv, 99)),
                squashed=squashed,
            ))
            if sep and first is None:
                first = f"layer {lp.index + 1} {name}"
    m = rec.meta["metrics"]
    input_sep = separable(rec.X, y)
    return Report(
        dataset=rec.dataset,
        architecture=architecture(rec),
        activation=rec.net.activation,
        classes=rec.classes,
        train_accuracy=float(m["train_accuracy"]),
        test_accuracy=m.get("test_accuracy"),
        input_betti=input_betti,
        input_separable=input_sep,
        stages=tuple(stages),
        first_separable="input" if input_sep else first,
        seconds=time.perf_counter() - t0,
    )


def betti_words(names: tuple[str, ...], bettis: tuple[tuple[int, ...], ...], fmt=str) -> str:
    """The Betti numbers of every class in a few words: 'A (1, 0), B (1, 1)' for two classes;
    for more, the common value and the exceptions: '(1, 0) each but C (1, 1)'. fmt: how one
    class's numbers are written."""
    if len(names) <= 2:
        return ", ".join(f"{n} {fmt(b)}" for n, b in zip(names, bettis))
    common = max(set(bettis), key=bettis.count)
    odd = [f"{n} {fmt(b)}" for n, b in zip(names, bettis) if b != common]
    return f"{fmt(common)} each" + (f" but {', '.join(odd[:3])}" + (", ..." if len(odd) > 3 else "") if odd else "")
