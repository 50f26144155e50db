"""The palettes: colours by role, for light and dark backgrounds."""

from __future__ import annotations

# The essay's palette: class A red, class B blue, on white; the heat map is the same, paler.
THEMES: dict[str, dict[str, str]] = {
    "light": dict(background="#ffffff", ink="#222222", grid="#8a8a8a", a="#d62728", b="#1f5fbf",
                  heat_a="#f6c9c4", heat_b="#c5d6ef", arrow="#2a7d3b", fold="#e08a00"),
    # On dark slides: the same hues, brighter ink and points, deep heat colours.
    "dark": dict(background="#15171c", ink="#eeeeee", grid="#7d828c", a="#ff5a4f", b="#4d94ff",
                 heat_a="#4a2326", heat_b="#1f3150", arrow="#5fd27a", fold="#ffb340"),
}
# More than two classes (the digits): a categorical palette, the same on light and dark.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
# How each thing is stroked: (manim stroke width, opacity).
STROKES = dict(grid=(1.0, 0.8), boundary=(2.0, 0.55), line=(4.0, 1.0), arrow=(2.2, 0.9),
               fold=(3.0, 0.9), plane=(1.5, 0.8), regions=(3.0, 0.9), ring=(1.2, 0.7))
PLANE_FILL = 0.22  # the separating plane's fill opacity, fully faded in
DOT_OPACITY = 0.9


def class_colors(theme: dict[str, str], n: int) -> list[str]:
    """One colour per class: the essay's red and blue for two, the palette for more."""
    return [theme["a"], theme["b"]] if n == 2 else list(PALETTE[:n])


HEAT_MIX = (0.12, 0.26)  # a C-way heat map: a class's colour over the background, unsure + sure * strength


def heat_colors(theme: dict[str, str], colors: list[str], classes: tuple[int, ...],
                levels) -> list:
    """The fill of every heat level. Two classes (classes == ()): from heat_a to heat_b by the
    probability of B. C classes: the level's class colour over the background, stronger where the
    network is surer; the window (-1) a trace of ink."""
    from manim import ManimColor

    bg = ManimColor(theme["background"])
    if not classes:
        a, b = ManimColor(theme["heat_a"]), ManimColor(theme["heat_b"])
        return [a.interpolate(b, float(p)) for p in levels]
    return [bg.interpolate(ManimColor(theme["ink"]), 0.04) if c < 0
            else bg.interpolate(ManimColor(colors[c]), HEAT_MIX[0] + HEAT_MIX[1] * float(s))
            for c, s in zip(classes, levels)]
