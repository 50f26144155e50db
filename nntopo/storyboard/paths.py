"""Smooth and straight paths as cubic Bezier control points, vectorized over frames: the grid's
lines and the heat map's regions (Catmull-Rom through their anchors), round dots, arrows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def ease(u: np.ndarray) -> np.ndarray:
    """Smoothstep: starts and stops gently."""
    return u * u * (3.0 - 2.0 * u)


@dataclass(frozen=True)
class PathIndex:
    """Which anchors make each cubic piece of a set of smooth paths (Catmull-Rom).

    Piece j runs from anchor start[j] to end[j]; its tangents come from before[j] and after[j].
    """

    start: np.ndarray
    end: np.ndarray
    before: np.ndarray
    after: np.ndarray

    @staticmethod
    def build(lengths: list[int], closed: bool, smooth: bool = True) -> "PathIndex":
        """Pieces for paths of the given numbers of anchors, stacked in one array.

        smooth=False gives straight pieces (handles on the chord): no overshoot at corners.
        """
        parts = ([], [], [], [])
        offset = 0
        for n in lengths:
            i = np.arange(n)
            if closed:
                a, b = i, (i + 1) % n
                before, after = (i - 1) % n, (i + 2) % n
            else:
                a, b = i[:-1], i[1:]
                before, after = np.maximum(a - 1, 0), np.minimum(b + 1, n - 1)
            for part, idx in zip(parts, (a, b, before, after)):
                part.append(idx + offset)
            offset += n
        cat = [np.concatenate(p) if p else np.zeros(0, int) for p in parts]
        if not smooth:
            cat[2], cat[3] = cat[0], cat[1]
        return PathIndex(*cat)

    @staticmethod
    def concat(parts: list[tuple["PathIndex", int]]) -> "PathIndex":
        """Several indices as one, each part's anchors found from its offset on: one bezier call
        then makes every part's pieces (in order), the same as a call per part would."""
        if not parts:
            return PathIndex.build([], closed=False)
        return PathIndex(*(np.concatenate([getattr(p, f) + off for p, off in parts])
                           for f in ("start", "end", "before", "after")))

    @property
    def pieces(self) -> int:
        return len(self.start)

    def bezier(self, anchors: np.ndarray) -> np.ndarray:
        """Anchors (T, V, 3) -> Bezier control points (T, 4 * pieces, 3).

        Centripetal Catmull-Rom (Yuksel et al. 2011): where a layer stretches space unevenly the
        anchors are unevenly spaced, and the uniform kind then overshoots into loops and cusps;
        the centripetal kind never does. Straight pieces (before = start, after = end) stay straight.
        """
        a = anchors.astype(np.float64)
        p0, p1, p2, p3 = (a[:, i] for i in (self.before, self.start, self.end, self.after))
        d1, d2, d3 = (
            np.sqrt(np.linalg.norm(q - p, axis=-1, keepdims=True))  # |.|^(1/2): centripetal
            for p, q in ((p0, p1), (p1, p2), (p2, p3))
        )
        tiny = 1e-6  # distances below 1e-12: the neighbour coincides, use the chord instead
        e1, e2, e3 = (np.maximum(d, tiny) for d in (d1, d2, d3))
        h0 = (e1**2 * p2 - e2**2 * p0 + (2 * e1**2 + 3 * e1 * e2 + e2**2) * p1) / (3 * e1 * (e1 + e2))
        h1 = (e3**2 * p1 - e2**2 * p3 + (2 * e3**2 + 3 * e3 * e2 + e2**2) * p2) / (3 * e3 * (e3 + e2))
        chord = (p2 - p1) / 3.0
        h0 = np.where((d1 < tiny) | (d2 < tiny), p1 + chord, h0)
        h1 = np.where((d3 < tiny) | (d2 < tiny), p2 - chord, h1)
        curves = np.stack([p1, h0, h1, p2], 2).astype(np.float32)  # (T, pieces, 4, 3)
        return curves.reshape(len(anchors), -1, 3)


def arrow_paths(tails: np.ndarray, tips: np.ndarray, head: float = 0.13) -> np.ndarray:
    """Screen arrows (T, A, 2) -> straight Bezier pieces (T, 12 * A, 3): shaft, then two barbs.

    Barbs are at most `head` long and a third of the arrow, so short arrows stay arrows."""
    d = tips - tails
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    u = d / np.maximum(length, 1e-9)
    h = np.minimum(head, length / 3)
    c, s = np.cos(0.45), np.sin(0.45)
    back = -u
    barbs = [np.stack([c * back[..., 0] - sg * s * back[..., 1], sg * s * back[..., 0] + c * back[..., 1]], -1)
             for sg in (1.0, -1.0)]
    segs = [(tails, tips)] + [(tips, tips + h * b) for b in barbs]
    pieces = [np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], -2) for a, b in segs]  # (T, A, 4, 2)
    out = np.zeros(tails.shape[:2] + (3, 4, 3), np.float32)
    out[..., :2] = np.stack(pieces, 2)
    return out.reshape(len(tails), -1, 3)


# A dot as two cubic Bezier half circles, unit radius. The handle length 1.32 keeps the outline
# within 1.2% of a circle (a fraction of a pixel even at 4K) with half the pieces of the usual
# four-piece circle: dots are the most numerous paths of a frame.
_H = 1.32
_CIRCLE = np.array(
    [[1, 0], [1, _H], [-1, _H], [-1, 0],
     [-1, 0], [-1, -_H], [1, -_H], [1, 0]],
    np.float32,
)


def dot_paths(centres: np.ndarray, radius: float) -> np.ndarray:
    """Round dots of `radius` at centres (n, 3) -> Bezier control points (n * 8, 3).

    Dots are moved, never transformed, so they stay round whatever the layer does to space.
    """
    out = np.empty((len(centres), len(_CIRCLE), 3), np.float32)
    out[..., :2] = centres[:, None, :2] + radius * _CIRCLE
    out[..., 2] = 0.0
    return out.reshape(-1, 3)
