"""The plane around the data, in input coordinates: the grid of the input window, the heat map of
the network's classification with its decision boundary, and the arrows of a vector field.
The storyboard carries these points through the layers like the data.

An input of 4 or more dimensions has no window to fill: its grid is a *sheet*, the plane through
the data's mean spanned by its first two principal directions, as far as the data reaches along
them; the heat map is the network's classification of that sheet. It is a piece of input space,
and the network moves it as it moves everything.
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from ..nets.network import VectorField
from ..nets.reduce import principal
from .layout import Detail

SHEET_FROM = 4  # inputs of this many dimensions or more get a sheet instead of the window


@dataclass(frozen=True)
class Sheet:
    """The plane origin + u axes[0] + v axes[1], (u, v) in the box lo .. hi."""

    origin: np.ndarray  # (k,) the data's mean
    axes: np.ndarray  # (2, k) its first two principal directions, orthonormal
    lo: np.ndarray  # (2,) the data's least (u, v) along them
    hi: np.ndarray  # (2,) and the greatest

    def lift(self, uv: np.ndarray) -> np.ndarray:
        """Points (..., 2) of the sheet's box -> input coordinates (..., k)."""
        return self.origin + uv @ self.axes


def sheet(X: np.ndarray) -> Sheet:
    """The sheet of the data X (N, k): through its mean, along its first two principal directions
    (one when the data spans a line: the second is then any direction orthogonal to it), as far
    as the data reaches along each."""
    mean, V, _, _ = principal(X, 2)
    k = X.shape[1]
    for e in np.eye(k):  # a degenerate cloud borrows the axes
        if V.shape[1] == 2:
            break
        v = e - V @ (V.T @ e)
        if np.linalg.norm(v) > 1e-6:
            V = np.concatenate([V, (v / np.linalg.norm(v))[:, None]], 1)
    uv = (X - mean) @ V
    lo, hi = uv.min(0), uv.max(0)
    pad = np.maximum(hi - lo, 1e-9) * 1e-3  # an edge point lies on the sheet, not off it
    return Sheet(mean, V.T, lo - pad, hi + pad)


def sheet_grid(s: Sheet, detail: Detail) -> np.ndarray:
    """Anchors of the sheet's grid lines in input coordinates: (lines, samples, k). As many lines
    per direction as the window's grid has, spaced evenly over the data's reach."""
    n = detail.grid_samples
    us, vs = (np.linspace(s.lo[j], s.hi[j], detail.grid_lines) for j in range(2))
    su, sv = (np.linspace(s.lo[j], s.hi[j], n) for j in range(2))
    along_v = np.stack(np.broadcast_arrays(us[:, None], sv[None, :]), -1)  # (lines, samples, 2)
    along_u = np.stack(np.broadcast_arrays(su[None, :], vs[:, None]), -1)
    return s.lift(np.concatenate([along_v, along_u]))


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
    net_probability, extent: float, in_dim: int, detail: Detail, on: Sheet | None = None
) -> tuple[list[list[np.ndarray]], np.ndarray, list[np.ndarray]]:
    """The heat map as nested regions of the input window: rings (closed polylines) per level,
    and the decision boundary p = 1/2, both from one evaluation of the network on a grid.

    Level 0 is the whole window; level k >= 1 is the superlevel set {p >= t_k} of the network's
    probability p of class B (contourpy's filled contours: outer rings and holes), so drawing the
    levels in order, each on top of the last, paints p in K soft bands with few curves. On the line
    (1D data) the window is a thin strip around it. Returns rings[k] (lists of (n, 2) arrays,
    not repeating the first point), the levels' probabilities (K,), and the boundary as
    polylines (n, 2) (none on the line, where the heat map shows its few points).
    on: a sheet (a wide input): the rings and the boundary are then in its (u, v) coordinates.
    """
    import contourpy

    gx, gy, inputs, window = _window(extent, in_dim, detail.heat_res, on)
    p = net_probability(inputs).reshape(gx.shape)
    K = detail.heat_levels
    rings = [[window]]
    gen = contourpy.contour_generator(gx, gy, p, fill_type=contourpy.FillType.OuterOffset,
                                      line_type=contourpy.LineType.Separate)
    for k in range(1, K):
        rings.append(_rings(gen, (k - 0.5) / (K - 1), 2.0))
    boundary = [ln for ln in gen.lines(0.5) if len(ln) >= 2] if in_dim == 2 or on else []
    return rings, np.linspace(0.0, 1.0, K), boundary


