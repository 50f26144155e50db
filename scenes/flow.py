"""LayerFlow: the plane, its grid and the data, carried through every layer of a network.

The scene draws a `nntopo.frames.Timeline`; every coordinate in it was computed by the package.
From Python, `nntopo.render` builds it inside `tempconfig`. From the manim command:

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import cairo
from manim import (
    DOWN,
    Camera,
    Group,
    ImageMobject,
    LEFT,
    RIGHT,
    UP,
    Line,
    ManimColor,
    Scene,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
    config,
    linear,
)

from nntopo import frames, recording

# The essay's palette: class A red, class B blue, on white; the heat map is the same, paler.
THEMES = {
    "light": dict(background="#ffffff", ink="#222222", grid="#8a8a8a", a="#d62728", b="#1f5fbf",
                  heat_a="#f6c9c4", heat_b="#c5d6ef", arrow="#2a7d3b", fold="#e08a00"),
    # On dark slides: the same hues, brighter ink and points, deep heat colours.
    "dark": dict(background="#15171c", ink="#eeeeee", grid="#7d828c", a="#ff5a4f", b="#4d94ff",
                 heat_a="#4a2326", heat_b="#1f3150", arrow="#5fd27a", fold="#ffb340"),
}
# More than two classes (the digits): a categorical palette, the same on light and dark.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
DOT_RADIUS = 0.045
FONT = "DejaVu Sans"


class FastCamera(Camera):
    """Cairo camera that hands paths to cairo from Python lists instead of numpy scalars.

    Manim's loop reads six numpy scalars per cubic piece; `tolist()` first is about twice as fast,
    which matters with thousands of pieces per frame. Same drawing: a subpath starts wherever a
    piece does not begin where the previous one ended, and closes when it ends where it began.
    """

    def set_cairo_context_path(self, ctx, vmobject):
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        n = len(points) // 4
        ctx.new_path()
        if n == 0:
            return self
        curves = points[: 4 * n, :2].reshape(n, 4, 2)
        tol = vmobject.tolerance_for_point_equality
        new = np.ones(n, bool)
        new[1:] = np.abs(curves[1:, 0] - curves[:-1, 3]).max(1) > tol
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], n)
        closed = np.abs(curves[starts, 0] - curves[ends - 1, 3]).max(1) <= tol
        controls = curves[:, 1:].reshape(n, 6).tolist()
        firsts = curves[starts, 0].tolist()
        move_to, curve_to, close = ctx.move_to, ctx.curve_to, ctx.close_path
        new_sub_path = ctx.new_sub_path
        for s, e, c, (x, y) in zip(starts.tolist(), ends.tolist(), closed.tolist(), firsts):
            new_sub_path()
            move_to(x, y)
            for x1, y1, x2, y2, x3, y3 in controls[s:e]:
                curve_to(x1, y1, x2, y2, x3, y3)
            if c:
                close()
        return self


    def display_image_mobject(self, image_mobject, pixel_array) -> None:
        """Blit an unscaled image (our text lines) pixel for pixel, alpha-blended.

        Manim's own path resamples every image through PIL (and, with Pillow 12, fails on its
        blank canvas). Text here is drawn at the output's pixel size, so a blit is exact.
        """
        img = image_mobject.get_pixel_array()
        corners = self.points_to_subpixel_coords(image_mobject, image_mobject.points)
        x0, y0 = np.floor(corners.min(0) + 0.5).astype(int)
        h, w = img.shape[:2]
        H, W = pixel_array.shape[:2]
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
        if xa >= xb or ya >= yb:
            return
        src = img[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)
        dst = pixel_array[ya:yb, xa:xb].astype(np.float32)
        a = src[..., 3:4] / 255.0
        dst[..., :3] = src[..., :3] * a + dst[..., :3] * (1.0 - a)
        dst[..., 3:] = src[..., 3:] + dst[..., 3:] * (1.0 - a)  # "over", for transparent output
        pixel_array[ya:yb, xa:xb] = dst.round().astype(np.uint8)


def text(s: str, font_size: float = 20, color: str = THEMES["light"]["ink"], bold: bool = False) -> ImageMobject:
    """A line of text, drawn once by cairo at the output's pixel size.

    Manim's Text goes through an SVG (about 60 ms a line); a video has some twenty lines, which
    at low quality was a fifth of the render. Sizes match Text's: the em is font_size / 72 units.
    """
    px = config.pixel_height / config.frame_height  # pixels per manim unit
    weight = cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL
    probe = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))
    probe.select_font_face(FONT, cairo.FONT_SLANT_NORMAL, weight)
    probe.set_font_size(font_size / 72 * px)
    ascent, descent = probe.font_extents()[:2]
    pad = 2
    w = int(np.ceil(probe.text_extents(s).x_advance)) + 2 * pad
    h = int(np.ceil(ascent + descent)) + 2 * pad
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    ctx = cairo.Context(surface)
    ctx.select_font_face(FONT, cairo.FONT_SLANT_NORMAL, weight)
    ctx.set_font_size(font_size / 72 * px)
    r, g, b = ManimColor(color).to_rgb()
    ctx.set_source_rgb(r, g, b)
    ctx.move_to(pad, pad + ascent)
    ctx.show_text(s)
    surface.flush()
    bgra = np.ndarray((h, surface.get_stride() // 4, 4), np.uint8, surface.get_data())[:, :w]
    alpha = bgra[..., 3:4].astype(np.float32)
    rgb = np.where(alpha > 0, bgra[..., 2::-1] * 255.0 / np.maximum(alpha, 1), 0)  # un-premultiply
    rgba = np.concatenate([rgb, alpha], -1).round().clip(0, 255).astype(np.uint8)
    return ImageMobject(rgba, scale_to_resolution=config.pixel_height)


def path_mobject(points: np.ndarray, **style) -> VMobject:
    """A VMobject whose subpaths are given as Bezier control points (n, 3)."""
    mob = VMobject(**style)
    mob.points = points.astype(np.float64)
    return mob


class LayerFlow(Scene):
    """Plays one or more timelines ("acts") in order; a figure in two parts has two."""

    def __init__(
        self,
        timelines: frames.Timeline | list[frames.Timeline] | None = None,
        on_frames: Callable[[int], None] | None = None,
        theme: str = "light",
        frozen_holds: bool = True,
        **kwargs,
    ):
        kwargs.setdefault("camera_class", FastCamera)
        super().__init__(**kwargs)
        if timelines is None:  # run by the manim command: the recording comes from the environment
            path = os.environ.get("NNTOPO_RECORDING")
            if not path:
                raise SystemExit("set NNTOPO_RECORDING to a recording made by `nntopo train`")
            timelines = frames.timeline(recording.load(path), int(config.frame_rate))
        self.acts = [timelines] if isinstance(timelines, frames.Timeline) else list(timelines)
        self.on_frames = on_frames or (lambda n: None)
        self.texts: dict[tuple, ImageMobject] = {}
        self.theme = THEMES[theme]
        self.frozen_holds = frozen_holds  # False: every frame drawn (a PNG per frame)

    def construct(self) -> None:
        self.camera.background_color = self.theme["background"]
        for tl in self.acts:
            self.tl = tl
            self.clear()
            self.show_title()
            self.show_panel()
            self.build_space()
            for i, (start, length, kind) in enumerate(tl.blocks):
                self.show_caption(tl.captions[tl.caption_index[i]])
                if tl.notes:
                    self.show_notes(tl.notes[i])
                if kind == frames.HOLD:
                    self.hold(start, length)
                elif kind == frames.MOVE:
                    self.move(start, length)
                elif kind == frames.REWIND:
                    self.rewind(start, length)
                else:
                    self.fade_line(start, length)

    # --- steps ---------------------------------------------------------------------------------

    def text(self, s: str, font_size: float = 20, bold: bool = False) -> ImageMobject:
        """A cached text line: counters repeat, and each costs a cairo drawing."""
        key = (s, font_size, bold)
        if key not in self.texts:
            self.texts[key] = text(s, font_size=font_size, color=self.theme["ink"], bold=bold)
        return self.texts[key].copy()

    def show_title(self) -> None:
        """A title card for figures in several parts (its frames are counted in the timeline)."""
        if not self.tl.title:
            return
        card = self.text(self.tl.title, font_size=34)
        self.add(card)
        n = self.tl.title_frames
        self.wait((n + 0.5) / self.tl.fps, frozen_frame=True)
        self.on_frames(n)
        self.remove(card)

    def show_panel(self) -> None:
        tl, lay = self.tl, self.tl.layout
        k = lay.text_scale
        left = np.array([lay.panel_left, 0.0, 0.0])
        legend = Group(*(self.legend_row(c, label) for c, label in zip(self.colors(), tl.classes)))
        lines = [self.text(tl.result[0], font_size=22 * k, bold=True)]
        lines += [self.text(s, font_size=18 * k) for s in tl.result[1:]]
        self.result = Group(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.12 * k)
        if tl.counter:
            self.counter = self.text(tl.counter[0], font_size=20 * k)
        if lay.panel == "side":
            info = Group(*(self.text(s, font_size=20 * k) for s in tl.info))
            info.arrange(DOWN, aligned_edge=LEFT, buff=0.12 * k)
            # A fixed left edge beside the plot: long lines grow to the right, into free space.
            info.to_edge(UP, buff=1.4).align_to(left, LEFT)
            if len(tl.classes) > 4:  # ten digits: two columns
                legend.arrange_in_grid(cols=5, buff=(0.3, 0.1), flow_order="rd")
            else:
                legend.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
            legend.next_to(info, DOWN, aligned_edge=LEFT, buff=0.35)
            below = legend
            if tl.counter:
                self.counter.next_to(legend, DOWN, aligned_edge=LEFT, buff=0.45)
                below = self.counter
            self.result.next_to(below, DOWN, aligned_edge=LEFT, buff=0.4)
            self.add(info)
        else:  # a square frame: a strip under the plot, the legend on top, the numbers below it
            strip_top = lay.plot_center[1] - lay.plot_half - 0.15
            if len(tl.classes) > 4:
                legend.arrange_in_grid(cols=5, buff=(0.3, 0.1), flow_order="rd")
            else:
                legend.arrange(RIGHT, buff=0.4)
            legend.move_to(np.array([0.0, strip_top - legend.height / 2, 0.0])).align_to(left, LEFT)
            if tl.counter:
                self.counter.next_to(legend, DOWN, aligned_edge=LEFT, buff=0.15)
            self.result.next_to(legend, DOWN, aligned_edge=LEFT, buff=0.15)
        self.legend = legend
        if tl.counter:
            self.add(self.counter)
        self.captions: dict[str, ImageMobject] = {}
        self.caption = Group()
        self.notes = Group()
        self.add(legend)

    def colors(self) -> list[str]:
        """One colour per class: the essay's red and blue for two, the palette for more."""
        if len(self.tl.classes) == 2:
            return [self.theme["a"], self.theme["b"]]
        return list(PALETTE[: len(self.tl.classes)])

    def legend_row(self, color: str, label: str) -> Group:
        dot = path_mobject(frames.dot_paths(np.zeros((1, 3), np.float32), 0.08),
                           fill_color=color, fill_opacity=1, stroke_width=0)
        return Group(dot, self.text(label, font_size=20 * self.tl.layout.text_scale)).arrange(RIGHT, buff=0.15)

    def build_space(self) -> None:
        tl = self.tl
        heat_colors = [
            ManimColor(self.theme["heat_a"]).interpolate(ManimColor(self.theme["heat_b"]), float(p))
            for p in tl.heat_levels
        ]
        self.heat = [
            path_mobject(h[0], fill_color=c, fill_opacity=1.0, stroke_width=0)
            for h, c in zip(tl.heat, heat_colors)
        ]
        self.grid = path_mobject(tl.grid[0], stroke_color=self.theme["grid"], stroke_width=1.0, stroke_opacity=0.8)
        self.boundary = path_mobject(tl.boundary[0], stroke_color=self.theme["ink"], stroke_width=2.0,
                                     stroke_opacity=0.55)
        self.dots = [
            path_mobject(frames.dot_paths(p[0], DOT_RADIUS), fill_color=c, fill_opacity=0.9,
                         stroke_width=0)
            for p, c in zip(tl.points, self.colors())
        ]
        self.line = Line(LEFT, RIGHT, color=self.theme["ink"], stroke_width=4)
        self.line.set_stroke(opacity=0.0)
        parts = [*self.heat, self.grid, self.boundary, *self.dots, self.line]
        if tl.arrows is not None:  # vector-field steps: the arrows of F; orange where it folds
            self.arrows = [
                path_mobject(tl.arrows[0][:0], stroke_color=self.theme[c], stroke_width=w, stroke_opacity=0.0)
                for c, w in (("arrow", 2.2), ("fold", 3.0))
            ]
            parts += self.arrows
        if tl.plane is not None:  # 3D: the separating plane, a translucent quad
            self.plane = path_mobject(tl.plane[-1], fill_color=self.theme["ink"],
                                      fill_opacity=0.0, stroke_color=self.theme["ink"], stroke_width=1.5,
                                      stroke_opacity=0.0)
            parts.append(self.plane)
        self.space = VGroup(*parts)
        self.add(self.space)
        self.result_shown = False

    def show_caption(self, caption: str) -> None:
        if caption not in self.captions:
            size = 24.0
            ink = self.theme["ink"]
            new = text(caption, font_size=size, color=ink)
            if new.width > config.frame_width - 0.6:  # redrawn smaller: images are never scaled
                new = text(caption, font_size=size * (config.frame_width - 0.6) / new.width, color=ink)
            self.captions[caption] = new.to_edge(UP, buff=0.25)
        self.remove(self.caption)
        self.caption = self.captions[caption]
        self.add(self.caption)

    def show_notes(self, lines: tuple[str, ...]) -> None:
        """The overlay: the current stage's numbers, at the foot of the side panel."""
        self.remove(self.notes)
        if self.result_shown and self.tl.layout.panel == "bottom":
            return  # the strip shows the final numbers now
        if lines:
            lay = self.tl.layout
            self.notes = Group(*(self.text(s, font_size=16 * lay.text_scale) for s in lines))
            self.notes.arrange(DOWN, aligned_edge=LEFT, buff=0.08)
            if lay.panel == "side":
                self.notes.to_edge(DOWN, buff=0.5).align_to(np.array([lay.panel_left, 0.0, 0.0]), LEFT)
            else:
                self.notes.next_to(self.legend, DOWN, aligned_edge=LEFT, buff=0.15)
            self.add(self.notes)

    def set_frame(self, f: int) -> None:
        tl = self.tl
        for mob, h in zip(self.heat, tl.heat):
            mob.points = h[f]
        self.grid.points = tl.grid[f]
        self.boundary.points = tl.boundary[f]
        for mob, p in zip(self.dots, tl.points):
            mob.points = frames.dot_paths(p[f], DOT_RADIUS)
        if tl.plane is not None:
            self.plane.points = tl.plane[f].astype(np.float64)
            self.plane.set_fill(opacity=0.22 * float(tl.line_opacity[f]))
            self.plane.set_stroke(opacity=0.8 * float(tl.line_opacity[f]))
        elif tl.line_opacity[f] > 0.0:  # only where the line meets the plot area
            self.line.put_start_and_end_on(tl.line[f][0], tl.line[f][1])
        self.line.set_stroke(opacity=0.0 if tl.plane is not None else float(tl.line_opacity[f]))
        if tl.arrows is not None:
            alpha = float(tl.arrow_opacity[f])
            pieces = tl.arrows[f].reshape(len(tl.arrow_folds[f]), -1, 3)
            for mob, mask in zip(self.arrows, (~tl.arrow_folds[f], tl.arrow_folds[f])):
                mob.points = pieces[mask].reshape(-1, 3).astype(np.float64) if alpha > 0 else pieces[:0, 0]
                mob.set_stroke(opacity=0.9 * alpha)
        if tl.counter:
            # Same place, new pixels: FastCamera blits an image at its top-left corner, whatever
            # its width, so swapping the array is all a changing line of text needs.
            self.counter.pixel_array = self.text(tl.counter[f], font_size=20).pixel_array

    def show_result(self, f: int) -> None:
        """The numbers, and a ring around every point the network gets wrong."""
        rings = [frames.dot_paths(p[f][w], DOT_RADIUS * 2.2) for p, w in zip(self.tl.points, self.tl.wrong)]
        self.rings = path_mobject(np.concatenate(rings), stroke_color=self.theme["ink"], stroke_width=1.2,
                                  stroke_opacity=0.7, fill_opacity=0)
        if self.tl.layout.panel == "bottom":
            self.remove(self.notes)  # the strip under the plot now holds the numbers
            if self.tl.counter:
                self.remove(self.counter)
        self.add(self.result, self.rings)
        self.result_shown = True

    # --- playing blocks of frames ----------------------------------------------------------------
    # A block of n frames plays for (n - 0.5) / fps seconds: manim then renders exactly n frames
    # (times 0, 1/fps, ..., (n-1)/fps), and alpha * (n - 0.5) recovers the frame index.

    def _play(self, mobs: list, start: int, length: int, draw: Callable[[int], None]) -> None:
        seen = {"last": -1}

        def update(_mob: VMobject, alpha: float) -> None:
            k = min(int(np.floor(alpha * (length - 0.5) + 1e-6)), length - 1)
            draw(start + k)
            if k > seen["last"]:
                self.on_frames(k - seen["last"])
                seen["last"] = k

        group = mobs[0] if len(mobs) == 1 else Group(*mobs)
        self.play(
            UpdateFromAlphaFunc(group, update, run_time=(length - 0.5) / self.tl.fps, rate_func=linear)
        )

    def rewind(self, start: int, length: int) -> None:
        """--loop: back to the first frame, without the numbers, so the video loops seamlessly."""
        if self.result_shown:
            self.remove(self.result, self.rings)
            self.result_shown = False
        self.move(start, length)

    def move(self, start: int, length: int) -> None:
        mobs = [self.space] + ([self.counter] if self.tl.counter else [])
        self._play(mobs, start, length, self.set_frame)

    def fade_line(self, start: int, length: int) -> None:
        self.show_result(start)
        self._play([self.space], start, length, self.set_frame)

    def hold(self, start: int, length: int) -> None:
        self.set_frame(start)
        if start + length == self.tl.n_frames and not self.result_shown:
            self.show_result(start)  # every video ends with its numbers
        if not self.frozen_holds:
            self._play([self.space], start, length, lambda f: None)
            return
        # A frozen frame is repeated int(duration * fps) times: (n + 0.5) / fps gives n.
        self.wait((length + 0.5) / self.tl.fps, frozen_frame=True)
        self.on_frames(length)
