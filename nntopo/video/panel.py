"""The text around the plot: the run's description, the legend, the counter, the numbers at the
end and the overlay's numbers, placed by the storyboard's layout (sizes and gaps come from it).

Side panel (16:9, 4:3): one column beside the plot, top to bottom: info, legend, counter,
result; the overlay's notes sit at the foot of the column until the result appears, then right
under it, so the two never overlap. Bottom strip (1:1): legend, then counter and notes, replaced
by the result at the end. Notes that would leave the frame are drawn smaller, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Group, ImageMobject, config

from ..storyboard import Storyboard, dot_paths
from .text import path_mobject

Text = Callable[..., ImageMobject]  # text(s, size, bold=False) -> a line of text


class Panel:
    def __init__(self, sb: Storyboard, colors: list[str], text: Text):
        self.sb, self.lay, self.text = sb, sb.layout, text
        lay = self.lay
        self.left = np.array([lay.panel_left, 0.0, 0.0])
        self.legend = Group(*(self._legend_row(c, label) for c, label in zip(colors, sb.classes)))
        self.result = self._result(sb.result)
        self.counter = text(" ", lay.size("counter")) if sb.counter else None
        self.info = Group()
        if lay.panel == "side":
            self._side()
        else:
            self._strip()

    def _result(self, lines: tuple[str, ...], scale: float = 1.0, columns: int = 1) -> Group:
        """The numbers: a column of lines, or `columns` side by side (filled top to bottom)."""
        lay = self.lay
        drawn = [self.text(lines[0], lay.size("result_head") * scale, bold=True)]
        drawn += [self.text(s, lay.size("result") * scale) for s in lines[1:]]
        gap = lay.text.line_gap * lay.text_scale * scale
        if columns == 1:
            return Group(*drawn).arrange(DOWN, aligned_edge=LEFT, buff=gap)
        rows = -(-len(drawn) // columns)
        return Group(*drawn).arrange_in_grid(rows=rows, cols=columns, flow_order="dr", col_alignments="l" * columns,
                                             buff=(lay.text.legend_row_gap, gap))

    def _fit_result(self, place: Callable[[Group], None]) -> None:
        """Keep the numbers inside the frame: in the bottom strip, in two columns; then redrawn
        smaller (down to notes_smallest); then, if they still do not fit, without their last
        lines. place(group) puts a group where the result goes."""
        t = self.lay.text
        floor = -config.frame_height / 2 + t.frame_margin
        lines, scale, columns = self.sb.result, 1.0, 1
        smallest = t.notes_smallest / t.result
        right = config.frame_width / 2 - t.frame_margin
        while True:
            below = floor - self.result.get_bottom()[1]
            beyond = self.result.get_right()[0] - right
            if below <= 1e-9 and beyond <= 1e-9:
                return
            if columns == 1 and self.lay.panel == "bottom" and len(lines) > 2 and below > 0:
                columns = 2  # the strip is wide and short: the lines side by side
            elif scale > smallest:
                fit = min(1 - max(below, 0) / self.result.height, 1 - max(beyond, 0) / self.result.width)
                scale = max(smallest, scale * fit * 0.98)
            elif len(lines) > 1:
                lines = lines[:-1]
            else:
                return
            self.result = self._result(lines, scale, columns)
            place(self.result)

    def _legend_row(self, color: str, label: str) -> Group:
        lay = self.lay
        dot = path_mobject(dot_paths(np.zeros((1, 3), np.float32), lay.text.legend_dot),
                           fill_color=color, fill_opacity=1, stroke_width=0)
        return Group(dot, self.text(label, lay.size("legend"))).arrange(RIGHT, buff=lay.text.dot_label_gap)

    def _arrange_legend(self, many: Callable[[], None]) -> None:
        if len(self.sb.classes) > 2:  # up to ten classes: a grid, as many columns as fit (at most 5)
            gap = self.lay.text.legend_columns_gap
            room = config.frame_width / 2 - self.lay.panel_left - self.lay.text.frame_margin
            widest = max(row.width for row in self.legend)
            cols = int(max(1, min(5, (room + gap[0]) // (widest + gap[0]))))
            self.legend.arrange_in_grid(cols=cols, buff=gap, flow_order="rd")
        else:
            many()

    def _side(self) -> None:
        t = self.lay.text
        self.info = Group(*(self.text(s, self.lay.size("info")) for s in self.sb.info))
        self.info.arrange(DOWN, aligned_edge=LEFT, buff=t.line_gap * self.lay.text_scale)
        # A fixed left edge beside the plot: long lines grow to the right, into free space.
        self.info.to_edge(UP, buff=t.info_top).align_to(self.left, LEFT)
        self._arrange_legend(lambda: self.legend.arrange(DOWN, aligned_edge=LEFT, buff=t.legend_gap))
        self.legend.next_to(self.info, DOWN, aligned_edge=LEFT, buff=t.group_gap)
        below = self.legend
        if self.counter is not None:
            self.counter.next_to(self.legend, DOWN, aligned_edge=LEFT, buff=t.counter_gap)
            below = self.counter
        place = lambda g: g.next_to(below, DOWN, aligned_edge=LEFT, buff=t.result_gap)  # noqa: E731
        place(self.result)
        self._fit_result(place)

    def _strip(self) -> None:
        t = self.lay.text
        self._arrange_legend(lambda: self.legend.arrange(RIGHT, buff=t.legend_row_gap))
        self.legend.move_to(np.array([0.0, self.lay.strip_top - self.legend.height / 2, 0.0]))
        self.legend.align_to(self.left, LEFT)
        if self.counter is not None:
            self.counter.next_to(self.legend, DOWN, aligned_edge=LEFT, buff=t.strip_gap)
        place = lambda g: g.next_to(self.legend, DOWN, aligned_edge=LEFT, buff=t.strip_gap)  # noqa: E731
        place(self.result)
        self._fit_result(place)

    def static(self) -> list:
        """What stays from the first frame to the last."""
        return [m for m in (self.info, self.legend, self.counter) if m is not None]

    def counter_pixels(self, s: str) -> np.ndarray:
        """The counter's new line, for the same place: the camera blits an image at its top-left
        corner whatever its width, so swapping the pixels is all a changing line needs."""
        return self.text(s or " ", self.lay.size("counter")).pixel_array

    def notes(self, lines: tuple[str, ...], result_shown: bool) -> Group | None:
        """The overlay's numbers, placed; redrawn smaller where they would leave the frame, and
        None where even that would not fit (the result then has the room: the strip at the end,
        or a crowded side panel)."""
        lay, t = self.lay, self.lay.text
        if not lines or (result_shown and lay.panel == "bottom"):
            return None
        size = lay.size("notes")
        floor = -config.frame_height / 2 + t.frame_margin
        while True:
            notes = Group(*(self.text(s, size) for s in lines))
            notes.arrange(DOWN, aligned_edge=LEFT, buff=t.notes_gap)
            if lay.panel == "bottom":
                notes.next_to(self.legend, DOWN, aligned_edge=LEFT, buff=t.strip_gap)
            elif result_shown:
                notes.next_to(self.result, DOWN, aligned_edge=LEFT, buff=t.result_gap)
            else:
                notes.to_edge(DOWN, buff=t.notes_bottom).align_to(self.left, LEFT)
            over = floor - notes.get_bottom()[1]
            if over <= 0:
                return notes
            size *= (notes.height - over) / notes.height * 0.98  # the top stays where it is
            if size < t.notes_smallest * lay.text_scale:
                return None
