"""Is a vector-field step x -> x + F(x) invertible? Measured on the region the video shows.

Such a step is a homeomorphism when F is a contraction (Lipschitz constant below 1: then
x + F(x) = y has exactly one solution for every y, by Banach's fixed-point theorem);
`lipschitz_estimate` measures it, and `fold_mask` finds where it is not even locally invertible
(det(I + J_F) <= 0). The layer itself, F and its Jacobian, is `network.VectorField`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import VectorField


def lipschitz_estimate(step: VectorField, points: np.ndarray) -> float:
    """The largest spectral norm of J_F over `points` (N, d): a measured Lipschitz bound.

    Below 1 on a region that contains the data and its surroundings, the step x -> x + F(x) is
    one-to-one there, with a continuous inverse.
    """
    return float(np.linalg.svd(step.field_jacobian(points), compute_uv=False)[:, 0].max())


def fold_mask(step: VectorField, points: np.ndarray) -> np.ndarray:
    """Where x -> x + F(x) folds space, among `points` (N, d): det(I + J_F) <= 0, (N,) bool."""
    return np.linalg.det(step.jacobian(points)) <= 0


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


def invertibility(step: VectorField, points: np.ndarray) -> Invertibility:
    """Check a step on the region around `points` (N, d): a lattice over it, and the points."""
    where = np.concatenate([region(points), points])
    return Invertibility(lipschitz_estimate(step, where), bool(fold_mask(step, where).any()))
