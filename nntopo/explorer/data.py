"""A recording's storyboard as the page's data: typed here, serialised by document.py.

Everything is the storyboard's own geometry. A layers storyboard has a world (storyboard/world.py):
per block, the points in the block's r directions and each frame's r x E map (exact), or a neural
ODE's flow sampled at every frame of the video (quantised to 16 bits over its box: well under a
pixel); the page draws them through the same view and camera as the video. A storyboard drawn
while its network trains (storyboard/history.py: training, knn) has no world: its page holds the
storyboard's own screen Frames, every frame (2D, already framed as the video frames them; quantised
the same way). Either way, at a frame's time the page shows that frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..storyboard import Frames, Storyboard
from ..storyboard.world import World


@dataclass(frozen=True)
class PageData:
    """What the page needs, and nothing from the recording but through here."""

    storyboard: Storyboard
    world: World | None  # the picture before the camera; None: a screen part (frames)
    labels: np.ndarray  # (N,) each data point's class, in the order of the user's rows
    wrong: np.ndarray  # (N,) bool: the network gets it wrong
    theme: dict[str, str]  # colours by role (video/theme.py)
    colors: tuple[str, ...]  # one per class
    heat: tuple[str, ...]  # one fill per heat level
    aspect: str  # a key of LAYOUTS
    frames: Frames | None = None  # a storyboard with no world: its every frame, as the video draws it
    screen_points: np.ndarray | None = None  # (T, N, 2) with frames: the data's centres on screen, by row


def build(sb: Storyboard, y: np.ndarray, theme_name: str, aspect: str) -> PageData:
    """The page's data for storyboard `sb` of data labelled y (N,): through its world (the
    layers scene), or, a storyboard with none (a training scene, knn), its own screen frames."""
    from ..video.theme import THEMES, class_colors

    if sb.world is None:
        return screen(sb, y, theme_name, aspect)
    world = sb.world()
    y = np.asarray(y)
    wrong = np.zeros(len(y), bool)
    for c, w in enumerate(sb.wrong):
        wrong[y == c] = w
    theme = THEMES[theme_name]
    colors = tuple(class_colors(theme, len(sb.classes)))
    return PageData(sb, world, y.astype(np.uint8), wrong, theme, colors,
                    tuple(heat_colors(theme, colors, sb.heat_classes, sb.heat_levels)), aspect)


def screen(sb: Storyboard, y: np.ndarray, theme_name: str, aspect: str) -> PageData:
    """The page's data for a storyboard with no world: every frame of it (sb.frames), the data's
    centres put back in the order of the rows. Its classes are the sorted labels of y, as the
    storyboards of history.py split the points (y == c for each c in turn)."""
    from ..video.theme import THEMES, class_colors

    y = np.asarray(y)
    order = np.unique(y)
    fr = sb.frames(0, sb.n_frames)
    if len(order) != len(fr.points) or len(order) != len(sb.wrong):
        raise ValueError(f"the storyboard has {len(fr.points)} classes of points, the labels {len(order)}")
    labels = np.searchsorted(order, y)
    T = len(fr)
    pts = np.zeros((T, len(y), 2), np.float64)
    wrong = np.zeros(len(y), bool)
    for k, c in enumerate(order):
        rows = y == c
        if fr.points[k].shape[1] != rows.sum() or len(sb.wrong[k]) != rows.sum():
            raise ValueError(f"class {k}: {fr.points[k].shape[1]} points drawn for {int(rows.sum())} rows")
        pts[:, rows] = fr.points[k][..., :2]
        wrong[rows] = sb.wrong[k]
    theme = THEMES[theme_name]
    colors = tuple(class_colors(theme, len(sb.classes)))
    return PageData(sb, None, labels.astype(np.uint8), wrong, theme, colors,
                    tuple(heat_colors(theme, colors, sb.heat_classes, sb.heat_levels)), aspect, fr, pts)


def _mix(a: str, b: str, u: float) -> str:
    pa, pb = (np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], float) for h in (a, b))
    return "#" + "".join(f"{int(round(v)):02x}" for v in (1 - u) * pa + u * pb)


def heat_colors(theme: dict[str, str], colors: tuple[str, ...], classes: tuple[int, ...], levels) -> list[str]:
    """video.theme.heat_colors without manim: the same linear mixes of the same colours."""
    from ..video.theme import HEAT_MIX

    bg = theme["background"]
    if not classes:
        return [_mix(theme["heat_a"], theme["heat_b"], float(p)) for p in levels]
    return [_mix(bg, theme["ink"], 0.04) if c < 0 else _mix(bg, colors[c], HEAT_MIX[0] + HEAT_MIX[1] * float(s))
            for c, s in zip(classes, levels)]
