"""The storyboard's geometry before the camera: what a page with a camera of its own needs
(nntopo/explorer). Frames hold the screen as the video's turning camera sees it; a `World` holds
the points of the picture in its own E dimensions (E = 2 or 3), so that any camera can be put
on them, and the video's view (centre and half-size per frame) to frame them as the video does.

Every block but a neural ODE's flow moves the points by maps that are linear at each frame: the
picture of the points x (P, D) at a block's frame f is (x + t_f d) @ M_f, with d the straight
stages' displacement (0 otherwise) and M_f (D, E) the view's basis (the linear stage: its map
seen in the view). A block is held as x and d in a basis of the r directions its maps use
(r <= D, often far fewer), and the r x E maps per frame: exact, and small. A flow is sampled:
its positions per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Motion:
    """One block's points in the picture: positions (F, P, E) = (x + t[:, None, None] d) @ maps,
    or `sampled` itself (a neural ODE's flow)."""

    x: np.ndarray  # (P, r) the points at the block's start, in the block's r directions
    d: np.ndarray | None  # (P, r) a straight stage's displacement; None: no straight stage
    maps: np.ndarray  # (F, r, E) each frame's map into the picture
    t: np.ndarray  # (F,) each frame's time along the stage (0 where there is no d)
    sampled: np.ndarray | None = None  # (F, P, E) the positions themselves (then x, d, maps unused)

    def positions(self, k: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Positions (F', P, E) at the block's frames k."""
        if self.sampled is not None:
            return self.sampled[k]
        y = np.einsum("pr,fre->fpe", self.x, self.maps[k])
        if self.d is not None:
            y = y + self.t[k][:, None, None] * np.einsum("pr,fre->fpe", self.d, self.maps[k])
        return y


@dataclass(frozen=True)
class World:
    """Every frame's points in the picture's E dimensions, and how they are drawn.

    The P points are, in order: the grid's anchors (lines x samples), the data (N), the heat
    map's ring anchors (per level, per ring), the decision boundary's anchors (per piece).
    """

    E: int  # the picture's dimensions: 2, or 3 (seen by a turning camera)
    fps: int
    starts: tuple[int, ...]  # each block's first frame
    motions: tuple[Motion, ...]  # one per block
    grid: tuple[int, int]  # (lines, samples per line)
    n_data: int
    rings: tuple[tuple[int, ...], ...]  # per heat level, its rings' numbers of anchors
    bounds: tuple[int, ...]  # the boundary's pieces' numbers of anchors
    center: np.ndarray  # (T, 2) the video's view: its centre after the camera ...
    half: np.ndarray  # (T,) ... and half-size (camera.screen)
    fade: np.ndarray  # (T,) the separator's opacity
    line: np.ndarray | None  # 2D, two classes: (3,) w0, w1, c of the line w . y + c = 0; else None
    sheets: tuple[np.ndarray, ...]  # polygons (3D) or segments (2D) in the picture, (k, E) each
    arrows: "Arrows | None" = None

    @property
    def n_frames(self) -> int:
        return int(self.starts[-1] + len(self.motions[-1].t)) if self.motions else 0

    def positions(self, start: int, stop: int) -> np.ndarray:
        """Every point in frames start .. stop - 1: (stop - start, P, E)."""
        out = []
        ends = list(self.starts[1:]) + [self.n_frames]
        for s, e, m in zip(self.starts, ends, self.motions):
            a, b = max(start, s), min(stop, e)
            if a < b:
                out.append(m.positions(slice(a - s, b - s)))
        return np.concatenate(out)

    @property
    def data(self) -> slice:
        g = self.grid[0] * self.grid[1]
        return slice(g, g + self.n_data)


@dataclass(frozen=True)
class Arrows:
    """A vector-field step's arrows, in its representation's (2D) coordinates."""

    tails: dict[int, np.ndarray]  # layer -> (A, 2)
    tips: dict[int, np.ndarray]  # layer -> (A, 2)
    folds: dict[int, np.ndarray]  # layer -> (A,) bool
    layer: np.ndarray  # (T,) the layer shown, -1: none
    opacity: np.ndarray  # (T,)


def reduced(x: np.ndarray, d: np.ndarray | None, maps: np.ndarray, t: np.ndarray) -> Motion:
    """A Motion of points x (P, D) (displacement d) through maps (F, D, E), held in the r
    directions of R^D the maps see: U (D, r) spans the rows the maps read, so x @ M = (x U)(U^T M)
    to rounding, and x, d shrink from D to r columns."""
    F, D, E = maps.shape
    if D > E:
        flat = np.ascontiguousarray(maps.transpose(1, 0, 2)).reshape(D, F * E)
        U, s, _ = np.linalg.svd(flat, full_matrices=False)
        r = max(1, int((s > s[0] * 1e-9).sum())) if s[0] > 0 else 1
        U = U[:, :r]
        x, maps = x @ U, np.einsum("dr,fde->fre", U, maps)
        d = None if d is None else d @ U
    return Motion(np.ascontiguousarray(x, np.float64), None if d is None else np.ascontiguousarray(d),
                  np.ascontiguousarray(maps, np.float64), np.asarray(t, np.float64))
