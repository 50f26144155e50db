"""A wide input seen through the few directions that matter, exactly.

A network reads its input only through its first linear map W (the first dense layer's, or the
head's when there is no hidden layer): net(x) depends on x only through W x. So on any subspace S
that holds W's row space, with an orthonormal basis Q (n, k),

    net(x) = net_S(Q^T x)   for every x in R^n,   net_S's first map W Q,

because W = W Q Q^T. The picture needs a few more directions in S: the data's principal ones
(what the first frame shows, and the plane of the sheet, storyboard/plane.py). Their span with
W's row space has k <= view + rank W dimensions: a 784-pixel input to a 32-unit layer is carried
in 35, and nothing of size n x n is formed but the data's own covariance.

    red = reduce(net, X)            # X (N, n), n >= 4
    red.net(X @ red.basis) == net(X)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .network import Network

VIEW = 3  # principal directions that lead the basis: the picture's (3D) and the sheet's (first 2)
RANK_RTOL = 1e-12  # a direction whose residual is below this times the largest is already spanned


@dataclass(frozen=True)
class Reduction:
    basis: np.ndarray  # (n, k) orthonormal: the data's principal directions first, then the rest of W's rows
    net: Network  # reads z = x @ basis as the original reads x
    mean: np.ndarray  # (n,) the data's mean
    spread: np.ndarray  # (view,) the data's standard deviation along each principal direction
    variance: float  # the data's total variance in R^n (the share a view shows is of this)
    view: int  # how many principal directions lead the basis

    @property
    def dim(self) -> int:
        """k: the dimension the input is carried in."""
        return self.basis.shape[1]

    @property
    def width(self) -> int:
        """n: the input's own dimension."""
        return self.basis.shape[0]

    def shown(self, m: int) -> float:
        """The share of the data's variance its first m principal directions show."""
        if self.variance <= 0:
            return 1.0
        return float(min(1.0, (self.spread[:m] ** 2).sum() / self.variance))


def principal(X: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The data's mean (n,), its top m principal directions (n, m') with m' <= m (only those
    with variance), their standard deviations (m',), and its total variance."""
    mean = X.mean(0)
    Xc = X - mean
    N, n = Xc.shape
    if N < n:  # the Gram matrix is the smaller: its eigenvectors give the directions
        w, U = np.linalg.eigh(Xc @ Xc.T)
        order = np.argsort(w)[::-1][:m]
        keep = [j for j in order if w[j] > RANK_RTOL * max(w.max(), 1e-300)]
        V = Xc.T @ U[:, keep] / np.sqrt(w[keep])
    else:
        w, V = np.linalg.eigh(Xc.T @ Xc)
        order = np.argsort(w)[::-1][:m]
        keep = [j for j in order if w[j] > RANK_RTOL * max(w.max(), 1e-300)]
        V = V[:, keep]
    # A sign convention, so that the same data gives the same picture: each direction points
    # where the data's largest coordinate along it is (ties: the first coordinate's sign).
    for j in range(V.shape[1]):
        proj = Xc @ V[:, j]
        if abs(proj.max()) < abs(proj.min()):
            V[:, j] *= -1.0
    var = np.maximum(w[keep], 0.0) / max(N - 1, 1)
    return mean, V, np.sqrt(var), float((Xc * Xc).sum() / max(N - 1, 1))


def first_map(net: Network) -> np.ndarray | None:
    """The first linear map's rows (m, n), or None when the first layer is not a dense layer."""
    if not net.layers:
        return net.head_w
    first = net.layers[0]
    return first.W if first.kind == "dense" else None


def reduce(net: Network, X: np.ndarray, view: int = VIEW) -> Reduction | None:
    """The input of `net` on the data X (N, n) in the span of the data's `view` principal
    directions and the first map's rows (see the module docstring); None when the first layer
    is not dense (a vector-field step reads all of its input)."""
    W = first_map(net)
    if W is None:
        return None
    mean, P, spread, variance = principal(X, view)
    R = W.T - P @ (P.T @ W.T)  # the rows' parts outside the principal directions, (n, m)
    R = R - P @ (P.T @ R)  # twice is enough (Kahan): orthogonal to P to rounding
    if R.size:
        U, s, _ = np.linalg.svd(R, full_matrices=False)
        scale = max(float(np.linalg.norm(W)), 1e-300)
        U = U[:, s > RANK_RTOL * scale]
    else:
        U = np.zeros((X.shape[1], 0))
    Q = np.concatenate([P, U], 1)
    if net.layers:
        first = net.layers[0]
        reduced = Network((replace(first, W=first.W @ Q),) + net.layers[1:], net.head_w, net.head_b)
    else:
        reduced = Network((), net.head_w @ Q, net.head_b)
    return Reduction(Q, reduced, mean, spread, variance, P.shape[1])
