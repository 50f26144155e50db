"""Every frame's geometry, computed with vectorized numpy from a recording; the scene only draws.

A `Timeline` holds, for T frames, screen coordinates (manim units, frame 14.2 x 8) of
- the grid of the input window, as smooth cubic Bezier paths,
- the heat map: nested regions of the input window, one per colour band, bounded by smooth paths,
- the data points of each class (the centres: the scene draws a round dot at each),
- the final classifier's separating line,
plus per-frame caption indices and the line's opacity. The layer stages come from isotopy.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d

from . import isotopy
from .recording import Recording

# --- layout (manim units; the 16:9 frame is 14.22 x 8) ---------------------------------------
@dataclass(frozen=True)
class Layout:
    """Where things go in a frame of a given aspect ratio (manim units; the height is always 8)."""

    aspect: float  # width / height
    plot_center: tuple[float, float]  # centre of the square plot area
    plot_half: float  # half the side of the plot area
    panel: str  # "side": the text beside the plot; "bottom": below it (square frames)
    text_scale: float  # the panel's text size relative to 16:9

    @property
    def frame_width(self) -> float:
        return 8.0 * self.aspect

    @property
    def panel_left(self) -> float:
        """Left edge of the side panel, or of the bottom strip."""
        if self.panel == "side":
            return self.plot_center[0] + self.plot_half + 0.5
        return -self.frame_width / 2 + 0.5


LAYOUTS: dict[str, Layout] = {
    "16:9": Layout(16 / 9, (-2.45, -0.35), 3.3, "side", 1.0),
    "4:3": Layout(4 / 3, (-2.1, -0.35), 2.95, "side", 0.7),
    "1:1": Layout(1.0, (0.0, 0.5), 2.75, "bottom", 0.8),
}
CLIP = 40.0  # screen coordinates are clipped here: far outside the frame, finite for cairo


MAX_DIM = 4  # representations up to 4D are shown (3D turning, 4D projected)

# Kinds of block: the scene redraws only what a block changes.
HOLD, MOVE, FADE, REWIND = 0, 1, 2, 3  # still; moving; the line fading in; back to the start


@dataclass(frozen=True)
class Timing:
    fps: int
    intro: float = 1.5  # seconds on the input before the first layer
    stage: float = 1.2  # seconds per stage (linear, translate, activate)
    pause: float = 0.25  # seconds held after each stage
    outro: float = 2.5  # seconds on the final representation with the separating line
    line_fade: float = 0.6  # seconds for the separating line to appear

    def frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fps)))


@dataclass(frozen=True)
class Detail:
    grid_lines: int = 21  # lines per direction across the input window
    grid_samples: int = 19  # anchors per grid line (smooth cubic pieces between them)
    heat_res: int = 41  # samples per direction of the network's output for the heat map
    heat_levels: int = 10  # colour bands of the heat map, from A's colour to B's (0: none)


@dataclass(frozen=True)
class Timeline:
    fps: int
    n_frames: int  # T
    grid: np.ndarray  # (T, G, 3) Bezier control points of all grid lines (4 per piece, z = 0)
    heat: tuple[np.ndarray, ...]  # per colour level (T, n_k, 3): its region, drawn in order
    heat_levels: np.ndarray  # (K,) probability of class B each level stands for
    points: tuple[np.ndarray, np.ndarray]  # class A, class B centres, each (T, n, 3)
    captions: tuple[str, ...]  # distinct captions
    blocks: np.ndarray  # (B, 3) ints: first frame, number of frames, kind (HOLD, MOVE or FADE)
    caption_index: np.ndarray  # (B,) index into captions, per block
    line: np.ndarray  # (T, 2, 3) end points of the separating line, clipped to the plot area
    line_opacity: np.ndarray  # (T,) 0 until the outro, then fading in to 1
    info: tuple[str, ...]  # lines of the side panel: dataset, architecture, seed
    result: tuple[str, ...]  # the closing lines: the numbers the run got
    boundary: np.ndarray  # (T, n, 3) the decision boundary p = 1/2, carried along with the plane
    wrong: tuple[np.ndarray, np.ndarray]  # per class (n_c,) bool: misclassified, ringed at the end
    counter: tuple[str, ...] = ()  # or (T,): a line that changes every frame (training step)
    notes: tuple[tuple[str, ...], ...] = ()  # or per block: lines of numbers (the --overlay)
    layout: Layout = LAYOUTS["16:9"]  # where the plot and the text go
    plane: np.ndarray | None = None  # 3D: (T, 16, 3) the separating plane's patch, as a closed
    # path of 4 straight pieces, shown with line_opacity
    # Vector-field steps (2D): the arrows of F, as straight Bezier pieces (T, 12 * A, 3): per arrow a
    # shaft and two barbs; which arrows sit where the step folds space (T, A); their opacity (T,).
    arrows: np.ndarray | None = None
    arrow_folds: np.ndarray | None = None
    arrow_opacity: np.ndarray | None = None
    classes: tuple[str, ...] = ("class A", "class B")  # the legend, one per entry of `points`
    title: str = ""  # a title card shown first (for figures in several parts)
    title_frames: int = 0  # how many frames the title card is held

    @property
    def total_frames(self) -> int:
        return self.title_frames + self.n_frames

    def titled(self, title: str, seconds: float = 1.6) -> "Timeline":
        return replace(self, title=title, title_frames=max(1, int(round(seconds * self.fps))))


def ease(u: np.ndarray) -> np.ndarray:
    """Smoothstep: starts and stops gently."""
    return u * u * (3.0 - 2.0 * u)


def _grid(extent: float, in_dim: int, detail: Detail) -> np.ndarray:
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


# --- seeing 3 and 4 dimensions ----------------------------------------------------------------
CAMERA_ELEVATION = 0.42  # radians the turning camera looks down
CAMERA_TURN = 2 * np.pi / 40.0  # its azimuth speed: one turn in 40 s
W_TURN = 2 * np.pi / 24.0  # 4D: speed of the rotation in the x-w plane


def rotate_xw(x: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate 4D points x (T, P, 4) in the plane of the 1st and 4th axes by angle (T,)."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    out = x.copy()
    out[..., 0] = c * x[..., 0] - s * x[..., 3]
    out[..., 3] = s * x[..., 0] + c * x[..., 3]
    return out


def camera(x: np.ndarray, azimuth: np.ndarray, elevation: float = CAMERA_ELEVATION) -> np.ndarray:
    """Orthographic view of 3D points x (T, P, 3): turn by azimuth (T,) about z, tilt, drop depth.

    Returns screen-plane coordinates (T, P, 2): the turned x, and the height z seen from above.
    """
    c, s = np.cos(azimuth)[:, None], np.sin(azimuth)[:, None]
    xr = c * x[..., 0] - s * x[..., 1]
    yr = s * x[..., 0] + c * x[..., 1]
    up = x[..., 2] * np.cos(elevation) + yr * np.sin(elevation)
    return np.stack([xr, up], -1)


def project(x: np.ndarray, fps: int) -> np.ndarray:
    """Padded points (T, P, D) -> plane coordinates (T, P, 2) for the screen.

    D = 2: as they are. D = 3: a camera turning slowly around the vertical axis. D = 4: first a
    rotation in the x-w plane (so the 4th axis turns into view), then w is dropped, then the camera.
    """
    T, D = x.shape[0], x.shape[-1]
    if D <= 2:
        return x[..., :2]
    seconds = np.arange(T) / fps
    if D == 4:
        x = rotate_xw(x, W_TURN * seconds)[..., :3]
    return camera(x, 0.6 + CAMERA_TURN * seconds)


def projection_note(D: int) -> str:
    if D == 3:
        return "3D: a turning camera (orthographic)"
    if D == 4:
        return "4D: turned in the x-w plane, w dropped"
    return ""


def _heat_map(
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


def _flow(plan: isotopy.Plan, x: np.ndarray, schedule: list) -> np.ndarray:
    """Move padded points x (P, D) along the schedule: (T, P, D)."""
    out = []
    for kind, layer, name, t in schedule:
        if kind in ("hold", "fade", "field"):
            out.append(np.broadcast_to(x, (len(t),) + x.shape))
        else:
            path = isotopy.stage(plan.layers[layer], name, x, t)
            out.append(path)
            x = path[-1] if t[-1] == 1.0 else isotopy.stage_end(plan.layers[layer], name, x)
    return np.concatenate(out)


QUIVER = 15  # arrows per side of the vector field's lattice


def _field_inputs(plan: isotopy.Plan, X: np.ndarray, extent: float, in_dim: int, detail: Detail) -> dict:
    """Per vector-field layer, the points it acts on: the data and the input grid, carried
    through the layers before it, (P, k)."""
    if not any(lp.field is not None for lp in plan.layers):
        return {}
    pts = np.concatenate([_grid(extent, in_dim, detail).reshape(-1, in_dim), X])
    reps = plan.net.representations(pts)
    return {lp.index: reps[lp.index] for lp in plan.layers if lp.field is not None}


def _field_notes(rec: Recording, extent: float) -> dict[int, str]:
    """Per vector-field layer: is its step invertible? The measurement the recording's metrics
    and the figures' checks use (metrics.field_steps)."""
    from .metrics import field_steps
    from .vectorfield import Invertibility

    return {
        s["layer"]: Invertibility(s["lipschitz"], s["folds"]).describe()
        for s in field_steps(rec.net, rec.X, extent)
    }


