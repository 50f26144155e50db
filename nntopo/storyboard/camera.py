"""From the picture's space to the screen: a turning camera for 3 dimensions, fitting the view to
what moves, and the separating line or plane in that view.

The view is fitted from per-frame bounding boxes alone (the projected grid's, and in 3D/4D its
radius), so it can be computed in one streaming pass without holding the frames.
"""

from __future__ import annotations

import itertools

import numpy as np

from .layout import CLIP, Layout

CAMERA_ELEVATION = 0.42  # radians the turning camera looks down
CAMERA_START = 0.6  # its azimuth at frame 0
CAMERA_TURN = 2 * np.pi / 40.0  # its azimuth speed: one turn in 40 s
VIEW_MARGIN = 1.05  # the view is this much larger than the grid's box
VIEW_SNUG = 1.02  # ... and never crops the grid by more than this


def camera(x: np.ndarray, azimuth: np.ndarray, elevation: float = CAMERA_ELEVATION) -> np.ndarray:
    """Orthographic view of 3D points x (T, P, 3): turn by azimuth (T,) about z, tilt, drop depth.

    Returns screen-plane coordinates (T, P, 2): the turned x, and the height z seen from above.
    """
    c, s = np.cos(azimuth)[:, None], np.sin(azimuth)[:, None]
    xr = c * x[..., 0] - s * x[..., 1]
    yr = s * x[..., 0] + c * x[..., 1]
    up = x[..., 2] * np.cos(elevation) + yr * np.sin(elevation)
    return np.stack([xr, up], -1)


def axes(frame: int, fps: int, elevation: float = CAMERA_ELEVATION) -> np.ndarray:
    """The turning camera's axes at `frame`, in the picture's coordinates: rows (3, 3) the screen's
    horizontal, the screen's vertical, and the depth it drops. A plane whose normal is the first
    is seen edge on; one whose normal is the depth, face on."""
    a = CAMERA_START + CAMERA_TURN * frame / fps
    c, s = np.cos(a), np.sin(a)
    across = np.array([c, -s, 0.0])
    up = np.array([s * np.sin(elevation), c * np.sin(elevation), np.cos(elevation)])
    return np.stack([across, up, np.cross(across, up)])


def project(x: np.ndarray, frames: np.ndarray, fps: int) -> np.ndarray:
    """Points of the picture (T, P, E) at frames (T,) of the video -> plane coordinates (T, P, 2).

    E = 2: as they are. E = 3: a camera turning slowly around the vertical axis. (A wider
    representation is first projected to E dimensions: projection.py.)
    """
    if x.shape[-1] <= 2:
        return x[..., :2]
    return camera(x, CAMERA_START + CAMERA_TURN * np.asarray(frames) / fps)


def fit_view(lo: np.ndarray, hi: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame centre (T, 2) and half-size (T,) that keep the grid, whose projected box is
    lo, hi (T, 2) in each frame, in the plot area; gliding rather than jumping."""
    return glide((lo + hi) / 2, (hi - lo).max(1) / 2 * VIEW_MARGIN, lo, hi, fps)


def fit_round_view(mid: np.ndarray, radius: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   fps: int) -> tuple[np.ndarray, np.ndarray]:
    """The view for 3D: centred on the projected centre `mid` (T, 2) of the grid's box,
    sized by its farthest point, `radius` (T,). The size does not change as the camera turns
    (a distance, not a projected box), so only the layers zoom the view, never the camera."""
    return glide(mid, radius * VIEW_SNUG, lo, hi, fps)


def glide(center: np.ndarray, half: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          fps: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth a per-frame view (centre (T, 2), half-size (T,)) over about half a second.

    The log of the size is smoothed, so zooming reads evenly and the size stays positive; where
    smoothing would crop the projected grid (its box lo, hi (T, 2)), the view grows to keep it.
    """
    sigma = max(1.0, 0.25 * fps)
    center = smooth(center, sigma)
    half = np.exp(smooth(np.log(np.maximum(half, 1e-3)), sigma))
    need = np.maximum(hi - center, center - lo).max(1) * VIEW_SNUG
    return center, np.maximum(half, need)


def smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """x (T, ...) smoothed along its first axis by a Gaussian of `sigma` samples, cut at 4 sigma,
    the ends repeated beyond the first and last sample: scipy.ndimage.gaussian_filter1d with
    mode="nearest" (to rounding), without importing scipy.ndimage (a tenth of a second)."""
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 / (sigma * sigma) * k**2)
    w = w / w.sum()
    padded = np.concatenate([np.repeat(x[:1], radius, 0), x, np.repeat(x[-1:], radius, 0)])
    out = np.zeros(x.shape)
    for j, wj in enumerate(w):
        out += wj * padded[j : j + len(x)]
    return out


