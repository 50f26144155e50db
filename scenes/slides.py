"""The LayerFlowSlides scene for the `manim-slides` command (the scene itself is
nntopo.video.slides; manim-slides comes with `pip install 'nntopo[slides]'`):

    NNTOPO_RECORDING=run.npz manim-slides render -qm scenes/slides.py LayerFlowSlides
    manim-slides present LayerFlowSlides
    manim-slides convert LayerFlowSlides talk.html

NNTOPO_FIGURE=tori takes a figure of the catalogue instead; NNTOPO_PER=layer, a slide per layer;
NNTOPO_BACKGROUND=dark, the dark palette. This file is the only reader of those variables: every
one is checked before any training or reading, and a wrong one is one `error: ...` line.
"""

import os

from manim import config

from nntopo.errors import NntopoError

try:
    from nntopo.video import slides
except NntopoError as e:  # manim-slides is not installed
    raise SystemExit(f"error: {e}") from None


def from_environment(env=os.environ) -> tuple[list, str, str]:
    """The deck's parts, the cut (stage or layer) and the theme the environment asks for, each
    setting checked before the recording is read or the figure trained."""
    from nntopo import deck, recording
    from nntopo.config import PER, RenderOptions, one_of

    opts = RenderOptions(fps=int(config.frame_rate), background=env.get("NNTOPO_BACKGROUND") or "light")
    per = env.get("NNTOPO_PER") or "stage"
    one_of("per", per, PER)
    path, figure = env.get("NNTOPO_RECORDING"), env.get("NNTOPO_FIGURE")
    if bool(path) == bool(figure):
        raise NntopoError("set NNTOPO_RECORDING to a recording made by `nntopo train`, or NNTOPO_FIGURE "
                          "to a figure of `nntopo figures` (one of them)")
    parts = [deck.part(recording.load(path), opts)] if path else deck.figure_parts(figure, opts)
    return parts, per, opts.theme


class LayerFlowSlides(slides.LayerFlowSlides):
    """Defined here so that the manim-slides command finds it in this file."""

    def __init__(self, **kwargs):
        from nntopo import deck

        try:
            parts, per, theme = from_environment()
            cut = deck.slide_cut(parts, per)
        except NntopoError as e:  # a bad recording or setting: one line, not a traceback
            raise SystemExit(f"error: {e}") from None
        super().__init__(*cut, theme=theme, **kwargs)
