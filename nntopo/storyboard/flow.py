"""The layer-by-layer video: the grid, the heat map and the data carried through every stage of
every layer (isotopy.py), seen through a view that follows them.

Built in two steps. `layers` lays out the blocks, the points to carry (P of them: grid anchors,
data, heat-map rings, decision boundary) and their positions at the start of every block, then
makes one streaming pass over the frames to fit the view (it needs only each frame's bounding
box). The storyboard's source then computes any range of frames when the scene asks for it.
"""

from __future__ import annotations

import numpy as np

from dataclasses import replace

from ..nets import isotopy
from ..nets.reduce import Reduction, reduce
from ..config import MAX_DIM, VIEWS
from ..errors import NntopoError
from ..recording import Recording
from . import camera, plane, projection, script
from .layout import LAYOUTS, Detail, Layout, Timing
from .paths import PathIndex, arrow_paths, ease
from .timeline import Block, Frames, Kind, Storyboard
from .world import Arrows, Motion, World, reduced

CHUNK = 64  # frames computed at once in the view's pass
BEZIER_BATCH = 24_000  # pieces (times frames) made into Bezier curves at once, as the grid's alone were


_CARRIED: list = []  # the last (recording, its carried form): a render asks twice (its checks, its storyboard)


def carried(rec: Recording) -> tuple[Recording, Reduction | None]:
    """`rec` in the coordinates the video carries its input in: an input of SHEET_FROM or more
    dimensions read by a dense layer is carried in the span of its principal directions and the
    first map's rows (nets/reduce.py), the same outputs exactly; any other as it is. The last
    one is kept (a recording is immutable): a 784-D input's reduction costs seconds."""
    if rec.X.shape[1] < plane.SHEET_FROM:
        return rec, None
    if _CARRIED and _CARRIED[0][0] is rec:
        return _CARRIED[0][1]
    red = reduce(rec.net, rec.X)
    out = (rec, None) if red is None else (replace(rec, X=rec.X @ red.basis, net=red.net), red)
    _CARRIED[:] = [(rec, out)]
    return out


def drawable(rec: Recording) -> isotopy.Plan:
    """The layer-by-layer plan of `rec` (in the coordinates `carried` gives), if the video can
    show it: representations of up to MAX_DIM dimensions (wider than the picture: through a
    projection, projection.py); else a one-line NntopoError."""
    return _plan(carried(rec)[0])


def _plan(rec: Recording) -> isotopy.Plan:
    """drawable's checks and plan of a recording already carried."""
    widest = max([rec.X.shape[1]] + rec.net.widths)
    if widest > MAX_DIM:  # before the plan, which costs O(width^3) per layer
        what = (f"a {widest}-dimensional representation" if max(rec.net.widths, default=0) == widest
                else f"a {widest}-dimensional input its first layer does not narrow")
        raise NntopoError(f"this network has {what}; the videos show up to {MAX_DIM} dimensions "
                          "(inspect measures any width)")
    return isotopy.plan(rec.net, rec.X.shape[1])