def screen(x: np.ndarray, center: np.ndarray, half: np.ndarray, layout: Layout) -> np.ndarray:
    """Plane points (T, P, 2+) in views centre (T, 2), half (T,) -> screen points (T, P, 3)."""
    s = (x[..., :2] - center[:, None, :]) / half[:, None, None] * layout.plot_half + np.array(layout.plot_center)
    out = np.zeros(x.shape[:-1] + (3,), np.float32)
    out[..., :2] = np.clip(s, -CLIP, CLIP)
    return out


def clip_line(p: np.ndarray, d: np.ndarray, layout: Layout) -> np.ndarray | None:
    """The part of the line p + s d inside the plot square: (2, 2), or None if it misses."""
    c = np.array(layout.plot_center)
    lo, hi = c - layout.plot_half, c + layout.plot_half
    s0, s1 = -np.inf, np.inf
    for k in range(2):
        if abs(d[k]) < 1e-12:
            if not lo[k] <= p[k] <= hi[k]:
                return None
            continue
        a, b = (lo[k] - p[k]) / d[k], (hi[k] - p[k]) / d[k]
        s0, s1 = max(s0, min(a, b)), min(s1, max(a, b))
    if s0 >= s1:
        return None
    return np.stack([p + s0 * d, p + s1 * d])


def line_on_screen(w: np.ndarray, c: float, center: np.ndarray, half: float,
                   layout: Layout) -> np.ndarray | None:
    """The line w . h + c = 0 (w padded to 2D) in a frame's view, clipped: (2, 3) or None (also
    when w = 0: a classifier that ignores its input has no boundary)."""
    if not w @ w > 1e-24:
        return None
    p0 = -c * w / (w @ w)
    on_screen = (p0 - center) / half * layout.plot_half + np.array(layout.plot_center)
    seg = clip_line(on_screen, np.array([-w[1], w[0]]), layout)
    if seg is None:
        return None
    out = np.zeros((2, 3), np.float32)
    out[:, :2] = seg
    return out


def lines_on_screen(w: np.ndarray, c: np.ndarray, center: np.ndarray, half: np.ndarray,
                    layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """The lines w_f . h + c_f = 0 of n frames (w (n, 2), c (n,)) in each frame's view (centre
    (n, 2), half (n,)), clipped to the plot: ends (n, 2, 3), zero where a line misses it, and
    whether it meets it (n,) bool."""
    ends = np.zeros((len(c), 2, 3), np.float32)
    shown = np.zeros(len(c), bool)
    for f in range(len(c)):
        seg = line_on_screen(w[f], float(c[f]), center[f], half[f], layout)
        if seg is not None:
            ends[f], shown[f] = seg, True
    return ends, shown


def plane_patch(w: np.ndarray, c: float, pts: np.ndarray) -> np.ndarray | None:
    """Corners (4, 3) of the rectangle of the plane w . h + c = 0 under the points pts (N, 3): the
    bounding box of their shadow on it, 10% wider, so the plane stays where the data is. None
    when w = 0: there is no plane."""
    w = w[:3]
    if not w @ w > 1e-24:
        return None
    foot, u, v = _plane_frame(w, c, pts.mean(0))
    a, b = (pts - foot) @ u, (pts - foot) @ v  # the shadow's coordinates on the plane
    pad = 0.1 * max(np.ptp(a), np.ptp(b), 1e-9)
    (a0, a1), (b0, b1) = (a.min() - pad, a.max() + pad), (b.min() - pad, b.max() + pad)
    return np.stack([foot + x * u + y * v for x, y in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))])


