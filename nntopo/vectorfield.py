"""The essay's proposed layer: deform space along a learned vector field (issue 5, first part).

    F(x) = (sum_i v_i f_i(x)) / (1 + sum_i f_i(x)),   f_i(x) = exp(-|x - a_i|^2 / (2 s_i^2))

with anchors a_i taken from the training set, learned vectors v_i and widths s_i; the layer maps
x -> x + F(x), and its continuous transformation is x -> x + t F(x). Such a step is a
homeomorphism when F is a contraction (Lipschitz constant below 1: then x + F(x) = y has exactly
one solution for every y, by Banach's fixed-point theorem); `lipschitz_estimate` measures it, and
`folds` finds where it is not even locally invertible (det(I + J_F) <= 0).

A network may stack such layers ("steps"), alone or mixed with dense ones (model.py): a `Field`
is then one layer of a recording's Network, and the video plays each step as x -> x + t F(x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Field:
    """One vector-field layer, as a recording holds it: x -> x + F(x) on R^d."""

    anchors: np.ndarray  # (K, d) points of the training set (in this layer's input space)
    vectors: np.ndarray  # (K, d) the learned v_i
    widths: np.ndarray  # (K,) the Gaussians' standard deviations s_i

    kind = "field"  # a class attribute: what the recording and the scenes dispatch on
    trained = ("vectors", "widths")  # what training changes (anchors stay where they were put)

    @property
    def in_dim(self) -> int:
        return self.anchors.shape[1]

    @property
    def out_dim(self) -> int:
        return self.anchors.shape[1]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x + F(x) for points x (N, d) -> (N, d)."""
        return x + evaluate(x, self)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """Jacobian of x -> x + F(x) at points x (N, d): (N, d, d)."""
        return np.eye(self.in_dim) + jacobian(x, self)


def _weights(x: np.ndarray, field: Field) -> tuple[np.ndarray, np.ndarray]:
    diff = x[:, None, :] - field.anchors[None]  # (N, K, d)
    f = np.exp(-(diff**2).sum(-1) / (2 * field.widths**2))  # (N, K)
    return f, diff


def evaluate(x: np.ndarray, field: Field) -> np.ndarray:
    """F at points x (N, d) -> (N, d)."""
    f, _ = _weights(x, field)
    return (f @ field.vectors) / (1.0 + f.sum(1, keepdims=True))


def jacobian(x: np.ndarray, field: Field) -> np.ndarray:
    """The Jacobian of F at points x (N, d) -> (N, d, d), by the quotient rule."""
    f, diff = _weights(x, field)
    grad_f = -f[..., None] * diff / field.widths[None, :, None] ** 2  # (N, K, d): grad f_i
    num = f @ field.vectors  # (N, d)
    den = 1.0 + f.sum(1)  # (N,)
    J_num = np.einsum("ki,nkj->nij", field.vectors, grad_f)  # sum_i v_i grad f_i^T
    grad_den = grad_f.sum(1)  # (N, d)
    return (J_num * den[:, None, None] - num[:, :, None] * grad_den[:, None, :]) / den[:, None, None] ** 2


def flow(x: np.ndarray, field: Field, t: np.ndarray) -> np.ndarray:
    """The continuous transformation x -> x + t F(x), at times t (T,): (T, N, d)."""
    return x[None] + np.asarray(t, dtype=np.float64)[:, None, None] * evaluate(x, field)[None]


def lipschitz_estimate(field: Field, points: np.ndarray) -> float:
    """The largest spectral norm of F's Jacobian over `points` (N, d): a measured Lipschitz bound.

    Below 1 on a region that contains the data and its surroundings, the step x -> x + F(x) is
    one-to-one there, with a continuous inverse.
    """
    return float(np.linalg.svd(jacobian(points, field), compute_uv=False)[:, 0].max())


def fold_mask(field: Field, points: np.ndarray) -> np.ndarray:
    """Where x -> x + F(x) folds space, among `points` (N, d): det(I + J_F) <= 0, (N,) bool."""
    d = points.shape[1]
    return np.linalg.det(np.eye(d) + jacobian(points, field)) <= 0


def folds(field: Field, points: np.ndarray) -> bool:
    """Does x -> x + F(x) fold space somewhere among `points`: det(I + J_F) <= 0 there?"""
    return bool(fold_mask(field, points).any())


