"""The plane around the data, in input coordinates: the grid of the input window, the heat map of
the network's classification with its decision boundary, and the arrows of a vector field.
The storyboard carries these points through the layers like the data.
"""

from __future__ import annotations

import numpy as np

from ..network import VectorField
from .layout import Detail


def grid(extent: float, in_dim: int, detail: Detail) -> np.ndarray:
    """Anchors of the input window's grid lines: (lines, samples, in_dim)."""
    s = np.linspace(-extent, extent, detail.grid_samples)
    if in_dim == 1:
        return s[None, :, None]
    if in_dim == 3:  # a wireframe of the input cube: lines along each axis on a 3 x 3 lattice
        c = np.linspace(-extent, extent, 3)
        lines = []
        for axis in range(3):
            for a in c:
                for b in c:
                    pts = np.empty((len(s), 3))
                    others = [k for k in range(3) if k != axis]
                    pts[:, axis], pts[:, others[0]], pts[:, others[1]] = s, a, b
                    lines.append(pts)
        return np.stack(lines)
    c = np.linspace(-extent, extent, detail.grid_lines)
    vertical = np.stack(np.broadcast_arrays(c[:, None], s[None, :]), -1)
    horizontal = vertical[..., ::-1]
    return np.concatenate([vertical, horizontal])


def heat_map(
    net_probability, extent: float, in_dim: int, detail: Detail
) -> tuple[list[list[np.ndarray]], np.ndarray, list[np.ndarray]]:
    """The heat map as nested regions of the input window: rings (closed polylines) per level,
    and the decision boundary p = 1/2, both from one evaluation of the network on a grid.

    Level 0 is the whole window; level k >= 1 is the superlevel set {p >= t_k} of the network's
    probability p of class B (contourpy's filled contours: outer rings and holes), so drawing the
    levels in order, each on top of the last, paints p in K soft bands with few curves. On the line
    (1D data) the window is a thin strip around it. Returns rings[k] (lists of (n, 2) arrays,
    not repeating the first point), the levels' probabilities (K,), and the boundary as
    polylines (n, 2) (none on the line, where the heat map shows its few points).
    """
    import contourpy

    n = detail.heat_res
    xs = np.linspace(-extent, extent, n)
    h = extent if in_dim == 2 else 0.04 * extent  # on the line: a thin strip
    ys = np.linspace(-h, h, n if in_dim == 2 else 2)
    gx, gy = np.meshgrid(xs, ys)
    inputs = np.stack([gx.ravel(), gy.ravel()], 1)[:, :in_dim]
    p = net_probability(inputs).reshape(gx.shape)
    K = detail.heat_levels
    window = np.concatenate(
        [np.stack([xs, np.full(n, -h)], 1), np.stack([np.full(len(ys), extent), ys], 1)[1:],
         np.stack([xs[::-1], np.full(n, h)], 1)[1:], np.stack([np.full(len(ys), -extent), ys[::-1]], 1)[1:-1]]
    )
    rings = [[window]]
    gen = contourpy.contour_generator(gx, gy, p, fill_type=contourpy.FillType.OuterOffset,
                                      line_type=contourpy.LineType.Separate)
    for k in range(1, K):
        polys, offsets = gen.filled((k - 0.5) / (K - 1), 2.0)
        level = []
        for pts, off in zip(polys, offsets):
            for a, b in zip(off[:-1], off[1:]):
                ring = pts[a:b]
                if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
                    ring = ring[:-1]
                if len(ring) >= 3:
                    level.append(ring)
        rings.append(level)
    boundary = [ln for ln in gen.lines(0.5) if len(ln) >= 2] if in_dim == 2 else []
    return rings, np.linspace(0.0, 1.0, K), boundary


def quiver(step: VectorField, pts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrows of a 2D step's field over the box around pts (P, 2), n per side: tails (A, 2),
    tips (A, 2) = tails + F(tails), true to scale (the flow slides each tail point straight to its
    tip), and where the step folds (A,) bool."""
    from ..vectorfield import fold_mask, region

    tails = region(pts, n, margin=0.0)
    return tails, tails + step.field(tails), fold_mask(step, tails)