def regions(W: np.ndarray, b: np.ndarray, pts: np.ndarray) -> list[np.ndarray]:
    """The boundaries between the decision regions of a C-way head, scores W y + b (W (C, E)),
    where the points pts (N, E) are: for every pair of classes i < j, the piece of the hyperplane
    where their scores tie and beat every other class's, inside the points' hull along the axes
    and diagonals, 5% wider (a box would reach far past a slanted cloud). In the plane (E = 2)
    each piece is a segment (2, 2); in 3D a convex polygon (V, 3). Pairs that never meet there
    give none.
    """
    E = pts.shape[1]
    centre = (pts.min(0) + pts.max(0)) / 2
    dirs = np.array([d for d in itertools.product((-1.0, 0.0, 1.0), repeat=E) if any(d)])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    reach = ((pts - centre) @ dirs.T).max(0)  # (K,) how far the points go each way
    reach += 0.05 * reach.max()
    walls = [(-d, r + d @ centre) for d, r in zip(dirs, reach)]  # d . (y - centre) <= r
    lo, hi = centre - reach.max(), centre + reach.max()
    out = []
    C = len(b)
    for i in range(C):
        for j in range(i + 1, C):
            n, c = W[i] - W[j], b[i] - b[j]
            if not n @ n > 1e-24:
                continue
            beats = [(W[i] - W[k], b[i] - b[k]) for k in range(C) if k not in (i, j)]
            piece = _hyperplane_in_box(n, c, lo, hi)
            for a, d in walls + beats:  # keep a . y + d >= 0
                if len(piece) < 2:
                    break
                piece = _clip(piece, a, d, closed=E == 3)
            if len(piece) >= (3 if E == 3 else 2):
                out.append(piece)
    return out


def _plane_frame(w: np.ndarray, c: float, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plane w . y + c = 0 in 3D (w != 0) seen from `centre`: the centre dropped onto it, and
    two orthonormal directions (3,) in it."""
    n = w / np.linalg.norm(w)
    foot = centre - (centre @ w + c) / (w @ w) * w
    u = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
    u /= np.linalg.norm(u)
    return foot, u, np.cross(n, u)


def _hyperplane_in_box(n: np.ndarray, c: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A piece of n . y + c = 0 that covers the box lo..hi: a segment (2, 2) or a square (4, 3)."""
    centre = (lo + hi) / 2
    size = float(np.linalg.norm(hi - lo))
    if len(n) == 2:
        foot = centre - (centre @ n + c) / (n @ n) * n
        t = np.array([-n[1], n[0]]) / np.linalg.norm(n)
        return np.stack([foot - size * t, foot + size * t])
    foot, a, v = _plane_frame(n, c, centre)
    return np.stack([foot + size * (x * a + y * v) for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def _clip(poly: np.ndarray, a: np.ndarray, d: float, closed: bool) -> np.ndarray:
    """The part of a polygon (closed) or segment of vertices (V, E) where a . y + d >= 0
    (Sutherland-Hodgman)."""
    s = poly @ a + d
    if (s >= 0).all():
        return poly
    out = []
    V = len(poly)
    for k in range(V if closed else V - 1):
        p, q, sp, sq = poly[k], poly[(k + 1) % V], s[k], s[(k + 1) % V]
        if sp >= 0:
            out.append(p)
        if (sp >= 0) != (sq >= 0):
            out.append(p + sp / (sp - sq) * (q - p))
    if not closed and s[-1] >= 0:
        out.append(poly[-1])
    return np.array(out).reshape(-1, poly.shape[1])
