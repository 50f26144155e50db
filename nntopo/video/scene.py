"""LayerFlow: the plane, its grid and the data, carried through every layer of a network.

The scene plays storyboards; every coordinate comes from the storyboard, a chunk of frames at a
time, so memory stays flat however long the video. From Python, `nntopo.render` (api.py, then video/__init__.py)
builds it inside `tempconfig`; for the manim command, scenes/flow.py gives it the recording of
NNTOPO_RECORDING:

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from manim import Group, Line, ManimColor, Scene, UpdateFromAlphaFunc, VGroup, VMobject, config, linear
from manim import LEFT, RIGHT, UP

from ..storyboard import DOT_RADIUS, RING_RADIUS, Frames, Kind, Storyboard, dot_paths
from .cairo_camera import Dots, FastCamera, Fills
from .panel import Panel
from .text import path_mobject, text
from .theme import DOT_OPACITY, PLANE_FILL, STROKES, THEMES, class_colors, heat_colors

CHUNK = 32  # frames the storyboard computes at once while the scene draws


class LayerFlow(Scene):
    """Plays one or more storyboards ("acts") in order; a figure in two parts has two."""

    def __init__(self, storyboards: Storyboard | list[Storyboard],
                 on_frames: Callable[[int], None] | None = None, theme: str = "light",
                 frozen_holds: bool = True, sink: Callable[[np.ndarray, int], None] | None = None,
                 only: Callable[[int], bool] | None = None, **kwargs):
        """sink(frame, repeat): every frame drawn, (H, W, 4) uint8, with how many times it is
        shown, for an encoder of the caller's (nntopo encodes its videos as one stream).

        only(k): is the k-th frame handed over (counting from 0, a repeated still as one) drawn
        here? The others are counted and skipped: their geometry is not computed, nothing is
        drawn, the sink never sees them (drawers.py runs one such scene per core)."""
        kwargs.setdefault("camera_class", FastCamera)
        super().__init__(**kwargs)
        self.only = only
        self.handed = 0  # frames handed over so far (drawn or skipped): the next one's k
        renderer = self.renderer
        if sink is not None:  # the renderer's hand-off of each frame, for manim's own writer too
            add_frame = renderer.add_frame

            def add_and_sink(frame: np.ndarray, num_frames: int = 1) -> None:
                add_frame(frame, num_frames)
                sink(frame, num_frames)

            renderer.add_frame = add_and_sink
        add, render, freeze = renderer.add_frame, renderer.render, renderer.freeze_current_frame

        def counted(frame: np.ndarray, num_frames: int = 1) -> None:
            self.handed += 1
            add(frame, num_frames)

        def render_if_drawn(scene, time, moving_mobjects=None) -> None:
            if self.drawn(self.handed):
                render(scene, time, moving_mobjects)
            else:
                self.handed += 1

        def freeze_if_drawn(duration: float) -> None:
            if self.drawn(self.handed):
                freeze(duration)
            else:
                self.handed += 1

        renderer.add_frame, renderer.render, renderer.freeze_current_frame = counted, render_if_drawn, freeze_if_drawn
        self.acts = [storyboards] if isinstance(storyboards, Storyboard) else list(storyboards)
        self.on_frames = on_frames or (lambda n: None)
        self.texts: dict[tuple, object] = {}
        self.theme = THEMES[theme]
        self.frozen_holds = frozen_holds  # False: every frame drawn (a PNG per frame)

    def construct(self) -> None:
        self.camera.background_color = ManimColor(self.theme["background"])
        for a, sb in enumerate(self.acts):
            self.sb = sb
            self.chunk: tuple[int, Frames | None] = (0, None)
            self.clear()
            self.cue(a, None)
            self.show_title()
            self.panel = Panel(sb, class_colors(self.theme, len(sb.classes)), self.text)
            self.add(*self.panel.static())
            self.caption, self.notes, self.result_shown = Group(), Group(), False
            self.current_notes: tuple[str, ...] = ()
            self.build_space()
            for k, (start, block) in enumerate(zip(sb.starts(), sb.blocks)):
                self.cue(a, k)
                self.show_caption(block.caption)
                self.show_notes(block.notes)
                if block.kind is Kind.FADE:
                    self.show_result(start)
                elif block.kind is Kind.REWIND:
                    self.hide_result()
                if block.still:
                    self.hold(start, block.frames)
                else:
                    self.play_frames(start, block.frames)

    def drawn(self, k: int) -> bool:
        """Is the k-th frame handed over drawn by this scene?"""
        return self.only is None or self.only(k)

    def cue(self, act: int, block: int | None) -> None:
        """Where a presentation may cut: before act `act`'s title card (block None) and before
        each of its blocks. The video plays straight through; LayerFlowSlides cuts here."""

    # --- text ------------------------------------------------------------------------------------

    def text(self, s: str, font_size: float, bold: bool = False):
        """A cached line of text: counters repeat, and each costs a cairo drawing."""
        key = (s, font_size, bold)
        if key not in self.texts:
            self.texts[key] = text(s, font_size=font_size, color=self.theme["ink"], bold=bold)
        return self.texts[key].copy()

    def show_title(self) -> None:
        """A title card for figures in several parts (its frames are counted in the storyboard)."""
        if not self.sb.title:
            return
        card = self.text(self.sb.title, self.sb.layout.text.title)
        self.add(card)
        n = self.sb.title_frames
        self.wait((n + 0.5) / self.sb.fps, frozen_frame=True)
        self.on_frames(n)
        self.remove(card)

    def show_caption(self, caption: str) -> None:
        lay = self.sb.layout
        size = lay.text.caption
        room = config.frame_width - lay.text.caption_margin
        new = self.text(caption, size)
        if new.width > room:  # redrawn smaller: images are never scaled
            new = self.text(caption, size * room / new.width)
        self.remove(self.caption)
        self.caption = new.to_edge(UP, buff=lay.text.caption_top)
        self.add(self.caption)

    def show_notes(self, lines: tuple[str, ...]) -> None:
        """The overlay: the current stage's numbers."""
        self.remove(self.notes)
        self.current_notes = lines
        self.notes = self.panel.notes(lines, self.result_shown) or Group()
        self.add(self.notes)

    def show_result(self, f: int) -> None:
        """The numbers, and a ring around every point the network gets wrong."""
        frame = self.frame(f)
        rings = [dot_paths(p[frame.i][w], RING_RADIUS) for p, w in zip(frame.points, self.sb.wrong)]
        width, opacity = STROKES["ring"]
        self.rings = path_mobject(np.concatenate(rings), stroke_color=self.theme["ink"], stroke_width=width,
                                  stroke_opacity=opacity, fill_opacity=0)
        if self.panel.counter is not None and self.sb.layout.panel == "bottom":
            self.remove(self.panel.counter)  # the strip under the plot now holds the numbers
        self.add(self.panel.result, self.rings)
        self.result_shown = True
        self.show_notes(self.current_notes)

    def hide_result(self) -> None:
        """--loop: back to the first frame without the numbers, so the video loops seamlessly."""
        if self.result_shown:
            self.remove(self.panel.result, self.rings)
            if self.panel.counter is not None:
                self.add(self.panel.counter)
            self.result_shown = False

    # --- the space ---------------------------------------------------------------------------------

    def stroke(self, role: str, color: str | None = None, scale: float = 1.0) -> dict:
        width, opacity = STROKES[role]
        return dict(stroke_color=color or self.theme[role], stroke_width=width, stroke_opacity=opacity * scale)

    def build_space(self) -> None:
        sb, frame = self.sb, self.frame(0)
        fills = heat_colors(self.theme, class_colors(self.theme, len(sb.classes)), sb.heat_classes, sb.heat_levels)
        self.heat = Fills([h[0] for h in frame.heat], fills)  # the levels, filled in order
        self.grid = path_mobject(frame.grid[0], **self.stroke("grid"))
        self.boundary = path_mobject(frame.boundary[0], **self.stroke("boundary", self.theme["ink"]))
        self.dots = Dots([p[0] for p in frame.points], DOT_RADIUS,  # the classes, painted in order
                         class_colors(self.theme, len(sb.classes)), DOT_OPACITY)
        self.line = Line(LEFT, RIGHT, color=self.theme["ink"], stroke_width=STROKES["line"][0])
        self.line.set_stroke(opacity=0.0)
        parts = [self.heat, self.grid, self.boundary, self.dots, self.line]
        self.arrows = [path_mobject(frame.arrows[0][:0], **self.stroke(role, scale=0.0)) for role in ("arrow", "fold")]
        # 3D: sheets, filled; 2D region boundaries: segments, stroked like the separating line
        self.plane_role = "plane" if sb.plane_fill else "regions"
        self.plane = path_mobject(frame.plane[0], fill_color=self.theme["ink"], fill_opacity=0.0,
                                  **self.stroke(self.plane_role, self.theme["ink"], scale=0.0))
        self.space = VGroup(*parts, *self.arrows, self.plane)
        self.add(self.space)

    def frame(self, f: int, ahead: int = CHUNK):
        """Frame f's geometry, from the storyboard a chunk at a time (frames play in order):
        f and up to ahead - 1 frames after it, when it is not at hand."""
        start, chunk = self.chunk
        if chunk is None or not start <= f < start + len(chunk):
            start, chunk = f, self.sb.frames(f, min(f + max(1, min(ahead, CHUNK)), self.sb.n_frames))
            self.chunk = (start, chunk)
        return _At(chunk, f - start)

    def set_frame(self, f: int, ahead: int = CHUNK) -> None:
        fr = self.frame(f, ahead)
        i = fr.i
        self.heat.layers = [h[i] for h in fr.heat]
        self.grid.points = fr.grid[i]
        self.boundary.points = fr.boundary[i]
        self.dots.groups = [p[i] for p in fr.points]
        opacity = float(fr.line_opacity[i])
        if fr.plane.shape[1]:  # 3D: the separating plane instead of a line
            self.plane.points = fr.plane[i].astype(np.float64)
            self.plane.set_fill(opacity=PLANE_FILL * opacity if self.sb.plane_fill else 0.0)
            self.plane.set_stroke(opacity=STROKES[self.plane_role][1] * opacity)
            opacity = 0.0
        elif opacity > 0.0:  # only where the line meets the plot area
            start, end = fr.line[i]
            if np.array_equal(start, end):  # it touches the area at one point
                opacity = 0.0
            else:  # (not put_start_and_end_on: after a zero-length line it shifts, with a warning)
                self.line.set_points_as_corners(np.array([start, end], np.float64))
        self.line.set_stroke(opacity=opacity)
        if fr.arrows.shape[1]:
            alpha = float(fr.arrow_opacity[i])
            folds = fr.arrow_folds[i]
            pieces = fr.arrows[i].reshape(len(folds), -1, 3)
            for mob, mask, role in zip(self.arrows, (~folds, folds), ("arrow", "fold")):
                mob.points = pieces[mask].reshape(-1, 3).astype(np.float64) if alpha > 0 else pieces[:0, 0]
                mob.set_stroke(opacity=STROKES[role][1] * alpha)
        if self.panel.counter is not None:
            self.panel.counter.pixel_array = self.panel.counter_pixels(str(fr.counter[i]))

    # --- playing blocks of frames ----------------------------------------------------------------
    # A block of n frames plays for (n - 0.5) / fps seconds: manim then renders exactly n frames
    # (times 0, 1/fps, ..., (n-1)/fps), and alpha * (n - 0.5) recovers the frame index.

    def play_frames(self, start: int, length: int) -> None:
        seen = {"last": -1}
        first = self.handed  # frame start is the first handed over by this play

        def update(_mob: VMobject, alpha: float) -> None:
            k = min(int(np.floor(alpha * (length - 0.5) + 1e-6)), length - 1)
            if self.drawn(first + k):  # its geometry, with that of the frames drawn next to it
                ahead = 1
                while ahead < min(CHUNK, length - k) and self.drawn(first + k + ahead):
                    ahead += 1
                self.set_frame(start + k, ahead)
            if k > seen["last"]:
                self.on_frames(k - seen["last"])
                seen["last"] = k

        mobs = [self.space] + ([self.panel.counter] if self.panel.counter is not None else [])
        group = mobs[0] if len(mobs) == 1 else Group(*mobs)
        self.play(UpdateFromAlphaFunc(group, update, run_time=(length - 0.5) / self.sb.fps, rate_func=linear))

    def hold(self, start: int, length: int) -> None:
        self.set_frame(start)
        if start + length == self.sb.n_frames and not self.result_shown:
            self.show_result(start)  # every video ends with its numbers
        if not self.frozen_holds:
            self.play_frames(start, length)
            return
        # A frozen frame is repeated int(duration * fps) times: (n + 0.5) / fps gives n.
        self.wait((length + 0.5) / self.sb.fps, frozen_frame=True)
        self.on_frames(length)


class _At:
    """One frame of a chunk: the chunk's arrays, read at index i."""

    def __init__(self, chunk: Frames, i: int):
        self.chunk, self.i = chunk, i

    def __getattr__(self, name: str):
        return getattr(self.chunk, name)
