"""Numbers that back the essay's claims, computed from a recording with numpy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..data.datasets import make_dataset
from ..nets.network import Network
from ..recording.meta import FieldStep, Flow

DENSE_PER_CLASS = 20_000  # points per class of the dense test sample
DENSE_SEED_OFFSET = 1_000_003  # the dense sample never shares a seed with the training data


def accuracy(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of points x (N, d) that the network puts in their class y (N,)."""
    return float(np.mean(net.predict(X) == y))


def dense_test_accuracy(net: Network, dataset: str, seed: int, n_per_class: int = DENSE_PER_CLASS) -> float:
    """Accuracy on a fresh, dense sample of the true sets (not the training points)."""
    X, y = make_dataset(dataset, n_per_class, seed + DENSE_SEED_OFFSET, net.classes)
    return accuracy(net, X, y)


def class_accuracy(net: Network, X: np.ndarray, y: np.ndarray) -> list[float]:
    """The accuracy on each class's points, class 0 first: (C,)."""
    pred = net.predict(X)
    return [float((pred[y == c] == c).mean()) if (y == c).any() else float("nan") for c in range(net.classes)]


CHUNK_BYTES = 16 * 2**20  # the Jacobians of one chunk of points take about this much memory
WIDE = 3  # an input wider than this is read through its first map's row space (exactly)
ROW_RTOL = 1e-12  # a singular value of the first map below this times its largest spans nothing
FIELD_AROUND = 300  # for a wide input: seeded points around the data where a field step is checked
FIELD_JITTER = 0.1  # their distance from a data point, in each coordinate's standard deviation
FIELD_SEED = 0  # their seed


