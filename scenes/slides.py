"""The LayerFlowSlides scene for the `manim-slides` command (the scene itself is
nntopo.video.slides; manim-slides comes with `pip install 'nntopo[slides]'`):

    NNTOPO_RECORDING=run.npz manim-slides render -qm scenes/slides.py LayerFlowSlides
    manim-slides present LayerFlowSlides
    manim-slides convert LayerFlowSlides talk.html

NNTOPO_FIGURE=tori takes a figure of the catalogue instead; NNTOPO_PER=layer, a slide per layer;
NNTOPO_BACKGROUND=dark, the dark palette.
"""

from nntopo.errors import NntopoError

try:
    from nntopo.video import slides
except NntopoError as e:  # manim-slides is not installed
    raise SystemExit(f"error: {e}") from None


class LayerFlowSlides(slides.LayerFlowSlides):
    """Defined here so that the manim-slides command finds it in this file."""

    def __init__(self, *args, **kwargs):
        try:
            super().__init__(*args, **kwargs)
        except NntopoError as e:  # a bad recording or setting: one line, not a traceback
            raise SystemExit(f"error: {e}") from None