def layers(rec: Recording, fps: int, detail: Detail = Detail(), timing: Timing | None = None,
         input_only: bool = False, overlay=None, layout: Layout = LAYOUTS["16:9"],
         view: str = "3d") -> Storyboard:
    """The layer-by-layer video of `rec` at `fps` frames per second.

    input_only: stay in the input plane (the data, the heat map and the decision boundary).
    overlay: an analysis.inspect.Report; each stage's numbers are then shown while it plays.
    view: how a representation wider than the picture is seen (config.VIEWS): projected to
    3D, turning, or to the plane.
    """
    timing = timing or Timing(fps)
    own = rec  # as recorded: the panel describes it
    rec, red = carried(rec)  # the same outputs, in the coordinates carried
    in_dim = rec.X.shape[1]
    plan = _plan(rec)
    n = own.X.shape[1]
    if red is not None and plan.layers and plan.layers[0].out_dim < n:  # the caption says what W is: R^n -> R^m
        first = replace(plan.layers[0], note=f"W: R^{n} -> R^{plan.layers[0].out_dim} collapses")
        plan = replace(plan, layers=(first,) + plan.layers[1:])
    D = plan.dim
    E = min(D, VIEWS[view])  # dimensions of the picture
    extent = rec.meta.data.extent
    if input_only:
        blocks = script.input_blocks(rec, timing)
    else:
        blocks = script.flow_blocks(plan, timing, rec.accuracy == 1.0, script.step_notes(rec, extent), E)
    if overlay is not None:
        blocks = script.with_notes(blocks, overlay)

    # What moves: grid anchors, data, heat-map rings, decision boundary, in one padded array.
    sheet = plane.sheet(rec.X) if own.X.shape[1] >= plane.SHEET_FROM else None
    grid0 = plane.grid(extent, in_dim, detail) if sheet is None else plane.sheet_grid(sheet, detail)  # (L, S, d)
    L, S = grid0.shape[:2]
    C = rec.net.classes
    heat_classes = np.zeros(0, int)  # C-way: each heat level's class (-1: the window)
    if in_dim == 3 and sheet is None:  # a 3D input: the heat map would fill the space and hide the data
        rings, heat_levels, bounds = [], np.zeros(0), []
    elif C == 2:
        rings, heat_levels, bounds = plane.heat_map(plan.net.probability, extent, in_dim, detail, sheet)
    else:
        rings, heat_classes, heat_levels, bounds = plane.class_map(plan.net.probabilities, extent, in_dim,
                                                                   detail, sheet)
    if not detail.heat_levels:  # no colours, but the boundary stays
        rings, heat_levels, heat_classes = [], np.zeros(0), np.zeros(0, int)
    ring_pts = [np.concatenate(level) if level else np.zeros((0, 2)) for level in rings]
    if sheet is not None:  # the sheet's (u, v) into input coordinates
        ring_pts = [sheet.lift(p) for p in ring_pts]
        bounds = [sheet.lift(b) for b in bounds]
    parts = ([grid0.reshape(-1, in_dim), rec.X] + ring_pts + list(bounds))
    x0 = np.concatenate([isotopy.pad(p, D) for p in parts])  # (P, D)
    cuts = np.cumsum([len(p) for p in parts])[:-1]
    G = L * S
    paths = {
        "grid": PathIndex.build([S] * L, closed=False),
        "heat": [PathIndex.build([len(x) for x in level], closed=True) for level in rings],
        "boundary": PathIndex.build([len(b) for b in bounds], closed=False, smooth=False),
    }
    # The grid's, the heat map's and the boundary's pieces of a chunk of frames in one bezier
    # call (anchors found in the screen points of everything that moves), then split.
    at = np.concatenate([[0], cuts])  # where each part's points start
    drawn = [(paths["grid"], 0)] + [(p, int(at[2 + k])) for k, p in enumerate(paths["heat"])]
    drawn.append((paths["boundary"], int(at[2 + len(rings)]) if bounds else 0))
    every = PathIndex.concat(drawn)
    split = 4 * np.cumsum([p.pieces for p, _ in drawn])[:-1]

    N = len(rec.X)
    batches = (G, G + N)  # a neural ODE integrates the grid, the data and the rest as batches of their own
    keys = _keys(plan, blocks, x0, batches)
    final = keys.pop()
    turns = {i + 1: plan.layers[b.layer].path.rotate for i, b in enumerate(blocks)
             if b.kind is Kind.STAGE and b.stage == "linear"}

    def place(i: int, x: np.ndarray, t: np.ndarray, rows: slice = slice(0, None)) -> np.ndarray:
        """Points x (P', D) at the start of block i at its times t (n,), in the picture: (n, P', E).
        rows: which of the P points x holds (a neural ODE's batches are cut by them)."""
        b = blocks[i]
        if b.kind is not Kind.STAGE:
            y = x @ proj.keys[i]
            return np.broadcast_to(y, (len(t),) + y.shape)
        lp = plan.layers[b.layer]
        if b.stage == "integrate":  # a neural ODE's flow: integrated, batch by batch
            return _stage(lp, b.stage, x, t, proj.bases(i, t), rows, batches)
        # Every other stage is, at each time, a linear map of the points (the linear stage) or of
        # the points and their displacement d (the straight-line stages: x + t d) into the
        # picture: the maps (T, D, E) are formed once from the identity's rows, then all P'
        # points go through them in one matrix product.
        if b.stage == "linear":
            eye = np.eye(x.shape[1])
            if proj.projected:  # a view that turns with the rotation
                return _through(x, lp.path.seen(eye, t, proj.keys[i], proj.keys[i + 1]))
            return _through(x, isotopy.stage(lp, "linear", eye, t, proj.bases(i, t)))
        B = proj.bases(i, t)
        d = isotopy.stage_end(lp, b.stage, x) - x
        return _through(x, B) + t[:, None, None] * _through(d, B)

    for paced in (False, True):
        starts = np.cumsum([0] + [b.frames for b in blocks])
        T = int(starts[-1])
        # The outro: the separating line (2D) or plane (3D) fades in over the FADE block.
        has_fade = len(blocks) >= 2 and blocks[-2].kind is Kind.FADE
        n_out = blocks[-2].frames + blocks[-1].frames if has_fade else 0
        n_fade = blocks[-2].frames if has_fade else 0
        # The picture's basis at every key, ending on the classifier's direction(s) (projection.py),
        # turned for the camera as it is halfway through the outro.
        axes = camera.axes(T - n_out // 2, fps) if E == 3 and has_fade else None
        proj = projection.fit(keys + [final], slice(G, G + N), plan.head_w, E, axes, turns)
        if paced or not proj.projected:
            break
        longer = _paced(blocks, keys, slice(G, G + N), place)
        if longer == blocks:
            break
        blocks = longer  # then the camera's axes at the outro, and so the last basis, once more

    def positions(start: int, stop: int, sel=slice(None)) -> np.ndarray:
        """Positions in the picture (stop - start, P', E) of the points `sel` in frames
        start .. stop - 1."""
        out = []
        for i, b in enumerate(blocks):
            a, e = max(start, starts[i]), min(stop, starts[i + 1])
            if a >= e:
                continue
            t = script.stage_times(b)[a - starts[i] : e - starts[i]] if b.kind is Kind.STAGE else np.zeros(e - a)
            out.append(place(i, keys[i][sel], t, sel))
        return np.concatenate(out)

    arrows = _arrows(plan, blocks, rec.X, grid0.reshape(-1, in_dim), detail) if D == 2 and not input_only else None

    fade = np.zeros(T)
    fade[T - n_out :] = 1.0
    fade[T - n_out : T - n_out + n_fade] *= ease(np.linspace(0, 1, n_fade + 1)[1:])
    # The separator in the picture: the last basis holds the head's normal, so w . h + c = 0 is
    # the plane (line) w_E . y + c = 0 of the picture, y = B^T h. A C-way head: the pieces of
    # hyperplanes between its decision regions (exact while its directions fit the picture).
    end = proj.keys[-1]  # (D, E)
    W_E, b_E = plan.head_w @ end, plan.head_b  # (C', E), (C',)
    ends = final[G : G + N] @ end  # the data in the last frame's picture, (N, E)
    sheets = []  # polygons (3D) or segments (2D) drawn in the outro, in the picture's coordinates
    if has_fade and C == 2 and E == 3:
        patch = camera.plane_patch(W_E[0], b_E[0], ends)
        sheets = [patch] if patch is not None else []
    elif has_fade and C > 2 and _regions_fit(plan, E):
        sheets = camera.regions(W_E, b_E, ends)
    paths["plane"] = PathIndex.build([len(p) for p in sheets], closed=E == 3, smooth=False)
    corners = np.concatenate(sheets) if sheets else np.zeros((0, E))

    # The view: one pass over the frames, keeping only each frame's box. The grid's: the data lie
    # in the window it spans, and the network carries both alike; a sheet is a plane through the
    # data, which spread off it, so their box counts too.
    seen = slice(0, G) if sheet is None else slice(0, G + N)
    lo, hi = np.zeros((T, 2)), np.zeros((T, 2))
    mid, radius = np.zeros((T, 2)), np.zeros(T)
    for a in range(0, T, CHUNK):
        e = min(a + CHUNK, T)
        g = positions(a, e, seen)  # (n, G, E): the grid (and the data, off a sheet)
        if len(corners) and e > T - n_out:  # the outro's plane or regions stay in view too
            extra = np.zeros((e - a,) + corners.shape)
            extra[:] = np.where(np.arange(a, e)[:, None, None] >= T - n_out, corners, g[:, :1])
            g = np.concatenate([g, extra], 1)
        flat = camera.project(g, np.arange(a, e), fps)
        lo[a:e], hi[a:e] = flat.min(1), flat.max(1)
        if arrows is not None:  # the view takes in the arrows' tips while they show
            for f in range(a, e):
                if arrows["opacity"][f] > 0:
                    tips = arrows["quivers"][arrows["layer"][f]][1]
                    lo[f], hi[f] = np.minimum(lo[f], tips.min(0)), np.maximum(hi[f], tips.max(0))
        if E == 3:
            m = (g.min(1) + g.max(1)) / 2  # (n, 3)
            radius[a:e] = np.linalg.norm(g - m[:, None, :], axis=-1).max(1)
            mid[a:e] = camera.project(m[:, None, :], np.arange(a, e), fps)[:, 0]
    if E == 2:
        center, half = camera.fit_view(lo, hi, fps)
    else:
        center, half = camera.fit_round_view(mid, radius, lo, hi, fps)

    classes = [rec.y == c for c in range(C)]

    def source(start: int, stop: int) -> Frames:
        n = stop - start
        idx = np.arange(start, stop)
        c, h = center[start:stop], half[start:stop]
        scr = camera.screen(camera.project(positions(start, stop), idx, fps), c, h, layout)
        pieces = np.split(scr, cuts, axis=1)
        step = max(1, BEZIER_BATCH // max(every.pieces, 1))  # frames at once: bounded temporaries
        curves = np.concatenate([every.bezier(scr[k : k + step]) for k in range(0, n, step)])
        curves = np.split(curves, split, axis=1)  # grid, heat levels, boundary
        line = np.zeros((n, 2, 3), np.float32)
        opacity = fade[start:stop].copy()
        if E == 2 and C == 2:  # the line, in the outro's frames where it meets the plot
            out = idx >= T - n_out
            line[out], meets = camera.lines_on_screen(np.broadcast_to(W_E[0], (out.sum(), 2)),
                                                      np.full(out.sum(), b_E[0]), c[out], h[out], layout)
            opacity[~out] = 0.0
            opacity[out] *= meets
        plane_pieces = np.zeros((n, 0, 3), np.float32)
        if sheets:  # before the outro they are hidden, drawn where the outro starts
            shown = np.maximum(idx, T - n_out)
            flat = camera.project(np.broadcast_to(corners, (n,) + corners.shape).copy(), shown, fps)
            plane_pieces = paths["plane"].bezier(camera.screen(flat, center[shown], half[shown], layout))
        arrow_pieces, folds, arrow_opacity = _arrow_frames(arrows, idx, c, h, layout)
        return Frames(
            grid=curves[0], heat=tuple(curves[1:-1]),
            points=tuple(pieces[1][:, m] for m in classes),
            boundary=curves[-1], line=line, line_opacity=opacity,
            plane=plane_pieces, arrows=arrow_pieces, arrow_folds=folds, arrow_opacity=arrow_opacity,
            counter=np.full(n, ""),
        )

    def world() -> World:
        """The picture before the camera, every block as storyboard/world.py holds it (the
        same positions as `positions`), for a page with a camera of its own (explorer/)."""
        motions = []
        for i, b in enumerate(blocks):
            t = script.stage_times(b) if b.kind is Kind.STAGE else np.zeros(b.frames)
            x = keys[i]
            if b.kind is Kind.STAGE and b.stage == "integrate":
                motions.append(Motion(x[:, :0], None, np.zeros((len(t), 0, E)), t, place(i, x, t)))
            elif b.kind is not Kind.STAGE or b.stage == "linear":  # maps: the identity's rows placed
                motions.append(reduced(x, None, place(i, np.eye(x.shape[1]), t), np.zeros(len(t))))
            else:  # a straight stage: (x + t d) through the view's bases
                d = isotopy.stage_end(plan.layers[b.layer], b.stage, x) - x
                motions.append(reduced(x, d, proj.bases(i, t), t))
        quiver = None if arrows is None else Arrows(
            {k: q[0] for k, q in arrows["quivers"].items()}, {k: q[1] for k, q in arrows["quivers"].items()},
            {k: q[2] for k, q in arrows["quivers"].items()}, arrows["layer"], arrows["opacity"])
        return World(E, fps, tuple(int(s) for s in starts[:-1]), tuple(motions), (L, S), N,
                     tuple(tuple(len(x) for x in level) for level in rings), tuple(len(b) for b in bounds),
                     center, half, fade, np.array([*W_E[0], b_E[0]]) if E == 2 and C == 2 else None,
                     tuple(sheets), quiver)

    note = proj.note() if proj.projected else ()
    if sheet is not None:  # the input's lines (the layers are seen the same way, ending on the head)
        note = script.input_note(own.X.shape[1], E, red.shown(E) if red is not None else None)
    info, result = script.panel(own, note or None)
    return Storyboard(fps, tuple(blocks), source, info, result, script.wrong(rec, plan.net),
                      heat_levels, classes=script.legend(rec.classes), layout=layout,
                      heat_classes=tuple(int(k) for k in heat_classes), plane_fill=E == 3, world=world)


def _stage(lp: isotopy.LayerPlan, name: str, x: np.ndarray, t: np.ndarray, basis, rows: slice,
           batches: tuple[int, ...]) -> np.ndarray:
    """isotopy.stage for the points x (P', D), rows `rows` of all P. A neural ODE's adaptive
    solver chooses its steps for the whole batch it is given (torchdiffeq's error norm), so the
    flow carries the data as a batch of its own, as the model ran on it: cut at `batches` (the
    data's first and end rows). Every other stage moves each point by itself."""
    if name != "integrate":
        return isotopy.stage(lp, name, x, t, basis)
    start = rows.start or 0
    cuts = [c - start for c in batches if 0 < c - start < len(x)]
    parts = np.split(x, cuts) if cuts else [x]
    return np.concatenate([isotopy.stage(lp, name, p, t, basis) for p in parts if len(p)], axis=1)


def _keys(plan: isotopy.Plan, blocks: list[Block], x0: np.ndarray, batches: tuple[int, ...]) -> list[np.ndarray]:
    """The points x0 (P, D) at the start of every block, and where the last block leaves them:
    len(blocks) + 1 arrays (P, D). A stage block ends where its path does at t = 1."""
    keys, x = [], x0
    for b in blocks:
        keys.append(x)
        if b.kind is Kind.STAGE:
            x = _stage(plan.layers[b.layer], b.stage, x, np.ones(1), None, slice(0, None), batches)[0]
    return keys + [x]


def data_at_stage_ends(rec: Recording) -> list[np.ndarray]:
    """Where the video puts the data (N, D) at the end of every stage, in the padded space of its
    plan (the coordinates `carried` gives): the last one is where the network sends it."""
    rec, _ = carried(rec)
    plan = _plan(rec)
    blocks = script.flow_blocks(plan, Timing(6), False)
    sheet = plane.sheet(rec.X) if rec.X.shape[1] >= plane.SHEET_FROM else None
    grid = plane.grid(rec.meta.data.extent, rec.X.shape[1], Detail()) if sheet is None else \
        plane.sheet_grid(sheet, Detail())
    G, N = grid.shape[0] * grid.shape[1], len(rec.X)
    x0 = np.concatenate([isotopy.pad(grid.reshape(G, -1), plan.dim), isotopy.pad(rec.X, plan.dim)])
    keys = _keys(plan, blocks, x0, (G, G + N))
    return [k[G:] for b, k in zip(blocks, keys[1:]) if b.kind is Kind.STAGE]


def _through(x: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """Points x (P, D) through linear maps (T, D, m): (T, P, m), as one matrix product."""
    T, D, m = maps.shape
    y = x @ np.ascontiguousarray(maps.transpose(1, 0, 2)).reshape(D, T * m)  # (P, T m)
    return np.ascontiguousarray(y.reshape(len(x), T, m).transpose(1, 0, 2))


PACE = 0.03  # in a projected picture, no data point moves more than this share of the picture per frame


def _paced(blocks: list[Block], keys: list[np.ndarray], rows: slice, place) -> list[Block]:
    """The blocks, each stage of a projected picture made long enough that its data points move
    at most PACE of the picture's size per frame (the view of a wide layer may have to turn far:
    a collapse's principal directions are not the ones before it). place(i, x, t): block i's
    points x at times t in the picture."""
    out = []
    for i, b in enumerate(blocks):
        if b.kind is Kind.STAGE:
            x = keys[i][rows]
            t = np.concatenate([[0.0], script.stage_times(b)])
            y = place(i, x, t, rows)  # (F + 1, N, E)
            step = np.linalg.norm(np.diff(y, axis=0), axis=-1).max()
            size = max(float((y.max(1) - y.min(1)).max()), 1e-12)
            if step > PACE * size:
                b = replace(b, frames=int(np.ceil(b.frames * step / (PACE * size))))
        out.append(b)
    return out


def _regions_fit(plan: isotopy.Plan, E: int) -> bool:
    """Are a C-way head's regions in the picture exactly its regions: the last representation fits
    the picture, or the directions in which its scores differ do (10 classes in R^16 have 9: the
    picture's pieces of hyperplanes would be those of a projection, not the head's)."""
    last = plan.net.widths[-1] if plan.net.layers else plan.in_dim
    W = plan.head_w - plan.head_w.mean(0)
    return last <= E or np.linalg.matrix_rank(W) <= E


def _arrows(plan: isotopy.Plan, blocks: list[Block], X: np.ndarray, grid: np.ndarray,
            detail: Detail) -> dict | None:
    """Which arrows of which vector-field step show in every frame, and how strongly.

    The arrows appear over the ARROWS block, stay through the step's flow, and fade out in the
    pause after it. Returns the quivers per layer (tails, tips, folds in representation
    coordinates), and per frame (T,) the layer shown (-1: none) and the opacity; None when the
    network has no 2D vector-field step."""
    steps = [lp for lp in plan.layers if lp.step is not None and lp.step.kind != "ode"]
    if not steps:
        return None
    reps = plan.net.representations(np.concatenate([grid, X]))  # the points each step acts on
    quivers = {lp.index: plane.quiver(lp.step, reps[lp.index][:, :2], detail.quiver)
               for lp in steps if reps[lp.index].shape[1] == 2}
    if not quivers:
        return None
    layer, opacity = [], []
    prev = None
    for b in blocks:
        flowing = b.kind is Kind.STAGE and b.stage == "flow"
        active = b.layer if b.layer in quivers and (b.kind is Kind.ARROWS or flowing) else None
        shown = active if active is not None else prev if b.kind is Kind.HOLD else None
        ramp = ease(np.linspace(0, 1, b.frames + 1)[1:])
        layer.append(np.full(b.frames, -1 if shown is None else shown))
        if shown is None:
            opacity.append(np.zeros(b.frames))
        elif b.kind is Kind.ARROWS:
            opacity.append(ramp)
        else:
            opacity.append(np.ones(b.frames) if active is not None else 1.0 - ramp)
        prev = active if b.kind is Kind.STAGE else None
    return {"quivers": quivers, "layer": np.concatenate(layer), "opacity": np.concatenate(opacity)}


def _arrow_frames(arrows: dict | None, idx: np.ndarray, center: np.ndarray, half: np.ndarray,
                  layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrows of frames idx (n,) on screen: pieces (n, 12 A, 3), folds (n, A), opacity (n,)."""
    n = len(idx)
    if arrows is None:
        return np.zeros((n, 0, 3), np.float32), np.zeros((n, 0), bool), np.zeros(n)
    A = len(next(iter(arrows["quivers"].values()))[0])
    tails, tips = np.zeros((n, A, 2)), np.zeros((n, A, 2))
    folds = np.zeros((n, A), bool)
    for k, f in enumerate(idx):
        if arrows["layer"][f] >= 0:
            tails[k], tips[k], folds[k] = arrows["quivers"][arrows["layer"][f]]
    on_screen = [camera.screen(p, center, half, layout)[..., :2] for p in (tails, tips)]
    return arrow_paths(*on_screen), folds, arrows["opacity"][idx]