def quiver(field, pts: np.ndarray, n: int = QUIVER) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrows of a 2D field over the box around pts (P, 2): tails (A, 2), tips (A, 2) = tails
    + F(tails), true to scale (the flow slides each tail point straight to its tip), and where
    the step folds (A,) bool."""
    from .vectorfield import evaluate, fold_mask, region

    tails = region(pts, n, margin=0.0)
    return tails, tails + evaluate(tails, field), fold_mask(field, tails)


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


def _arrows(plan: isotopy.Plan, schedule: list, inputs: dict, T: int):
    """Per frame, the arrows of the vector-field layer being shown (if any), in representation
    coordinates: tails and tips (T, A, 2), folds (T, A) and opacity (T,); or None when no 2D
    field step is shown. The arrows appear over the "field" block, stay through the flow, and
    fade out in the pause after it."""
    quivers = {l: quiver(plan.layers[l].field, p[:, :2]) for l, p in inputs.items() if p.shape[1] == 2}
    if not quivers:
        return None
    A = len(next(iter(quivers.values()))[0])
    tails = np.zeros((T, A, 2))
    tips = np.zeros((T, A, 2))
    folds = np.zeros((T, A), bool)
    opacity = np.zeros(T)
    f = 0
    prev = None
    for kind, layer, name, t in schedule:
        n = len(t)
        active = layer if layer in quivers and (kind == "field" or (kind == "stage" and name == "flow")) else None
        shown = active if active is not None else prev if kind == "hold" else None
        if shown is not None:
            tails[f : f + n], tips[f : f + n], folds[f : f + n] = quivers[shown]
            ramp = ease(np.linspace(0, 1, n + 1)[1:])
            opacity[f : f + n] = ramp if kind == "field" else 1.0 if active is not None else 1.0 - ramp
        prev = active if kind == "stage" else None
        f += n
    return tails, tips, folds, opacity


def _schedule(
    plan: isotopy.Plan, timing: Timing, separated: bool, field_notes: dict[int, str] | None = None
) -> tuple[list, list[str]]:
    """The frames, in order: (kind, layer, stage, times) with a caption for each block.

    A vector-field step gets a block of its own first ("field"): the arrows of F appear over the
    still representation, then the points flow along them. field_notes: per field layer, whether
    the step is invertible (vectorfield.Invertibility.describe).
    """
    field_notes = field_notes or {}
    act = {"tanh": "tanh", "sigmoid": "sigmoid", "softplus": "softplus", "relu": "ReLU",
           "leaky-relu": "leaky ReLU"}
    n = len(plan.layers)
    schedule, captions = [], []

    def hold(seconds: float, caption: str) -> None:
        schedule.append(("hold", -1, "", np.ones(timing.frames(seconds))))
        captions.append(caption)

    hold(timing.intro, "Input: the data and the network's classification of the plane")
    F = timing.frames(timing.stage)
    u = ease(np.linspace(0.0, 1.0, F + 1)[1:])  # frame 0 of a stage is the previous frame
    for lp in plan.layers:
        head = f"Layer {lp.index + 1}/{n}"
        if lp.field is not None:
            schedule.append(("field", lp.index, "", np.ones(timing.frames(timing.stage))))
            captions.append(f"{head}: a learned vector field F; each arrow ends where x + F(x) goes")
            flow = f"{head}: flow along F, x → x + t·F(x)"
            if lp.index in field_notes:
                flow += f" ({field_notes[lp.index]})"
            schedule.append(("stage", lp.index, "flow", u))
            captions.append(flow)
            hold(timing.pause, flow)
            continue
        linear = f"{head}: linear map W"
        if lp.note:
            linear += f" ({lp.note})"
        activation = f"{head}: {act.get(lp.activation, lp.activation)}, pointwise"
        if lp.activation == "relu":
            activation += " (not invertible: folds the plane)"
        for name, caption in (
            ("linear", linear),
            ("translate", f"{head}: translation by b"),
            ("activate", activation),
        ):
            schedule.append(("stage", lp.index, name, u))
            captions.append(caption)
            hold(timing.pause, caption)
    # The outro: the separating line fades in, then the picture holds.
    n_out = timing.frames(timing.outro)
    n_fade = min(timing.frames(timing.line_fade), n_out - 1)
    where = "The last representation" if plan.layers else "No hidden layer: the boundary is a line"
    line = {2: "a line", 3: "a plane", 4: "a hyperplane"}[max(2, plan.dim)]
    outro = (
        f"{where}: {line} separates the classes"
        if separated
        else f"{where}, and it does not separate the classes"
        if not plan.layers
        else f"{where}: no {line.split()[1]} separates the classes"
    )
    schedule.append(("fade", -1, "", np.ones(n_fade)))
    captions.append(outro)
    schedule.append(("hold", -1, "", np.ones(n_out - n_fade)))
    captions.append(outro)
    return schedule, captions


def _view(grid: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame centre (T, 2) and half-size (T,) that keep the whole grid in the plot area.

    Smoothed over about half a second so the camera glides rather than jumps.
    """
    lo, hi = grid.min(1), grid.max(1)  # (T, 2)
    return _glide((lo + hi) / 2, (hi - lo).max(1) / 2 * 1.05, grid, fps)


