"""LayerFlow: the plane, its grid and the data, carried through every layer of a network.

The scene draws a `nntopo.frames.Timeline`; every coordinate in it was computed by the package.
From Python, `nntopo.render` builds it inside `tempconfig`. From the manim command:

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Line,
    ManimColor,
    Scene,
    Text,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
    config,
    linear,
)

from nntopo import frames, recording

# The essay's palette: class A red, class B blue, on white; the heat map is the same, paler.
BACKGROUND = "#ffffff"
INK = "#222222"
GRID = "#8a8a8a"
COLOR_A = "#d62728"
COLOR_B = "#1f5fbf"
HEAT_A = "#f6c9c4"
HEAT_B = "#c5d6ef"
DOT_RADIUS = 0.045
FONT = "DejaVu Sans"


def path_mobject(points: np.ndarray, **style) -> VMobject:
    """A VMobject whose subpaths are given as Bezier control points (n, 3)."""
    mob = VMobject(**style)
    mob.points = points.astype(np.float64)
    return mob


class LayerFlow(Scene):
    def __init__(
        self,
        timeline: frames.Timeline | None = None,
        on_frames: Callable[[int], None] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if timeline is None:  # run by the manim command: the recording comes from the environment
            path = os.environ.get("NNTOPO_RECORDING")
            if not path:
                raise SystemExit("set NNTOPO_RECORDING to a recording made by `nntopo train`")
            timeline = frames.timeline(recording.load(path), int(config.frame_rate))
        self.tl = timeline
        self.on_frames = on_frames or (lambda n: None)

    def construct(self) -> None:
        self.camera.background_color = BACKGROUND
        self.show_panel()
        self.build_space()
        for i, (start, length, kind) in enumerate(self.tl.blocks):
            self.show_caption(self.tl.captions[self.tl.caption_index[i]])
            if kind == frames.HOLD:
                self.hold(start, length)
            elif kind == frames.MOVE:
                self.move(start, length)
            else:
                self.fade_line(start, length)

    # --- steps ---------------------------------------------------------------------------------

    def show_panel(self) -> None:
        info = VGroup(
            *(Text(s, font=FONT, font_size=20, color=INK) for s in self.tl.info)
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        info.to_corner(UP + RIGHT, buff=0.6).shift(DOWN * 0.8)
        legend = VGroup(
            self.legend_row(COLOR_A, "class A"), self.legend_row(COLOR_B, "class B")
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        legend.next_to(info, DOWN, aligned_edge=LEFT, buff=0.4)
        self.result = Text(self.tl.result, font=FONT, font_size=24, color=INK, weight="BOLD")
        self.result.next_to(legend, DOWN, aligned_edge=LEFT, buff=0.5)
        self.captions: dict[str, Text] = {}
        self.caption = VGroup()
        self.add(info, legend)

    def legend_row(self, color: str, label: str) -> VGroup:
        dot = path_mobject(frames.dot_paths(np.zeros((1, 3), np.float32), 0.08),
                           fill_color=color, fill_opacity=1, stroke_width=0)
        return VGroup(dot, Text(label, font=FONT, font_size=20, color=INK)).arrange(RIGHT, buff=0.15)

    def build_space(self) -> None:
        tl = self.tl
        heat_colors = [
            ManimColor(HEAT_A).interpolate(ManimColor(HEAT_B), float(p)) for p in tl.heat_levels
        ]
        self.heat = [
            path_mobject(h[0], fill_color=c, fill_opacity=1.0, stroke_width=0)
            for h, c in zip(tl.heat, heat_colors)
        ]
        self.grid = path_mobject(tl.grid[0], stroke_color=GRID, stroke_width=1.0, stroke_opacity=0.8)
        self.dots = [
            path_mobject(frames.dot_paths(p[0], DOT_RADIUS), fill_color=c, fill_opacity=0.9,
                         stroke_width=0)
            for p, c in zip(tl.points, (COLOR_A, COLOR_B))
        ]
        self.line = Line(tl.line[-1][0], tl.line[-1][1], color=INK, stroke_width=4)
        self.line.set_stroke(opacity=0.0)
        self.space = VGroup(*self.heat, self.grid, *self.dots, self.line)
        self.add(self.space)

    def show_caption(self, text: str) -> None:
        # Swapped, not `become`: aligning two texts' glyphs costs more than drawing them.
        if text not in self.captions:
            new = Text(text, font=FONT, font_size=24, color=INK).to_edge(UP, buff=0.25)
            if new.width > config.frame_width - 0.6:
                new.scale_to_fit_width(config.frame_width - 0.6)
            self.captions[text] = new
        self.remove(self.caption)
        self.caption = self.captions[text]
        self.add(self.caption)

    def set_frame(self, f: int) -> None:
        tl = self.tl
        for mob, h in zip(self.heat, tl.heat):
            mob.points = h[f]
        self.grid.points = tl.grid[f]
        for mob, p in zip(self.dots, tl.points):
            mob.points = frames.dot_paths(p[f], DOT_RADIUS)

    # --- playing blocks of frames ----------------------------------------------------------------
    # A block of n frames plays for (n - 0.5) / fps seconds: manim then renders exactly n frames
    # (times 0, 1/fps, ..., (n-1)/fps), and alpha * (n - 0.5) recovers the frame index.

    def _play(self, mob: VMobject, start: int, length: int, draw: Callable[[int], None]) -> None:
        seen = {"last": -1}

        def update(_mob: VMobject, alpha: float) -> None:
            k = min(int(np.floor(alpha * (length - 0.5) + 1e-6)), length - 1)
            draw(start + k)
            if k > seen["last"]:
                self.on_frames(k - seen["last"])
                seen["last"] = k

        self.play(
            UpdateFromAlphaFunc(mob, update, run_time=(length - 0.5) / self.tl.fps, rate_func=linear)
        )

    def move(self, start: int, length: int) -> None:
        self._play(self.space, start, length, self.set_frame)

    def fade_line(self, start: int, length: int) -> None:
        if start == self.tl.blocks[-2][0]:
            self.add(self.result)

        def draw(f: int) -> None:
            if self.tl.line_opacity[f] == 0.0:  # the line misses the plot area
                return
            self.line.put_start_and_end_on(self.tl.line[f][0], self.tl.line[f][1])
            self.line.set_stroke(opacity=float(self.tl.line_opacity[f]))

        self._play(self.line, start, length, draw)

    def hold(self, start: int, length: int) -> None:
        self.set_frame(start)
        # A frozen frame is repeated int(duration * fps) times: (n + 0.5) / fps gives n.
        self.wait((length + 0.5) / self.tl.fps, frozen_frame=True)
        self.on_frames(length)
