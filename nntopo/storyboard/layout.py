"""Where things go and how long they last: frame layouts, timing, level of detail, and every
size and spacing of the panel's text (the scene reads them here; it holds no numbers of its own).

Manim units: a frame is 8 high; its width follows the aspect (16:9 is 14.22 wide).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Panel:
    """The text around the plot: font sizes (Manim's Text sizes: the em is size / 72 units) and
    gaps, in units; multiplied by the layout's text_scale."""

    caption: float = 24.0  # the line at the top; drawn smaller when it would not fit
    caption_top: float = 0.25  # its gap to the top edge
    caption_margin: float = 0.6  # room it leaves at the sides, in all
    title: float = 34.0  # a title card
    info: float = 20.0  # the run's description
    info_top: float = 1.4  # its gap to the top edge (side panel)
    line_gap: float = 0.12  # between lines of one group
    legend: float = 20.0
    legend_dot: float = 0.08  # radius of a legend's dot
    legend_gap: float = 0.1  # between legend rows
    legend_columns_gap: tuple[float, float] = (0.3, 0.1)  # more than two classes: a grid
    legend_row_gap: float = 0.4  # the bottom strip: between legend entries
    dot_label_gap: float = 0.15  # between a legend's dot and its label
    counter: float = 20.0  # the line that changes every frame
    result_head: float = 22.0  # the first result line, bold
    result: float = 18.0  # the other result lines
    notes: float = 16.0  # the --overlay's numbers
    notes_gap: float = 0.08  # between their lines
    group_gap: float = 0.35  # between info and legend
    counter_gap: float = 0.45  # above the counter
    result_gap: float = 0.4  # above the result
    notes_bottom: float = 0.5  # the notes' gap to the bottom edge (side panel)
    notes_smallest: float = 11.0  # notes that would need a smaller size are not shown
    frame_margin: float = 0.12  # no text comes closer than this to the frame's bottom edge
    strip_gap: float = 0.15  # the bottom strip: between the plot and its text, and its groups
    side_gap: float = 0.5  # between the plot and the side panel; the strip's left margin


@dataclass(frozen=True)
class Layout:
    """Where things go in a frame of a given aspect ratio (manim units; the height is always 8)."""

    aspect: float  # width / height
    plot_center: tuple[float, float]  # centre of the square plot area
    plot_half: float  # half the side of the plot area
    panel: str  # "side": the text beside the plot; "bottom": below it (square frames)
    text_scale: float  # the panel's text size relative to 16:9
    text: Panel = field(default_factory=Panel)

    @property
    def frame_width(self) -> float:
        return 8.0 * self.aspect

    @property
    def panel_left(self) -> float:
        """Left edge of the side panel, or of the bottom strip."""
        if self.panel == "side":
            return self.plot_center[0] + self.plot_half + self.text.side_gap
        return -self.frame_width / 2 + self.text.side_gap

    @property
    def strip_top(self) -> float:
        """Top of the bottom strip (square frames)."""
        return self.plot_center[1] - self.plot_half - self.text.strip_gap

    def size(self, name: str) -> float:
        """A font size of the panel (a field of Panel), scaled for this frame."""
        return getattr(self.text, name) * self.text_scale


LAYOUTS: dict[str, Layout] = {
    "16:9": Layout(16 / 9, (-2.45, -0.35), 3.3, "side", 1.0),
    "4:3": Layout(4 / 3, (-2.1, -0.35), 2.95, "side", 0.7),
    "1:1": Layout(1.0, (0.0, 0.5), 2.75, "bottom", 0.8),
}
CLIP = 40.0  # screen coordinates are clipped here: far outside the frame, finite for cairo
DOT_RADIUS = 0.045  # a data point
RING_RADIUS = 2.2 * DOT_RADIUS  # the ring around a point the network gets wrong


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
    quiver: int = 15  # arrows per side of a vector field's lattice