def _glide(center: np.ndarray, half: np.ndarray, flat: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth a per-frame view (centre (T, 2), half-size (T,)) over about half a second.

    The log of the size is smoothed, so zooming reads evenly and the size stays positive; where
    smoothing would crop the projected grid `flat` (T, P, 2), the view grows to keep it whole.
    """
    sigma = max(1.0, 0.25 * fps)
    center = gaussian_filter1d(center, sigma, axis=0, mode="nearest")
    half = np.exp(gaussian_filter1d(np.log(np.maximum(half, 1e-3)), sigma, mode="nearest"))
    need = np.abs(flat - center[:, None, :]).max((1, 2)) * 1.02
    return center, np.maximum(half, need)


def _screen(x: np.ndarray, center: np.ndarray, half: np.ndarray, layout: Layout) -> np.ndarray:
    """Padded points (T, P, D) -> screen points (T, P, 3), first two coordinates shown."""
    s = (x[..., :2] - center[:, None, :]) / half[:, None, None] * layout.plot_half + np.array(layout.plot_center)
    out = np.zeros(x.shape[:-1] + (3,), np.float32)
    out[..., :2] = np.clip(s, -CLIP, CLIP)
    return out


def _clip_line(p: np.ndarray, d: np.ndarray, layout: Layout) -> np.ndarray | None:
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


def _round_view(x: np.ndarray, flat: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """The view for 3D and 4D: centred on the grid's box, sized by its farthest point.

    The size does not change as the camera turns (a distance, not a projected box), so only the
    layers zoom the view, never the camera.
    """
    lo, hi = x.min(1), x.max(1)  # (T, D)
    mid = (lo + hi) / 2
    radius = np.linalg.norm(x - mid[:, None, :], axis=-1).max(1) * 1.02  # (T,)
    center = project(mid[:, None, :], fps)[:, 0]  # the same linear projection as the points
    return _glide(center, radius, flat, fps)


def _plane_patch(w: np.ndarray, c: float, pts: np.ndarray) -> np.ndarray:
    """Corners (4, 3) of a square of the plane w . h + c = 0 around the points pts (N, 3)."""
    w = w[:3]
    n = w / max(np.linalg.norm(w), 1e-12)
    centre = pts.mean(0)
    foot = centre - (centre @ w + c) / max(w @ w, 1e-12) * w  # the centre, dropped onto the plane
    u = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    r = np.abs(pts - centre).max() * 1.1
    return np.stack([foot + r * (a * u + b * v) for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def _line_on_screen(
    w: np.ndarray, c: float, center: np.ndarray, half: np.ndarray, layout: Layout
) -> np.ndarray | None:
    """The line w . h + c = 0 (w padded to 2D) in a frame's view, clipped: (2, 3) or None."""
    p0 = -c * w / max(w @ w, 1e-12)
    on_screen = (p0 - center) / half * layout.plot_half + np.array(layout.plot_center)
    seg = _clip_line(on_screen, np.array([-w[1], w[0]]), layout)
    if seg is None:
        return None
    out = np.zeros((2, 3), np.float32)
    out[:, :2] = seg
    return out


def _info(rec: Recording) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Side-panel lines describing the run, and the result lines shown at the end."""
    meta, m = rec.meta, rec.meta["metrics"]
    dims = [rec.X.shape[1]] + [layer.out_dim for layer in rec.net.layers] + [1]
    middle = []  # a run of equal layers, as "2 ×8": long networks stay one short line
    for name, group in itertools.groupby(rec.net.labels()):
        k = len(list(group))
        middle += [name] * k if k < 3 else [f"{name} ×{k}"]
    shown = [str(rec.X.shape[1])] + middle + ["1"]
    what = [meta["net"]["activation"]] if any(layer.kind == "dense" for layer in rec.net.layers) else []
    if rec.net.anchors is not None:
        what.append(f"F: vector field, {rec.net.anchors} anchors")
    if "parameters" in m and rec.net.layers:
        what.append(f"{m['parameters']} parameters")
    info = [
        f"data: {meta['dataset']['name']} ({len(rec.X)} points)",
        f"network: {' → '.join(shown)}" + ("" if rec.net.layers else ", linear classifier"),
    ] + ([", ".join(what)] if rec.net.layers else []) + [
        f"seed {meta['seed']}, {int(rec.snapshots.steps[-1])} steps"
        + (f", contractive {meta['train']['contractive']:g}" if meta["train"].get("contractive") else ""),
    ]
    dmax = max(dims[:-1] + [2])
    if dmax >= 3:
        info.append(projection_note(dmax))
    if rec.X.shape[1] == 1 and rec.net.layers and rec.net.layers[0].kind == "dense":
        # where each first-layer unit switches on
        W, b = rec.net.layers[0].W[:, 0], rec.net.layers[0].b
        cuts = ", ".join(f"{-bi / wi:+.2f}" for wi, bi in zip(W, b) if abs(wi) > 1e-9)
        info.append(f"unit thresholds: x = {cuts}")
    result = [f"training accuracy {100 * m['train_accuracy']:.1f}%"]
    if "test_accuracy" in m:
        result.append(f"test accuracy {100 * m['test_accuracy']:.2f}% ({m['test_points']:,} fresh points)")
    if "max_stretch" in m and rec.net.layers:
        result.append(f"max stretch |J| = {m['max_stretch']:.3g} (99th pct {m['p99_stretch']:.3g})")
    return tuple(info), tuple(result)


def _wrong(rec: Recording, net) -> tuple[np.ndarray, np.ndarray]:
    """Which points of each class the network gets wrong: boolean masks (n_A,), (n_B,)."""
    wrong = (net.logits(rec.X) > 0) != (rec.y == 1)
    return wrong[rec.y == 0], wrong[rec.y == 1]


def _overlay_notes(rep, schedule: list) -> tuple[tuple[str, ...], ...]:
    """Per block, the numbers of the stage it plays (or last played): a few short lines."""
    by_stage = {(s.layer - 1, s.stage): s for s in rep.stages}
    lines = (f"input: Betti A {rep.input_betti_a}, B {rep.input_betti_b}",
             "linearly separable" if rep.input_separable else "not linearly separable")
    previous = (rep.input_betti_a, rep.input_betti_b)
    out = []
    for kind, layer, name, _ in schedule:
        if kind == "stage":
            s = by_stage[(layer, name)]
            det = "" if s.det is None else (
                f"min det(I+J) {s.det:+.3g}, " if name == "flow" else f"det W {s.det:+.3g}, ")
            # As in `nntopo inspect`: a change at a homeomorphism is the sample, not the set.
            crushed = s.homeomorphism and (s.betti_a, s.betti_b) != previous
            previous = (s.betti_a, s.betti_b)
            lines = (
                f"{det}cond {s.cond:.3g}: " + ("homeomorphism" if s.homeomorphism else "NOT a homeomorphism"),
                f"Betti A {s.betti_a}, B {s.betti_b}" + ("*" if crushed else ""),
                f"best linear fit {100 * s.linear_accuracy:.1f}%, |J| max {s.stretch_max:.3g}",
            ) + (("* squashed finer than the samples resolve",) if crushed else ())
        out.append(lines)
    return tuple(out)


def timeline(
    rec: Recording,
    fps: int,
    detail: Detail = Detail(),
    timing: Timing | None = None,
    input_only: bool = False,
    overlay=None,
    layout: Layout = LAYOUTS["16:9"],
) -> Timeline:
    """All frames of the layer-by-layer video of `rec` at `fps` frames per second.

    input_only: stay in the input plane (the data, the heat map and the decision boundary).
    overlay: a diagnostics.Report; each stage's numbers are then shown while it plays.
    """
    timing = timing or Timing(fps)
    in_dim = rec.X.shape[1]
    plan = isotopy.plan(rec.net, in_dim)
    if plan.dim > MAX_DIM:
        raise ValueError(
            f"this network has a {plan.dim}-dimensional representation; the scenes show up to "
            f"{MAX_DIM} dimensions"
        )
    D = plan.dim
    extent = float(rec.meta["dataset"].get("extent", 1.2))
    if input_only:
        shape = "a line" if not rec.net.layers else "a curve"
        schedule = [("hold", -1, "", np.ones(timing.frames(timing.intro + timing.outro + 2.0)))]
        block_captions = [f"The network's classification of the plane: its boundary is {shape}"]
    else:
        schedule, block_captions = _schedule(plan, timing, rec.accuracy == 1.0,
                                             _field_notes(rec, extent))
    kinds = {"hold": HOLD, "stage": MOVE, "fade": FADE, "field": MOVE}  # field: arrows fade in
    if D >= 3:  # the camera turns: no frame is still, so a hold is drawn like a move
        kinds = {"hold": MOVE, "stage": MOVE, "fade": FADE, "field": MOVE}
    lengths = np.array([len(t) for _, _, _, t in schedule])
    blocks = np.stack(
        [np.cumsum(lengths) - lengths, lengths, [kinds[k] for k, _, _, _ in schedule]], 1
    )

    grid0 = _grid(extent, in_dim, detail)  # (L, S, d)
    L, S = grid0.shape[:2]
    if in_dim <= 2:
        rings, heat_levels, bounds = _heat_map(plan.net.probability, extent, in_dim, detail)
    else:  # a 3D input: the heat map would fill the space and hide the data
        rings, heat_levels, bounds = [], np.zeros(0), []
    if not detail.heat_levels:  # no colours, but the boundary stays
        rings, heat_levels = [], np.zeros(0)
    ring_pts = [np.concatenate(level) if level else np.zeros((0, 2)) for level in rings]
    X = isotopy.pad(rec.X, D)
    parts = (
        [isotopy.pad(grid0.reshape(-1, in_dim), D), X]
        + [isotopy.pad(r, D) for r in ring_pts]
        + [isotopy.pad(b, D) for b in bounds]
    )
    sizes = np.array([len(p) for p in parts])
    moved = _flow(plan, np.concatenate(parts), schedule)  # (T, P, D)
    T = len(moved)
    flat = project(moved, fps)  # (T, P, 2)
    arrows = None if input_only or D != 2 else _arrows(
        plan, schedule, _field_inputs(plan, rec.X, extent, in_dim, detail), T)
    framed = flat[:, : L * S]
    if arrows is not None:  # the view takes in the arrows' tips while they show
        tails, tips, _, shown = arrows
        framed = np.concatenate([framed, np.where(shown[:, None, None] > 0, tips, framed[:, :1])], 1)
    center, half = _view(framed, fps) if D <= 2 else _round_view(moved[:, : L * S], flat, fps)
    scr = _screen(flat, center, half, layout)
    pieces = np.split(scr, np.cumsum(sizes)[:-1], axis=1)
    grid = PathIndex.build([S] * L, closed=False).bezier(pieces[0])
    pts = pieces[1]
    heat = [
        PathIndex.build([len(x) for x in level], closed=True).bezier(p)
        for level, p in zip(rings, pieces[2 : 2 + len(rings)])
    ]
    boundary = PathIndex.build([len(b) for b in bounds], closed=False, smooth=False).bezier(
        np.concatenate(pieces[2 + len(rings) :], axis=1) if bounds else scr[:, :0]
    )

    # The separating line, drawn in each outro frame's view (the camera may still be settling).
    line = np.zeros((T, 2, 3), np.float32)
    fade = np.zeros(T)
    has_fade = len(blocks) >= 2 and blocks[-2, 2] == FADE
    n_out = int(blocks[-2:, 1].sum()) if has_fade else 0
    n_fade = int(blocks[-2, 1]) if has_fade else 0
    plane = None
    if D == 2:
        for f in range(T - n_out, T):
            seg = _line_on_screen(plan.head_w[:2], plan.head_b, center[f], half[f], layout)
            if seg is not None:
                line[f], fade[f] = seg, 1.0
    elif D == 3:  # a patch of the separating plane around the data, seen by the camera
        patch = _plane_patch(plan.head_w, plan.head_b, moved[-1, L * S : L * S + len(X)])
        seen = _screen(project(np.broadcast_to(patch, (T, 4, 3)).copy(), fps), center, half, layout)
        seen[: T - n_out] = seen[T - n_out]  # not shown before the outro; kept finite
        plane = PathIndex.build([4], closed=True, smooth=False).bezier(seen)
        fade[T - n_out :] = 1.0
    fade[T - n_out : T - n_out + n_fade] *= ease(np.linspace(0, 1, n_fade + 1)[1:])

    caption_list = list(dict.fromkeys(block_captions))
    caption_index = np.array([caption_list.index(cap) for cap in block_captions])
    info, result = _info(rec)
    notes = _overlay_notes(overlay, schedule) if overlay is not None else ()
    arrow_pieces = arrow_folds = arrow_opacity = None
    if arrows is not None:
        tails, tips, arrow_folds, arrow_opacity = arrows
        arrow_pieces = arrow_paths(*(_screen(p, center, half, layout)[..., :2] for p in (tails, tips)))
    return Timeline(
        arrows=arrow_pieces,
        arrow_folds=arrow_folds,
        arrow_opacity=arrow_opacity,
        fps=fps,
        n_frames=T,
        notes=notes,
        grid=grid,
        heat=tuple(heat),
        heat_levels=heat_levels,
        points=(pts[:, rec.y == 0], pts[:, rec.y == 1]),
        captions=tuple(caption_list),
        blocks=blocks,
        caption_index=caption_index,
        line=line,
        line_opacity=fade,
        info=info,
        result=result,
        boundary=boundary,
        wrong=_wrong(rec, plan.net),
        layout=layout,
        plane=plane,
    )


def _through_snapshots(snaps: np.ndarray, fps: int, seconds: float, hold: float):
    """Positions (S, P, d) at S snapshots -> frames: `seconds` through them, blended linearly
    between neighbours, then `hold` seconds on the last. Returns the positions (T, P, d), the
    nearest snapshot of each frame (T,), and the numbers of moving and held frames."""
    S = len(snaps)
    T_move = max(2, int(round(seconds * fps)))
    u = np.linspace(0.0, S - 1, T_move)
    i0 = np.minimum(np.floor(u).astype(int), max(S - 2, 0))
    i1 = np.minimum(i0 + 1, S - 1)
    a = (u - i0)[:, None, None]
    moved = (1 - a) * snaps[i0] + a * snaps[i1]
    T_hold = max(1, int(round(hold * fps)))
    moved = np.concatenate([moved, np.repeat(moved[-1:], T_hold, 0)])
    nearest = np.concatenate([np.round(u).astype(int), np.full(T_hold, S - 1)])
    return moved, nearest, T_move, T_hold


def training_timeline(
    rec: Recording, fps: int, seconds: float = 14.0, hold: float = 3.0, detail: Detail = Detail(),
    layout: Layout = LAYOUTS["16:9"],
) -> Timeline:
    """The last hidden representation while the network trains, from the recorded snapshots.

    Frame f shows the snapshots around training time f / (T - 1), their positions blended
    linearly; the classifier's line moves with them and a counter gives the step and accuracy.
    No heat map: the regions it would colour change shape as the network learns.
    """
    in_dim = rec.X.shape[1]
    snaps = rec.snapshots
    S = len(snaps.steps)
    nets = [snaps.network(i, rec.net) for i in range(S)]
    widths = {layer.out_dim for layer in rec.net.layers}
    if not rec.net.layers or max(widths | {in_dim}) > 2:
        raise ValueError("the training scene shows networks with hidden layers of width <= 2")
    extent = float(rec.meta["dataset"].get("extent", 1.2))
    grid0 = _grid(extent, in_dim, detail)
    L, Sg = grid0.shape[:2]
    pts_in = np.concatenate([grid0.reshape(-1, in_dim), rec.X])
    reps = np.stack([isotopy.pad(n.representations(pts_in)[-1], 2) for n in nets])  # (S, P, 2)
    moved, nearest, T_move, T_hold = _through_snapshots(reps, fps, seconds, hold)
    T = len(moved)
    center, half = _view(moved[:, : L * Sg], fps)
    scr = _screen(moved, center, half, layout)
    grid = PathIndex.build([Sg] * L, closed=False).bezier(scr[:, : L * Sg])
    pts = scr[:, L * Sg :]
    line = np.zeros((T, 2, 3), np.float32)
    opacity = np.zeros(T)
    for f in range(T):
        hw = isotopy.pad(snaps.head_w[nearest[f]][None], 2)[0]
        seg = _line_on_screen(hw, float(snaps.head_b[nearest[f]]), center[f], half[f], layout)
        if seg is not None:
            line[f], opacity[f] = seg, 1.0
    counter = tuple(
        f"step {int(snaps.steps[i])}: training accuracy {100 * snaps.accuracy[i]:.1f}%"
        for i in nearest
    )
    info, result = _info(rec)
    caption = "The hidden representation while the network trains"
    return Timeline(
        fps=fps,
        n_frames=T,
        grid=grid,
        heat=(),
        heat_levels=np.zeros(0),
        points=(pts[:, rec.y == 0], pts[:, rec.y == 1]),
        captions=(caption, "After training: " + ("a line separates the classes" if rec.accuracy == 1.0
                                                 else "no line separates the classes")),
        blocks=np.array([[0, T_move, MOVE], [T_move, T_hold, HOLD]]),
        caption_index=np.array([0, 1]),
        line=line,
        line_opacity=opacity,
        info=info,
        result=result,
        boundary=scr[:, :0],
        wrong=_wrong(rec, rec.net),
        counter=counter,
        layout=layout,
    )


def knn_timeline(tr, fps: int, seconds: float = 14.0, hold: float = 3.0,
                 layout: Layout = LAYOUTS["16:9"]) -> Timeline:
    """A 2-unit representation of held-out digits while a conv net trains (knn.Trajectory):
    one colour per class, positions blended between the epochs' snapshots, and a counter with
    the epoch and the k-NN test error. There is no input plane (the inputs are images), so no
    grid and no heat map; the points k-NN gets wrong at the end are ringed."""
    moved, nearest, T_move, T_hold = _through_snapshots(tr.z, fps, seconds, hold)
    T = len(moved)
    center, half = _view(moved, fps)
    pts = _screen(moved, center, half, layout)
    m = tr.meta
    loss = "the k-NN loss" if m["loss"] == "knn" else "softmax"
    counter = tuple(f"epoch {int(tr.epochs[i])}: k-NN test error {100 * tr.test_error[i]:.1f}%"
                    for i in nearest)
    info = (
        f"data: {m['dataset']} ({m['n_train']} training images)",
        "network: 2 conv, fc 128, 2 units",
        f"trained with {loss}, seed {m['seed']}",
        f"shown: {m['shown']} held-out images",
    )
    result = (
        f"k-NN test error {100 * tr.test_error[-1]:.1f}% (k = {m['k']})",
        f"spread {tr.spread[0]:.2f} → {tr.spread[-1]:.2f} (class size / gaps)",
    )
    classes = np.unique(tr.y)
    empty = np.zeros((T, 0, 3), np.float32)
    return Timeline(
        fps=fps,
        n_frames=T,
        grid=empty,
        heat=(),
        heat_levels=np.zeros(0),
        points=tuple(pts[:, tr.y == c] for c in classes),
        classes=tuple(str(c) for c in classes),
        captions=(f"The representation while the network trains with {loss}",
                  f"After {int(tr.epochs[-1])} epochs of {loss}"),
        blocks=np.array([[0, T_move, MOVE], [T_move, T_hold, HOLD]]),
        caption_index=np.array([0, 1]),
        line=np.zeros((T, 2, 3), np.float32),
        line_opacity=np.zeros(T),
        info=info,
        result=result,
        boundary=empty,
        wrong=tuple(tr.wrong[tr.y == c] for c in classes),
        counter=counter,
        layout=layout,
    )


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


def looped(tl: Timeline, seconds: float = 1.5) -> Timeline:
    """`tl` followed by a quick rewind to its first frame, so that it loops without a jump.

    The rewind replays the frames backwards, subsampled to `seconds`; the last frame is frame 0,
    with the first caption, so playing the video again continues seamlessly.
    """
    n = max(2, int(round(seconds * tl.fps)))
    idx = np.round(np.linspace(tl.n_frames - 1, 0, n)).astype(int)

    def ext(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, a[idx]])

    block = np.array([[tl.n_frames, n, REWIND]])
    return replace(
        tl,
        n_frames=tl.n_frames + n,
        grid=ext(tl.grid),
        heat=tuple(ext(h) for h in tl.heat),
        points=tuple(ext(p) for p in tl.points),
        boundary=ext(tl.boundary),
        line=ext(tl.line),
        line_opacity=ext(tl.line_opacity),
        counter=tuple(tl.counter) + tuple(tl.counter[i] for i in idx) if tl.counter else (),
        blocks=np.concatenate([tl.blocks, block]),
        caption_index=np.append(tl.caption_index, tl.caption_index[0]),
        notes=tl.notes + (tl.notes[0],) if tl.notes else (),
        arrows=None if tl.arrows is None else ext(tl.arrows),
        arrow_folds=None if tl.arrow_folds is None else ext(tl.arrow_folds),
        arrow_opacity=None if tl.arrow_opacity is None else ext(tl.arrow_opacity),
    )

