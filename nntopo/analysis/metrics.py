"""Numbers that back the essay's claims, computed from a recording with numpy."""

from __future__ import annotations

import numpy as np

from ..data.datasets import make_dataset
from ..nets.network import Network
from ..recording.meta import FieldStep

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


def jacobians(net: Network, X: np.ndarray) -> np.ndarray:
    """Jacobian of the map input -> last representation at points X (N, d): (N, d_L, d)."""
    J = np.broadcast_to(np.eye(X.shape[1]), (len(X), X.shape[1], X.shape[1]))
    h = X
    for layer in net.layers:
        J = layer.jacobian(h) @ J  # chain rule: (N, out, in) @ (N, in, d)
        h = layer(h)
    return J


def stretch(net: Network, X: np.ndarray) -> np.ndarray:
    """How much the network stretches space at each point: largest singular value of J, (N,)."""
    if not net.layers:
        return np.ones(len(X))
    return np.linalg.svd(jacobians(net, X), compute_uv=False)[:, 0]


def homeomorphism(net: Network, steps: tuple[FieldStep, ...]) -> bool:
    """Is every hidden layer a homeomorphism onto its image? A dense layer when W is injective
    (square and nonsingular, or widening with full column rank) and its activation invertible;
    a vector-field step when it was measured invertible (`steps`, from field_steps)."""
    from ..nets.isotopy import SINGULAR_RTOL

    invertible = {s.layer: s.invertible for s in steps}
    for i, layer in enumerate(net.layers):
        if layer.kind == "vector-field":
            if not invertible.get(i, False):
                return False
            continue
        sv = np.linalg.svd(layer.W, compute_uv=False)
        m, n = layer.W.shape
        if m < n or sv[-1] <= SINGULAR_RTOL * max(1.0, sv[0]) or not layer.act.invertible:
            return False
    return True


def field_steps(net: Network, X: np.ndarray, extent: float, n: int = 41) -> tuple[FieldStep, ...]:
    """Per vector-field step of `net`: its measured Lipschitz constant and whether it folds, on
    the region around the data X (N, d) and the input window [-extent, extent]^d carried to it."""
    from ..nets.vectorfield import invertibility

    d = X.shape[1]
    axes = [np.linspace(-extent, extent, n if d <= 2 else 9)] * d
    pts = np.concatenate([np.stack(np.meshgrid(*axes), -1).reshape(-1, d), X])
    out = []
    for i, layer in enumerate(net.layers):
        if layer.kind == "vector-field":
            inv = invertibility(layer, pts)
            out.append(FieldStep(i, float(inv.lipschitz), bool(inv.folds), bool(inv.homeomorphism)))
        pts = layer(pts)
    return tuple(out)
