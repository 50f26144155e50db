"""The essay's proposed layer: deform space along a learned vector field (issue 5, first part).

    F(x) = (sum_i v_i f_i(x)) / (1 + sum_i f_i(x)),   f_i(x) = exp(-|x - a_i|^2 / (2 s_i^2))

with anchors a_i taken from the training set, learned vectors v_i and widths s_i; the layer maps
x -> x + F(x), and its continuous transformation is x -> x + t F(x). Such a step is a
homeomorphism when F is a contraction (Lipschitz constant below 1: then x + F(x) = y has exactly
one solution for every y, by Banach's fixed-point theorem); `lipschitz_estimate` measures it.

Not yet wired into the CLI, the recording or the scenes: the module holds the maths and the torch
layer, tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Field:
    anchors: np.ndarray  # (K, d) points of the training set
    vectors: np.ndarray  # (K, d) the learned v_i
    widths: np.ndarray  # (K,) the Gaussians' standard deviations s_i


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


def folds(field: Field, points: np.ndarray) -> bool:
    """Does x -> x + F(x) fold space somewhere among `points`: det(I + J_F) <= 0 there?"""
    d = points.shape[1]
    return bool((np.linalg.det(np.eye(d) + jacobian(points, field)) <= 0).any())


class VectorFieldLayer(nn.Module):
    """x -> x + F(x) in torch: anchors fixed, vectors learned (from zero: the identity), widths
    learned (log-parameterised) or fixed."""

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

    def to_field(self) -> Field:
        return Field(self.anchors.detach().double().numpy(), self.vectors.detach().double().numpy(),
                     self.widths.detach().double().numpy())