@dataclass(frozen=True)
class Invertibility:
    lipschitz: float  # measured Lipschitz constant of F over the region
    folds: bool  # det(I + J_F) <= 0 somewhere in the region: the step is not invertible there

    @property
    def homeomorphism(self) -> bool:
        """Lipschitz below 1: a homeomorphism for certain (Banach's fixed-point theorem)."""
        return self.lipschitz < 1.0

    def describe(self) -> str:
        if self.homeomorphism:
            return f"Lipschitz {self.lipschitz:.2f} < 1: invertible"
        if self.folds:
            return f"Lipschitz {self.lipschitz:.2f}: folds space, NOT invertible"
        return f"Lipschitz {self.lipschitz:.2f} >= 1, but no fold found: locally invertible"


def region(points: np.ndarray, n: int = 41, margin: float = 0.1) -> np.ndarray:
    """A lattice (n^d, d) over the box around points (N, d), widened by `margin` of its size:
    where a step's invertibility is checked (the data and the space the video shows)."""
    lo, hi = points.min(0), points.max(0)
    pad = margin * (hi - lo).max()
    n = n if points.shape[1] <= 2 else 13  # 3D and 4D: 13^d points are plenty
    axes = [np.linspace(a - pad, b + pad, n) for a, b in zip(lo, hi)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, points.shape[1])


def invertibility(field: Field, points: np.ndarray) -> Invertibility:
    """Check a step on the region around `points` (N, d): a lattice over it, and the points."""
    where = np.concatenate([region(points), points])
    return Invertibility(lipschitz_estimate(field, where), folds(field, where))


class VectorFieldLayer(nn.Module):
    """x -> x + F(x) in torch: anchors fixed, vectors learned (from zero: the identity), widths
    learned (log-parameterised) or fixed.

    anchors (K, d): where the Gaussians sit; `set_anchors` moves them (training puts them on
    training points, carried through the layers before this one).
    """

    def __init__(self, anchors: torch.Tensor, width: float = 0.3, learn_widths: bool = True):
        super().__init__()
        self.register_buffer("anchors", anchors.clone().float())
        k = anchors.shape[0]
        self.vectors = nn.Parameter(torch.zeros_like(self.anchors))
        log_w = torch.full((k,), float(np.log(width)))
        self.log_widths = nn.Parameter(log_w) if learn_widths else None
        if not learn_widths:
            self.register_buffer("fixed_log_widths", log_w)

    @property
    def widths(self) -> torch.Tensor:
        return torch.exp(self.log_widths if self.log_widths is not None else self.fixed_log_widths)

    def field(self, x: torch.Tensor) -> torch.Tensor:
        d2 = ((x[:, None, :] - self.anchors[None]) ** 2).sum(-1)  # (N, K)
        f = torch.exp(-d2 / (2 * self.widths**2))
        return (f @ self.vectors) / (1.0 + f.sum(1, keepdim=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.field(x)

    def field_jacobian(self, x: torch.Tensor) -> torch.Tensor:
        """J_F at points x (N, d): (N, d, d), by the quotient rule (as `jacobian` in numpy)."""
        diff = x[:, None, :] - self.anchors[None]  # (N, K, d)
        w2 = self.widths**2
        f = torch.exp(-(diff**2).sum(-1) / (2 * w2))  # (N, K)
        grad_f = -f[..., None] * diff / w2[None, :, None]
        num = f @ self.vectors
        den = 1.0 + f.sum(1)
        J_num = torch.einsum("ki,nkj->nij", self.vectors, grad_f)
        return (J_num * den[:, None, None] - num[:, :, None] * grad_f.sum(1)[:, None, :]) / den[:, None, None] ** 2

    def lipschitz_penalty(self, x: torch.Tensor, target: float) -> torch.Tensor:
        """Mean over points x (N, d) of relu(||J_F||_F - target)^2: zero while F stays a
        contraction near the data (||J||_2 <= ||J||_F), so the step stays invertible there."""
        norm = torch.linalg.matrix_norm(self.field_jacobian(x))
        return (torch.relu(norm - target) ** 2).mean()

    def set_anchors(self, anchors: torch.Tensor) -> None:
        with torch.no_grad():
            self.anchors.copy_(anchors)

    def to_field(self) -> Field:
        return Field(self.anchors.detach().double().numpy(), self.vectors.detach().double().numpy(),
                     self.widths.detach().double().numpy())
