"""Numbers that back the essay's claims, computed from a recording with numpy."""

from __future__ import annotations

import numpy as np

from .datasets import make_dataset
from .model import ACTIVATIONS
from .recording import Network

DENSE_PER_CLASS = 20_000  # points per class of the dense test sample
DENSE_SEED_OFFSET = 1_000_003  # the dense sample never shares a seed with the training data


def accuracy(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of points x (N, d) that the network puts in their class y (N,)."""
    return float(np.mean((net.logits(X) > 0) == (y == 1)))


def dense_test_accuracy(net: Network, dataset: str, seed: int, n_per_class: int = DENSE_PER_CLASS) -> float:
    """Accuracy on a fresh, dense sample of the true sets (not the training points)."""
    X, y = make_dataset(dataset, n_per_class, seed + DENSE_SEED_OFFSET)
    return accuracy(net, X, y)


def jacobians(net: Network, X: np.ndarray) -> np.ndarray:
    """Jacobian of the map input -> last representation at points X (N, d): (N, d_L, d)."""
    J = np.broadcast_to(np.eye(X.shape[1]), (len(X), X.shape[1], X.shape[1]))
    h = X
    for layer in net.layers:
        z = h @ layer.W.T + layer.b
        d = ACTIVATIONS[layer.activation].numpy_deriv(z)  # (N, out)
        J = d[:, :, None] * np.einsum("ij,njk->nik", layer.W, J)
        h = ACTIVATIONS[layer.activation].numpy_fn(z)
    return J


def stretch(net: Network, X: np.ndarray) -> np.ndarray:
    """How much the network stretches space at each point: largest singular value of J, (N,)."""
    if not net.layers:
        return np.ones(len(X))
    return np.linalg.svd(jacobians(net, X), compute_uv=False)[:, 0]