BANDS = (0.0, 0.6, 0.85)  # the C-way heat map: a class's region, and where it is at least this sure


def class_map(net_probabilities, extent: float, in_dim: int, detail: Detail, on: Sheet | None = None
              ) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray, list[np.ndarray]]:
    """The heat map of a C-way head: every point of the window in the colour of its most probable
    class, paler where the network is unsure. Level 0 is the window (no class); then per class c,
    its region {argmax = c} and where, besides, p_c >= each of BANDS[1:]. Returns the rings per
    level, each level's class (-1: the window) and strength (0 to 1), and the decision boundary
    (where the most probable class changes) as polylines (n, 2). on: a sheet, as in heat_map."""
    import contourpy

    gx, gy, inputs, window = _window(extent, in_dim, detail.heat_res, on)
    P = net_probabilities(inputs).reshape(gx.shape + (-1,))  # (ny, nx, C)
    C = P.shape[-1]
    rings, classes, strength, boundary = [[window]], [-1], [0.0], []
    for c in range(C):
        margin = P[..., c] - np.delete(P, c, axis=-1).max(-1)  # > 0 where c is the most probable
        for k, t in enumerate(BANDS):
            f = margin if t == 0 else np.minimum(margin, P[..., c] - t)
            gen = contourpy.contour_generator(gx, gy, f, fill_type=contourpy.FillType.OuterOffset,
                                              line_type=contourpy.LineType.Separate)
            rings.append(_rings(gen, 0.0, 2.0))
            classes.append(c)
            strength.append((k + 1) / len(BANDS))
            if t == 0 and (in_dim == 2 or on) and c < C - 1:  # every boundary once or twice, never missed
                boundary += [ln for ln in gen.lines(0.0) if len(ln) >= 2]
    return rings, np.array(classes), np.array(strength), boundary


def _window(extent: float, in_dim: int, n: int, on: Sheet | None = None):
    """The heat map's sample grid (gx, gy (ny, nx)), its points as inputs (ny nx, in_dim), and the
    window's outline (a closed polyline). On the line (1D data) the window is a thin strip; on a
    sheet, its box (gx, gy and the outline in the sheet's (u, v); the inputs lifted)."""
    if on is not None:
        xs, ys = np.linspace(on.lo[0], on.hi[0], n), np.linspace(on.lo[1], on.hi[1], n)
    else:
        xs = np.linspace(-extent, extent, n)
        h = extent if in_dim == 2 else 0.04 * extent
        ys = np.linspace(-h, h, n if in_dim == 2 else 2)
    gx, gy = np.meshgrid(xs, ys)
    uv = np.stack([gx.ravel(), gy.ravel()], 1)
    inputs = on.lift(uv) if on is not None else uv[:, :in_dim]
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    window = np.concatenate(
        [np.stack([xs, np.full(len(xs), y0)], 1), np.stack([np.full(len(ys), x1), ys], 1)[1:],
         np.stack([xs[::-1], np.full(len(xs), y1)], 1)[1:], np.stack([np.full(len(ys), x0), ys[::-1]], 1)[1:-1]]
    )
    return gx, gy, inputs, window


def _rings(gen, lo: float, hi: float) -> list[np.ndarray]:
    """The closed rings (n, 2) of the filled contour lo <= f <= hi (outer rings and holes), not
    repeating the first point."""
    polys, offsets = gen.filled(lo, hi)
    level = []
    for pts, off in zip(polys, offsets):
        for a, b in zip(off[:-1], off[1:]):
            ring = pts[a:b]
            if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
                ring = ring[:-1]
            if len(ring) >= 3:
                level.append(ring)
    return level


def quiver(step: VectorField, pts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrows of a 2D step's field over the box around pts (P, 2), n per side: tails (A, 2),
    tips (A, 2) = tails + F(tails), true to scale (the flow slides each tail point straight to its
    tip), and where the step folds (A,) bool."""
    from ..nets.vectorfield import fold_mask, region

    tails = region(pts, n, margin=0.0)
    return tails, tails + step.field(tails), fold_mask(step, tails)
