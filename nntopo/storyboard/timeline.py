"""The storyboard as typed data: blocks of frames, and the frames themselves, made on demand.

A `Storyboard` is what the scene plays: a sequence of `Block`s (what happens, for how many
frames, under which caption), the panel's text, and a `source` that computes the geometry of any
range of frames when the scene asks for it. Nothing holds every frame at once, so memory stays
flat however long or fine the video is.

`Frames` holds every per-frame quantity, each with the frame as its first axis. Slicing
(`take`), joining (`concat`) and looping (`looped`) go over its fields generically: a new
per-frame quantity is a new field, and nothing else has to learn about it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from .layout import LAYOUTS, Layout

if TYPE_CHECKING:
    from .world import World


class Kind(enum.Enum):
    HOLD = "hold"  # nothing changes but, in 3D, the turning camera
    STAGE = "stage"  # a stage of a layer plays: linear, translate, activate or flow
    ARROWS = "arrows"  # the arrows of a vector field F fade in over the still representation
    FADE = "fade"  # the separating line (plane) fades in; the numbers appear
    TRAIN = "train"  # the representation while the network trains, snapshot to snapshot
    REWIND = "rewind"  # --loop: back to the first frame


@dataclass(frozen=True)
class Block:
    kind: Kind
    frames: int  # how many frames it lasts
    caption: str  # the line at the top while it plays
    layer: int = -1  # STAGE and ARROWS: the 0-based layer
    stage: str = ""  # STAGE: linear, translate, activate or flow
    notes: tuple[str, ...] = ()  # the --overlay's numbers while it plays
    still: bool = False  # every frame is the same: drawn once, repeated


@dataclass(frozen=True)
class Frames:
    """Screen geometry (manim units, z = 0) of n consecutive frames; Bezier paths are control
    points, 4 per cubic piece."""

    grid: np.ndarray  # (n, 4 * pieces, 3) the input window's grid lines
    heat: tuple[np.ndarray, ...]  # per colour level (n, 4 * pieces_k, 3): its region
    points: tuple[np.ndarray, ...]  # per class (n, n_c, 3): the data's centres
    boundary: np.ndarray  # (n, 4 * pieces, 3) the decision boundary p = 1/2, carried along
    line: np.ndarray  # (n, 2, 3) the separating line's ends, clipped to the plot
    line_opacity: np.ndarray  # (n,) 0 until the outro, then fading in to 1
    plane: np.ndarray  # (n, 4 * pieces, 3) straight pieces: 3D, the separating plane's patch; a
    # C-way head, the boundaries between its decision regions (segments, or polygons in 3D); (n, 0, 3)
    arrows: np.ndarray  # (n, 12 * A, 3) vector-field arrows: shaft and two barbs each; (n, 0, 3)
    arrow_folds: np.ndarray  # (n, A) bool: the arrow sits where the step folds space
    arrow_opacity: np.ndarray  # (n,)
    counter: np.ndarray  # (n,) str: a line that changes every frame (training step); "" if none

    def __len__(self) -> int:
        return len(self.line_opacity)

    def take(self, idx: np.ndarray | slice) -> "Frames":
        """The frames at `idx` (indices or a slice, along the frame axis)."""
        return Frames(**{f.name: _map(getattr(self, f.name), lambda a: a[idx]) for f in fields(self)})

    @staticmethod
    def concat(parts: list["Frames"]) -> "Frames":
        if len(parts) == 1:
            return parts[0]
        out = {}
        for f in fields(Frames):
            first = getattr(parts[0], f.name)
            if isinstance(first, tuple):
                out[f.name] = tuple(np.concatenate([getattr(p, f.name)[i] for p in parts])
                                    for i in range(len(first)))
            else:
                out[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        return Frames(**out)


def _map(value, fn):
    return tuple(fn(a) for a in value) if isinstance(value, tuple) else fn(value)


Source = Callable[[int, int], Frames]  # (start, stop) -> the frames start .. stop - 1


@dataclass(frozen=True)
class Storyboard:
    fps: int
    blocks: tuple[Block, ...]
    source: Source  # the geometry of frames [start, stop), computed when asked
    info: tuple[str, ...]  # lines of the side panel: dataset, architecture, seed
    result: tuple[str, ...]  # the closing lines: the numbers the run got
    wrong: tuple[np.ndarray, ...]  # per class (n_c,) bool: misclassified, ringed at the end
    heat_levels: np.ndarray  # (K,) two classes: the probability of B each heat level stands for;
    # C classes: how sure the network is there (0 to 1), of the class heat_classes names
    classes: tuple[str, ...] = ("class A", "class B")  # the legend, one per class
    layout: Layout = LAYOUTS["16:9"]  # where the plot and the text go
    counter: bool = False  # a line that changes every frame is shown (Frames.counter)
    title: str = ""  # a title card shown first (for figures in several parts)
    title_frames: int = 0  # how many frames the title card is held
    heat_classes: tuple[int, ...] = ()  # C-way heat maps: each level's class (-1: none); () two classes
    plane_fill: bool = True  # Frames.plane is filled (3D sheets); False: only stroked (2D segments)
    world: "Callable[[], World] | None" = None  # the picture before the camera (world.py), made when asked
    # A 2D storyboard with no world (history.py): its view per frame, centre (T, 2) and half-size (T,)
    # in the representation's coordinates (camera.screen), so a screen point can be read back there
    view: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_frames(self) -> int:
        return sum(b.frames for b in self.blocks)

    @property
    def total_frames(self) -> int:
        return self.title_frames + self.n_frames

    def starts(self) -> list[int]:
        """The first frame of every block."""
        return list(np.cumsum([0] + [b.frames for b in self.blocks])[:-1])

    def frames(self, start: int, stop: int) -> Frames:
        """The geometry of frames start .. stop - 1 (0 <= start < stop <= n_frames)."""
        if not 0 <= start < stop <= self.n_frames:
            raise IndexError(f"frames {start}..{stop}: the storyboard has {self.n_frames}")
        return self.source(start, stop)

    def chunks(self, size: int = 64):
        """Every frame in order, `size` at a time: (start, Frames)."""
        for start in range(0, self.n_frames, size):
            yield start, self.frames(start, min(start + size, self.n_frames))

    def titled(self, title: str, seconds: float = 1.6) -> "Storyboard":
        return replace(self, title=title, title_frames=max(1, int(round(seconds * self.fps))))


def looped(sb: Storyboard, seconds: float = 1.5) -> Storyboard:
    """`sb` followed by a quick rewind to its first frame, so that it loops without a jump.

    The rewind replays the frames backwards, subsampled to `seconds`; its last frame is frame 0,
    with the first caption, so playing the video again continues seamlessly.
    """
    T = sb.n_frames
    n = max(2, int(round(seconds * sb.fps)))
    idx = np.round(np.linspace(T - 1, 0, n)).astype(int)

    def source(start: int, stop: int) -> Frames:
        parts = [sb.source(start, min(stop, T))] if start < T else []
        parts += [sb.source(int(i), int(i) + 1) for i in idx[max(start, T) - T : stop - T]]
        return Frames.concat(parts)

    first = sb.blocks[0]
    rewind = Block(Kind.REWIND, n, first.caption, notes=first.notes)
    return replace(sb, blocks=sb.blocks + (rewind,), source=source)
