"""Videos of a representation while a network trains: the last hidden layer of a recording's
network between its snapshots (`training`), and a conv net's 2-unit representation of held-out
digits, epoch to epoch (`knn`). Frames blend neighbouring snapshots linearly.
"""

from __future__ import annotations

import numpy as np

from ..nets import isotopy
from ..config import check_scene
from ..recording import Recording
from . import camera, plane, script
from .layout import LAYOUTS, Detail, Layout
from .paths import PathIndex
from .timeline import Block, Frames, Kind, Storyboard


class Blend:
    """Frames `seconds` long through S snapshots, then `hold` seconds on the last."""

    def __init__(self, S: int, fps: int, seconds: float, hold: float):
        self.moving = max(2, int(round(seconds * fps)))
        self.held = max(1, int(round(hold * fps)))
        u = np.concatenate([np.linspace(0.0, S - 1, self.moving), np.full(self.held, S - 1.0)])
        self.i0 = np.minimum(np.floor(u).astype(int), max(S - 2, 0))  # (T,) the snapshot before
        self.i1 = np.minimum(self.i0 + 1, S - 1)  # (T,) and after
        self.a = u - self.i0  # (T,) how far between them
        self.nearest = np.round(u).astype(int)  # (T,) the snapshot a counter names

    def __call__(self, snaps: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Positions (stop - start, P, d) from positions at the snapshots (S, P, d)."""
        a = self.a[start:stop, None, None]
        return (1 - a) * snaps[self.i0[start:stop]] + a * snaps[self.i1[start:stop]]

    def view(self, snaps: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
        """The view that follows the points (S, P, 2) through the frames."""
        lo, hi = np.zeros((len(self.a), 2)), np.zeros((len(self.a), 2))
        for f in range(0, len(self.a), 64):
            moved = self(snaps, f, f + 64)
            lo[f : f + 64], hi[f : f + 64] = moved.min(1), moved.max(1)
        return camera.fit_view(lo, hi, fps)

    def blocks(self, moving: str, held: str) -> tuple[Block, Block]:
        return Block(Kind.TRAIN, self.moving, moving), Block(Kind.HOLD, self.held, held, still=True)


def _frames(n: int, points: tuple, counter: np.ndarray, grid: np.ndarray | None = None,
            line: np.ndarray | None = None, opacity: np.ndarray | None = None,
            plane: np.ndarray | None = None) -> Frames:
    empty = np.zeros((n, 0, 3), np.float32)
    return Frames(
        grid=empty if grid is None else grid, heat=(), points=points, boundary=empty,
        line=np.zeros((n, 2, 3), np.float32) if line is None else line,
        line_opacity=np.zeros(n) if opacity is None else opacity,
        plane=empty if plane is None else plane, arrows=empty,
        arrow_folds=np.zeros((n, 0), bool), arrow_opacity=np.zeros(n), counter=counter,
    )


def training(rec: Recording, fps: int, seconds: float = 14.0, hold: float = 3.0,
             detail: Detail = Detail(), layout: Layout = LAYOUTS["16:9"]) -> Storyboard:
    """The last hidden representation while the network trains, from the recorded snapshots.

    The classifier's line moves with it and a counter gives the step and accuracy. No heat map:
    the regions it would colour change shape as the network learns.
    """
    in_dim = rec.X.shape[1]
    snaps = rec.snapshots
    S = len(snaps.steps)
    check_scene("training", [in_dim] + rec.net.widths, S)
    grid0 = plane.grid(rec.meta.data.extent, in_dim, detail)
    L, Sg = grid0.shape[:2]
    pts_in = np.concatenate([grid0.reshape(-1, in_dim), rec.X])
    reps = np.stack([isotopy.pad(snaps.network(i, rec.net).representations(pts_in)[-1], 2)
                     for i in range(S)])  # (S, P, 2)
    blend = Blend(S, fps, seconds, hold)
    center, half = blend.view(reps[:, : L * Sg], fps)
    grid_paths = PathIndex.build([Sg] * L, closed=False)
    counters = np.array([f"step {int(snaps.steps[i])}: training accuracy {100 * snaps.accuracy[i]:.1f}%"
                         for i in range(S)])

    C = rec.net.classes
    classes = [rec.y == c for c in range(C)]
    if C == 2:
        sep_v, sep_c = snaps.separators()
    else:  # every snapshot's region boundaries: a segment per pair of classes (a point where none)
        pairs = C * (C - 1) // 2
        segments = np.zeros((S, pairs, 2, 2))
        for i in range(S):
            pieces = camera.regions(snaps.head_w[i], snaps.head_b[i], reps[i, L * Sg :])
            segments[i, : len(pieces)] = pieces
            segments[i, len(pieces) :] = reps[i, L * Sg]  # unused: zero length, drawn as nothing
        seg_paths = PathIndex.build([2] * pairs, closed=False, smooth=False)

    def source(start: int, stop: int) -> Frames:
        c, h = center[start:stop], half[start:stop]
        scr = camera.screen(blend(reps, start, stop), c, h, layout)
        nearest = blend.nearest[start:stop]
        pts = scr[:, L * Sg :]
        points = tuple(pts[:, m] for m in classes)
        grid = grid_paths.bezier(scr[:, : L * Sg])
        if C > 2:
            ends = camera.screen(segments[nearest].reshape(stop - start, -1, 2), c, h, layout)
            return _frames(stop - start, points, counters[nearest], grid, opacity=np.ones(stop - start),
                           plane=seg_paths.bezier(ends))
        line, meets = camera.lines_on_screen(isotopy.pad(sep_v[nearest], 2), sep_c[nearest],
                                             c, h, layout)
        return _frames(stop - start, points, counters[nearest], grid, line, meets.astype(float))

    info, result = script.panel(rec)
    if C > 2:
        after = "the head's regions, each class in its own" if rec.accuracy == 1.0 else "the head's regions"
    else:
        after = "a line separates the classes" if rec.accuracy == 1.0 else "no line separates the classes"
    blocks = blend.blocks("The hidden representation while the network trains", f"After training: {after}")
    return Storyboard(fps, blocks, source, info, result, script.wrong(rec, rec.net), np.zeros(0),
                      classes=script.legend(rec.classes), layout=layout, counter=True, plane_fill=False,
                      view=(center, half))


def knn(tr, fps: int, seconds: float = 14.0, hold: float = 3.0,
        layout: Layout = LAYOUTS["16:9"]) -> Storyboard:
    """A 2-unit representation of held-out digits while a conv net trains (knn.Trajectory):
    one colour per class, and a counter with the epoch and the k-NN test error. There is no
    input plane (the inputs are images), so no grid and no heat map; the points k-NN gets wrong
    at the end are ringed."""
    blend = Blend(len(tr.z), fps, seconds, hold)
    center, half = blend.view(tr.z, fps)
    m = tr.meta
    loss = "the k-NN loss" if m["loss"] == "knn" else "softmax"
    counters = np.array([f"epoch {int(e)}: k-NN test error {100 * err:.1f}%"
                         for e, err in zip(tr.epochs, tr.test_error)])
    classes = np.unique(tr.y)

    def source(start: int, stop: int) -> Frames:
        pts = camera.screen(blend(tr.z, start, stop), center[start:stop], half[start:stop], layout)
        return _frames(stop - start, tuple(pts[:, tr.y == c] for c in classes),
                       counters[blend.nearest[start:stop]])

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
    blocks = blend.blocks(f"The representation while the network trains with {loss}",
                          f"After {int(tr.epochs[-1])} epochs of {loss}")
    return Storyboard(fps, blocks, source, info, result, tuple(tr.wrong[tr.y == c] for c in classes),
                      np.zeros(0), classes=tuple(str(c) for c in classes), layout=layout, counter=True,
                      view=(center, half))