def chunks(N: int, floats_per_point: int) -> list[slice]:
    """Slices of N points whose arrays of `floats_per_point` numbers per point stay under
    CHUNK_BYTES each (one chunk when they all fit)."""
    size = max(1, CHUNK_BYTES // (8 * max(1, floats_per_point)))
    return [slice(i, min(i + size, N)) for i in range(0, N, size)] or [slice(0, 0)]


def row_space(net: Network, X: np.ndarray) -> tuple[Network, np.ndarray, np.ndarray | None]:
    """`net` and X (N, n) read through the first dense map's row space, exactly: net(x) =
    net_Q(x Q) with Q (n, r) an orthonormal basis of W1's rows, so J_net(x) = J_netQ(x Q) Q^T
    and both have the same singular values. Only for an input wider than WIDE that W1 narrows
    (r < n); otherwise (net, X, None), untouched."""
    first = net.layers[0] if net.layers else None
    if X.shape[1] <= WIDE or first is None or first.kind != "dense" or first.out_dim >= first.in_dim:
        return net, X, None
    _, s, Vt = np.linalg.svd(first.W, full_matrices=False)  # (m, n): cheap for m << n
    Q = Vt[s > ROW_RTOL * max(float(s[0]), 1e-300)].T  # (n, r)
    reduced = Network((replace(first, W=first.W @ Q),) + net.layers[1:], net.head_w, net.head_b)
    return reduced, X @ Q, Q


def _jacobian_chunks(net: Network, X: np.ndarray):
    """The Jacobian of input -> last representation at points X (N, d), one chunk of points at
    a time: yields (slice, J (n_chunk, d_L, d)). Memory: a chunk's, never all N at once."""
    widest = max([X.shape[1]] + [layer.out_dim for layer in net.layers])
    for sl in chunks(len(X), 2 * widest * X.shape[1]):
        h = X[sl]
        J = np.broadcast_to(np.eye(X.shape[1]), (len(h), X.shape[1], X.shape[1]))
        for layer in net.layers:
            J = layer.jacobian(h) @ J  # chain rule: (n, out, in) @ (n, in, d)
            h = layer(h)
        yield sl, J


def jacobians(net: Network, X: np.ndarray) -> np.ndarray:
    """Jacobian of the map input -> last representation at points X (N, d): (N, d_L, d).

    The result itself is N d_L d numbers; the work is done a chunk of points at a time, and a
    wide input through the first map's row space (row_space), so nothing larger is formed."""
    if not net.layers:
        return np.broadcast_to(np.eye(X.shape[1]), (len(X), X.shape[1], X.shape[1]))
    red, Z, Q = row_space(net, X)
    out = np.empty((len(X), net.layers[-1].out_dim, X.shape[1]))
    for sl, J in _jacobian_chunks(red, Z):
        out[sl] = J if Q is None else J @ Q.T
    return out


def stretch(net: Network, X: np.ndarray) -> np.ndarray:
    """How much the network stretches space at each point X (N, d): the largest singular value
    of the Jacobian input -> last representation, (N,). A wide input is read through the first
    map's row space (J = J_Q Q^T: the same singular values) and the points in chunks, so 5,000
    points of 784 dimensions through 256-wide layers take a few tens of MB."""
    if not net.layers:
        return np.ones(len(X))
    red, Z, _ = row_space(net, X)
    out = np.empty(len(X))
    for sl, J in _jacobian_chunks(red, Z):
        out[sl] = np.linalg.svd(J, compute_uv=False)[:, 0]
    return out


def homeomorphism(net: Network, steps: tuple[FieldStep, ...]) -> bool:
    """Is every hidden layer a homeomorphism onto its image? A dense layer when W is injective
    (square and nonsingular, or widening with full column rank) and its activation invertible;
    a vector-field step when it was measured invertible (`steps`, from field_steps)."""
    from ..nets.isotopy import SINGULAR_RTOL

    invertible = {s.layer: s.invertible for s in steps}
    for i, layer in enumerate(net.layers):
        if layer.kind in STEPS:
            if not invertible.get(i, False):
                return False
            continue
        if layer.kind == "ode":  # a flow is a homeomorphism (its det is measured: metrics.flows)
            continue
        m, n = layer.W.shape
        if m < n or not layer.act.invertible:  # narrowing: no SVD needed (a 32 x 784 W stays cheap)
            return False
        sv = np.linalg.svd(layer.W, compute_uv=False)
        if sv[-1] <= SINGULAR_RTOL * max(1.0, sv[0]):
            return False
    return True


def field_window(X: np.ndarray, extent: float, n: int = 41) -> np.ndarray:
    """Where the field steps are checked, besides the data X (N, d): the input window
    [-extent, extent]^d as a lattice (n^2 points in 2D, 9^3 in 3D), or for d > WIDE, where no
    lattice fits, FIELD_AROUND seeded points around the data (jittered by FIELD_JITTER of each
    coordinate's spread): (P, d)."""
    d = X.shape[1]
    if d <= WIDE:
        axes = [np.linspace(-extent, extent, n if d <= 2 else 9)] * d
        return np.stack(np.meshgrid(*axes), -1).reshape(-1, d)
    rng = np.random.default_rng(FIELD_SEED)
    near = X[rng.integers(0, len(X), FIELD_AROUND)]
    return near + FIELD_JITTER * X.std(0) * rng.standard_normal(near.shape)


def _invertibility(layer, pts: np.ndarray):
    """vectorfield.invertibility on the lattice around `pts` (N, k) for k <= 4; wider, where no
    lattice fits, on the points themselves, a chunk at a time (J_F is (N, k, k))."""
    from ..nets import vectorfield

    k = pts.shape[1]
    if k <= 4:
        return vectorfield.invertibility(layer, pts)
    parts = [(vectorfield.lipschitz_estimate(layer, pts[sl]), bool(vectorfield.fold_mask(layer, pts[sl]).any()))
             for sl in chunks(len(pts), 3 * k * k)]
    return vectorfield.Invertibility(max(p[0] for p in parts), any(p[1] for p in parts))


STEPS = ("vector-field", "residual")  # the layers x + F(x) whose invertibility is measured


def field_steps(net: Network, X: np.ndarray, extent: float, n: int = 41) -> tuple[FieldStep, ...]:
    """Per vector-field step and residual block of `net`: its measured Lipschitz constant and
    whether it folds, on the region around the data X (N, d) and the window around it
    (field_window) carried to it. A network without such steps is not carried at all: ()."""
    if not any(layer.kind in STEPS for layer in net.layers):
        return ()
    pts = np.concatenate([field_window(X, extent, n), X])
    out = []
    for i, layer in enumerate(net.layers):
        if layer.kind in STEPS:
            inv = _invertibility(layer, pts)
            out.append(FieldStep(i, float(inv.lipschitz), bool(inv.folds), bool(inv.homeomorphism)))
        pts = layer(pts)
    return tuple(out)


def flows(net: Network, X: np.ndarray, extent: float, n: int = 21) -> tuple[Flow, ...]:
    """Per neural ODE of `net`: the smallest det and the largest singular value of its flow
    map's Jacobian over the data X (N, d) and the window around it (field_window, n per axis)
    carried to it, and the evaluations of f its solver makes on the data alone (as the model
    runs on them). A network without one: ()."""
    if not any(layer.kind == "ode" for layer in net.layers):
        return ()
    data, window = X, field_window(X, extent, n)
    out = []
    for i, layer in enumerate(net.layers):
        if layer.kind == "ode":
            det, top = np.inf, 0.0
            for pts in (data, window):
                y = layer.lift(pts)
                for sl in chunks(len(y), 4 * y.shape[1] ** 2 + 16):
                    J = layer.flow_jacobian(y[sl])
                    det = min(det, float(np.linalg.det(J).min()))
                    top = max(top, float(np.linalg.svd(J, compute_uv=False)[:, 0].max()))
            _, nfe = layer.flow(layer.lift(data), np.ones(1))
            out.append(Flow(i, det, top, int(nfe)))
        data, window = layer(data), layer(window)
    return tuple(out)
