"""A recording's storyboard as the page's data: typed here, serialised by document.py.

Everything is the storyboard's own geometry (storyboard/world.py): per block, the points in the
block's r directions and each frame's r x E map (exact), or a neural ODE's flow sampled at every
frame of the video (quantised to 16 bits over its box: well under a pixel). The page draws the
points through the same view and camera as the video, so at a frame's time it shows that frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..storyboard import Storyboard
from ..storyboard.world import World


@dataclass(frozen=True)
class PageData:
    """What the page needs, and nothing from the recording but through here."""

    storyboard: Storyboard
    world: World
    labels: np.ndarray  # (N,) each data point's class, in the order of the user's rows
    wrong: np.ndarray  # (N,) bool: the network gets it wrong
    theme: dict[str, str]  # colours by role (video/theme.py)
    colors: tuple[str, ...]  # one per class
    heat: tuple[str, ...]  # one fill per heat level
    aspect: str  # a key of LAYOUTS


def build(sb: Storyboard, y: np.ndarray, theme_name: str, aspect: str) -> PageData:
    """The page's data for storyboard `sb` (layers scene) of data labelled y (N,)."""
    from ..video.theme import THEMES, class_colors

    if sb.world is None:
        raise ValueError("the storyboard has no world (only the layers scene has)")
    world = sb.world()
    y = np.asarray(y)
    wrong = np.zeros(len(y), bool)
    for c, w in enumerate(sb.wrong):
        wrong[y == c] = w
    theme = THEMES[theme_name]
    colors = tuple(class_colors(theme, len(sb.classes)))
    return PageData(sb, world, y.astype(np.uint8), wrong, theme, colors,
                    tuple(heat_colors(theme, colors, sb.heat_classes, sb.heat_levels)), aspect)


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
