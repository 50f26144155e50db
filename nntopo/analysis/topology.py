"""The topology and linear geometry of point clouds: Betti numbers from persistent homology
(ripser, by the rule in `betti`) and exact linear separability (an LP), with the words that say
them. Pure functions of arrays; `inspect` applies them to every stage of a network.

Wide clouds (a 64- or 784-dimensional input and what the layers make of it):
- `betti(X, maxdim, whitened=False)` measures the cloud as it is, centred and scaled (`spread`,
  a similarity), not whitened: N points whitened in n >~ N / 10 dimensions have their noise
  directions blown up to the size of their real ones (N <= n: a regular simplex, every distance
  alike), which leaves no topology to measure. `inspect` asks only b0, b1 of them: b2 of a few
  hundred points in more than three dimensions is not resolved by the sample.
- `separability` solves the LP directly while its matrix is small (LP_ENTRIES, every cloud of
  the 2-D and 3-D datasets); a larger one is decided by a certificate where one is found (a
  fitted linear classifier checked on every point), else by LPs on a deterministic stratified
  subsample that grows by the points the last solution got wrong: infeasible on a subsample is
  infeasible for all, and a solution right on every point is a proof; only when the rounds end
  undecided does the answer hold for the subsample alone (`Separability.exact` False).
- `linear_accuracy` can fit on a stratified subsample (max_points) with bounded iterations.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from ..ranges import MAX_DIM


MAX_PH_POINTS = 300  # points per class given to persistent homology (farthest-point subsample)
MAX_PH_POINTS_3D = 120  # fewer when b2 is wanted: 2-simplices grow with the cube of the points
NOISE_FLOOR = 1.0  # features living under this many sample spacings are noise
GAP_RATIO = 3.0  # real features outlive the next-longest by this factor
BIRTH_LIMIT = 20.0  # holes (b1, b2) must be born within this many sample spacings
VARIANCE_RTOL = 1e-12  # a direction with less variance than this times the largest has collapsed

LP_ENTRIES = 4_000_000  # an LP matrix with at most this many entries is solved on every point at once
LP_NONZEROS = 1_500_000  # a larger one's LPs have at most this many nonzeros (a few seconds of HiGHS)
LP_ROUNDS = 4  # LPs on the growing subsample before an undecided answer is taken from the last
PAIR_PROOFS = 3  # pairs of classes tried alone for a proof that no C-way head exists
MARGIN_RTOL = 1e-9  # a checked solution must get every point right by this times its scores' size
CERTIFICATE_ITER = 500  # iterations of the logistic regression that looks for a certificate
CERTIFICATE_STEP = 50  # its scores are checked after every this many
SVC_POINTS = 3000  # linear_accuracy of a wide recording: LinearSVC fitted on at most this many points
SVC_ITER = 2000  # and this many iterations (scored on every point)


def ph_points(maxdim: int) -> int:
    """How many points per class persistent homology is given at most (farthest-point sample)."""
    return MAX_PH_POINTS if maxdim < 2 else MAX_PH_POINTS_3D


def farthest_points(X: np.ndarray, k: int) -> np.ndarray:
    """Indices of k points of X (N, d) by farthest-point sampling from point 0: deterministic,
    and it spreads the points evenly, so the sample spacing is about the same everywhere.

    The distances are np.linalg.norm's to the bit (the same squares, summed in the same order),
    computed in place: a column at a time for d < 8, where numpy sums a row in order (7 times
    faster at d = 2 than norm's rows of two), else as norm does, without its temporaries."""
    if len(X) <= k:
        return np.arange(len(X))
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(float)  # as norm takes them
    n, d = X.shape
    chosen = np.empty(k, np.int64)
    chosen[0] = 0
    new, tmp = np.empty(n, X.dtype), np.empty(n, X.dtype)
    if d < 8:
        cols = np.ascontiguousarray(X.T)  # (d, N)

        def distances(i: int) -> np.ndarray:
            np.subtract(cols[0], X[i, 0], out=new)
            np.multiply(new, new, out=new)
            for c in range(1, d):
                np.subtract(cols[c], X[i, c], out=tmp)
                np.multiply(tmp, tmp, out=tmp)
                np.add(new, tmp, out=new)
            return np.sqrt(new, out=new)
    else:
        D = np.empty_like(X)

        def distances(i: int) -> np.ndarray:
            np.subtract(X, X[i], out=D)
            np.multiply(D, D, out=D)
            return np.sqrt(np.add.reduce(D, axis=1, out=new), out=new)

    dist = distances(0).copy()
    for j in range(1, k):
        i = int(np.argmax(dist))
        chosen[j] = i
        np.minimum(dist, distances(i), out=dist)
    return chosen


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
    with np.errstate(divide="ignore", invalid="ignore"):  # spacing 0: a cloud of one point
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
    Fewer points than dimensions (a rank-deficient covariance): the axes come from the SVD of
    the points themselves, never from the d x d covariance (deterministic: no random solver).
    """
    Xc = X - X.mean(0)
    if len(X) < X.shape[1]:
        U, s, _ = np.linalg.svd(Xc, full_matrices=False)  # (N, N): Xc V / std = U sqrt(N - 1)
        keep = s**2 > VARIANCE_RTOL * max(float(s[0]) ** 2, 1e-300)
        if not keep.any():
            return Xc[:, :1]
        return U[:, keep] * np.sqrt(max(len(X) - 1, 1))
    w, V = np.linalg.eigh(np.cov(Xc, rowvar=False).reshape(X.shape[1], X.shape[1]))
    keep = w > VARIANCE_RTOL * max(w.max(), 1e-300)
    if not keep.any():
        return Xc[:, :1]
    return Xc @ V[:, keep] / np.sqrt(w[keep])


def spread(X: np.ndarray) -> np.ndarray:
    """X (N, d) centred, in its principal axes (collapsed ones dropped: an isometry onto the
    span, r <= min(N, d) columns) and scaled to unit root-mean-square distance from its mean:
    a similarity, so every distance keeps its ratio to the others (a wide cloud's `whiten`),
    (N, r). A cloud of one point stays one point."""
    Xc = X - X.mean(0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    keep = s**2 > VARIANCE_RTOL * max(float(s[0]) ** 2 if len(s) else 0.0, 1e-300)
    if not keep.any():
        return Xc[:, :1]
    return U[:, keep] * (s[keep] * np.sqrt(len(X)) / np.sqrt((s[keep] ** 2).sum()))


def euclidean(P: np.ndarray) -> np.ndarray:
    """Distances between the rows of P (n, d), (n, n), as scikit-learn's euclidean_distances
    computes them (the ones ripser's own wrapper hands its core), to the last bit."""
    sq = np.einsum("ij,ij->i", P, P)[:, None]
    d = -2 * (P @ P.T)
    d += sq
    d += sq.T
    np.maximum(d, 0, out=d)
    np.fill_diagonal(d, 0)
    return np.sqrt(d)


def rips_diagrams(P: np.ndarray, maxdim: int) -> list[np.ndarray]:
    """The Vietoris-Rips persistence diagrams of P (n, d) in dimensions 0 .. maxdim, each
    (pairs, 2) of births and deaths: what ripser.ripser(P, maxdim) gives, from ripser's compiled
    core directly (its Python wrapper imports scikit-learn and scipy.stats: seconds of start-up)."""
    from pyRipser import doRipsFiltrationDM

    n = len(P)
    condensed = np.asarray(euclidean(P)[np.triu_indices(n, 1)], np.float32)  # ripser's order, i < j
    res = doRipsFiltrationDM(condensed, maxdim, np.inf, 2, False)
    return [np.reshape(np.array(d), (len(d) // 2, 2)) for d in res["births_and_deaths_by_dim"]]


def betti(X: np.ndarray, maxdim: int = 1, whitened: bool = True) -> tuple[int, ...]:
    """Betti numbers (b0, ..., b_maxdim) of the shape the point cloud X (N, d) samples.

    The rule: whiten the cloud (`whiten`: an affine map, so the topology is unchanged; for a
    wide cloud, whitened=False, only centre and scale it, `spread`), subsample
    to MAX_PH_POINTS points (fewer for b2) by farthest-point sampling, which spreads them evenly; compute the Vietoris-Rips persistence diagrams (ripser); in each
    dimension count the longest-lived features that stand out from the rest by a factor of
    GAP_RATIO or more (count_features); the sample spacing is the median nearest-neighbour
    distance of the subsample, and holes must be born within BIRTH_LIMIT spacings. The one infinite component always counts towards b0.
    """
    if len(X) < 3:
        return (len(X),) + (0,) * maxdim
    P = whiten(X) if whitened else spread(X)
    P = P[farthest_points(P, ph_points(maxdim))]
    if not whitened:  # the subsample in its own axes (an isometry): fewer columns than points
        P = spread(P)
    spacing = float(np.median(cKDTree(P).query(P, k=2)[0][:, 1]))
    dgms = rips_diagrams(P, maxdim)
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


@dataclass(frozen=True)
class Separability:
    separable: bool  # a linear head (two classes: a hyperplane) gets every point right
    exact: bool  # proved for every point; False: the LP saw only `points` of them and ran out of rounds
    points: int  # how many points the deciding LP or check saw (all of them when exact by a check)


def _classes(y: np.ndarray) -> int:
    return int(y.max()) + 1 if len(y) else 2


def _dense_constraints(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The LP's rows A (rows, vars), A z <= -1: two classes, -s_i (w . x_i + c); C classes, per
    point and other class k, (w_k - w_y) . x_i + b_k - b_y."""
    X1 = np.hstack([X, np.ones((len(X), 1))])  # (N, d + 1)
    C = _classes(y)
    if C <= 2:
        s = np.where(y == 1, 1.0, -1.0)
        return -s[:, None] * X1
    rows = []
    for k in range(C):  # the constraints against class k, for the points of every other class
        other = y != k
        block = np.zeros((other.sum(), C, X1.shape[1]))
        block[np.arange(other.sum()), y[other]] = -X1[other]
        block[:, k] = X1[other]
        rows.append(block.reshape(len(block), -1))
    return np.concatenate(rows)


def _sparse_constraints(X: np.ndarray, y: np.ndarray, C: int) -> scipy.sparse.csr_matrix:
    """The same rows as _dense_constraints, sparse: 2 (d + 1) nonzeros per row for C classes."""
    N, d1 = len(X), X.shape[1] + 1
    X1 = np.hstack([X, np.ones((N, 1))])
    if C <= 2:
        return scipy.sparse.csr_matrix(-np.where(y == 1, 1.0, -1.0)[:, None] * X1)
    rows, cols, vals, r0 = [], [], [], 0
    for k in range(C):
        o = np.flatnonzero(y != k)
        r = np.repeat(r0 + np.arange(len(o)), d1)
        rows += [r, r]
        cols += [(y[o][:, None] * d1 + np.arange(d1)).ravel(), np.tile(k * d1 + np.arange(d1), len(o))]
        vals += [-X1[o].ravel(), X1[o].ravel()]
        r0 += len(o)
    return scipy.sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(r0, C * d1))


def _solve(A, rows: int):
    """HiGHS on A z <= -1 with free z: the result (status 0: feasible, 2: infeasible).

    A large LP (the sparse ones: pairs of classes, rounds on a subsample) goes to the interior
    point method first, and to HiGHS's choice (dual simplex) only if that ends undecided: on a
    user's MNIST model, the 10-way LP of 4,143 points in 19-D (37,287 rows, 1.5M nonzeros) took
    the dual simplex 40 s to give up ("unknown"), and IPM 2.5 s to prove it infeasible."""
    b = -np.ones(rows)
    c = np.zeros(A.shape[1])
    if scipy.sparse.issparse(A):
        res = linprog(c, A_ub=A, b_ub=b, bounds=(None, None), method="highs-ipm")
        if res.status in (0, 2):
            return res
    return linprog(c, A_ub=A, b_ub=b, bounds=(None, None), method="highs")


def margins(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """How far each point is on its own side, from a linear head's scores: one column (N,) or
    (N, 1), the signed score of class 1; C columns, its own score minus the best other: (N,)."""
    if scores.ndim == 1 or scores.shape[1] == 1:
        return np.where(y == 1, 1.0, -1.0) * scores.reshape(-1)
    own = scores[np.arange(len(y)), y]
    other = np.where(np.arange(scores.shape[1]) == y[:, None], -np.inf, scores).max(1)
    return own - other


def _right(m: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Which points a head gets right, from their margins m (N,): by a margin rounding cannot fake."""
    return m > MARGIN_RTOL * (1.0 + float(np.abs(scores).max(initial=0.0)))


def stratified(y: np.ndarray, total: int) -> np.ndarray:
    """Indices of about `total` points, the same share of every class (all of a smaller class),
    evenly spaced through each class's points: deterministic, sorted."""
    C = _classes(y)
    per = max(1, total // C)
    out = []
    for c in range(C):
        idx = np.flatnonzero(y == c)
        out.append(idx if len(idx) <= per else idx[np.linspace(0, len(idx) - 1, per).round().astype(int)])
    return np.sort(np.concatenate(out))


def _certificate(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A fitted linear classifier's scores at X (N, d), (N,) or (N, C): logistic regression
    (weakly regularised, on the standardised X: an affine map, so still a linear head on X),
    fitted CERTIFICATE_STEP iterations at a time until it gets every point right, at most
    CERTIFICATE_ITER. (Crammer-Singer's LinearSVC would optimise the LP's own margin, but it
    runs for minutes on data it cannot separate, whatever its max_iter.)"""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    Z = StandardScaler().fit_transform(X)
    clf = LogisticRegression(C=1e4, max_iter=CERTIFICATE_STEP, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(CERTIFICATE_ITER // CERTIFICATE_STEP):
            scores = clf.fit(Z, y).decision_function(Z)
            if _right(margins(scores, y), scores).all():
                break
    return scores


def _pairs(scores: np.ndarray, y: np.ndarray, wrong: np.ndarray) -> list[tuple[int, int]]:
    """The pairs of classes a head confuses most at its wrong points, most often first."""
    if scores.ndim == 1 or scores.shape[1] <= 2:
        return []
    pred = scores[wrong].argmax(1)
    pairs = np.sort(np.stack([y[wrong], pred], 1), 1)
    found, counts = np.unique(pairs, axis=0, return_counts=True)
    return [tuple(int(c) for c in found[i]) for i in np.argsort(-counts, kind="stable")[:PAIR_PROOFS]]


def _pair_proof(X: np.ndarray, y: np.ndarray, pair: tuple[int, int]) -> int | None:
    """C-way separable needs every pair of classes separable (w_i - w_j cuts them): the points
    of `pair` (a stratified subsample within the LP budget), None when one hyperplane cuts them,
    else how many points prove that no C-way head exists."""
    idx = np.flatnonzero(np.isin(y, pair))
    budget = max(2, LP_NONZEROS // (X.shape[1] + 1))
    if len(idx) > budget:
        idx = idx[stratified((y[idx] == pair[1]).astype(np.int64), budget)]
    A = _sparse_constraints(X[idx], (y[idx] == pair[1]).astype(np.int64), 2)
    return len(idx) if _solve(A, A.shape[0]).status == 2 else None


def _by_rounds(X: np.ndarray, y: np.ndarray, C: int, scores: np.ndarray, wrong: np.ndarray) -> Separability:
    """After a certificate's `scores` got the points `wrong` (N,) bool wrong: the pairs of
    classes it confused, each alone (_pair_proof); then LPs on a stratified subsample of X
    (N, d), the wrong points first, grown by the points each solution gets wrong (the module
    docstring)."""
    for pair in _pairs(scores, y, wrong):
        proof = _pair_proof(X, y, pair)
        if proof is not None:
            return Separability(False, True, proof)
    per_point = (X.shape[1] + 1) * (2 * (C - 1) if C > 2 else 1)  # nonzeros of a point's rows
    budget = max(C, LP_NONZEROS // per_point)  # points an LP may hold
    hard = np.flatnonzero(wrong)[: budget // 2]
    S = np.union1d(stratified(y, budget - len(hard)), hard)
    X1 = np.hstack([X, np.ones((len(X), 1))])
    for _ in range(LP_ROUNDS):
        A = _sparse_constraints(X[S], y[S], C)
        res = _solve(A, A.shape[0])
        if res.status != 0:
            return Separability(False, res.status == 2, len(S))
        z = res.x.reshape(C, -1) if C > 2 else res.x
        scores = X1 @ z.T
        m = margins(scores, y)
        ok = _right(m, scores)
        if ok.all():
            return Separability(True, True, len(X))
        room = budget - len(S)
        if room <= 0:
            break
        worst = np.flatnonzero(~ok)
        S = np.union1d(S, worst[np.argsort(m[worst], kind="stable")][:room])
    return Separability(True, False, len(S))


def separability(X: np.ndarray, y: np.ndarray) -> Separability:
    """Is there a linear head that gets every point of X (N, d) right (see `separable`)? A small
    LP (at most LP_ENTRIES entries, at most MAX_DIM columns) is solved at once, on every point; a larger one by a
    certificate or LPs on a growing stratified subsample (the module docstring), which says
    whether its answer holds for every point (`exact`)."""
    C = _classes(y)
    rows = len(X) * (C - 1 if C > 2 else 1)
    if X.shape[1] <= MAX_DIM and rows * (C if C > 2 else 1) * (X.shape[1] + 1) <= LP_ENTRIES:
        A = _dense_constraints(X, y)
        return Separability(_solve(A, len(A)).status == 0, True, len(X))
    X = X[:, np.ptp(X, axis=0) > 0]  # a constant column is the bias's: dropping it changes nothing
    present, y = np.unique(y, return_inverse=True)  # an absent class constrains nothing
    C = len(present)
    if C < 2:
        return Separability(True, True, len(X))
    scores = _certificate(X, y) if X.shape[1] else np.zeros(len(X))
    ok = _right(margins(scores, y), scores)
    if ok.all():
        return Separability(True, True, len(X))
    return _by_rounds(X, y, C, scores, ~ok)


def separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Exactly, by an LP feasibility test: two classes, is there (w, c) with s_i (w . x_i + c) >= 1
    for all i? C classes, are there scores W x + b whose largest is every point's own class, by a
    margin (w_y - w_k) . x_i + b_y - b_k >= 1 for every other class k? (A large problem:
    `separability`, which also says whether the answer holds for every point.)"""
    return separability(X, y).separable


def apart(X: np.ndarray, y: np.ndarray, classes: int) -> tuple[bool, ...]:
    """Per class: does one hyperplane cut it from all the others? (one-vs-rest, exactly)"""
    return tuple(separable(X, (y == c).astype(np.int64)) for c in range(classes))


def linear_accuracy(X: np.ndarray, y: np.ndarray, known: bool | None = None, max_points: int | None = None,
                    max_iter: int = 20000) -> float:
    """Accuracy of the best linear classifier: 1.0 when separable (`known`: already decided),
    else LinearSVC's on the data, fitted on a stratified subsample of at most `max_points`
    (None: all) with at most `max_iter` iterations, scored on every point."""
    if known if known is not None else separable(X, y):
        return 1.0
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    keep = np.ptp(X, axis=0) > 0
    if not keep.any():
        return float(np.bincount(y).max() / len(y))
    fit = stratified(y, max_points) if max_points is not None and len(X) > max_points else slice(None)
    clf = make_pipeline(StandardScaler(), LinearSVC(C=100.0, max_iter=max_iter))
    with warnings.catch_warnings():
        if max_iter < 20000:  # bounded on purpose: the fit it reached is the answer
            warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[fit][:, keep], y[fit])
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
