"""LayerFlowSlides: the LayerFlow scene as a manim-slides presentation, cut where `nntopo slides`
cuts (deck.cut.segment_of: a slide per stage, or per layer), with the same speaker notes
(deck.notes). For the `manim-slides` command (scenes/slides.py):

    NNTOPO_RECORDING=run.npz manim-slides render -qm scenes/slides.py LayerFlowSlides
    manim-slides present LayerFlowSlides            # or: manim-slides convert LayerFlowSlides talk.html

manim-slides is an optional extra (`pip install 'nntopo[slides]'`); its Qt presenter is its own
extra again, never needed to render or convert.

Slides per act (a figure in two parts has two): the title slide (the act's title card and the
input, its notes the run's numbers), one per stage (or layer), then the outro. Every block of the
storyboard is one `play` or `wait`, so manim-slides cuts on the storyboard's own boundaries.

manim 0.22 no longer has two options manim-slides 5.7's Slide sets (`write_to_movie`,
`flush_cache`) and takes no infinite `max_files_cached`; with such a manim this scene does those
steps itself: it keeps every partial movie (manim-slides concatenates them after the render, and
manim would otherwise prune all but 100), then saves the slides as manim-slides does.
"""

from __future__ import annotations

import os

from manim import Scene, config
from manim._config.utils import ManimConfig

from ..errors import NntopoError
from .scene import LayerFlow

try:
    from manim_slides.slide.base import BaseSlide
    from manim_slides.slide.manim import Slide
except ImportError as e:  # the optional extra is not installed
    raise NntopoError("the manim-slides scene needs manim-slides: pip install 'nntopo[slides]'") from e

# manim up to 0.21 has the options manim-slides' Slide sets; 0.22 has neither
OLD_MANIM = hasattr(ManimConfig, "write_to_movie")


class LayerFlowSlides(Slide, LayerFlow):
    """Plays the parts (deck.Part: a storyboard and its inspect report) as LayerFlow does, with a
    manim-slides cut before every act and every new segment, carrying that slide's notes."""

    def __init__(self, parts: list | None = None, per: str = "stage", **kwargs):
        from ..config import PER, one_of
        from ..deck import cut, notes

        opts = None
        if parts is None:  # run by the manim-slides command: the recording comes from the environment
            per, opts = _settings_from_environment()
            kwargs.setdefault("theme", opts.theme)
        one_of("per", per, PER)
        if parts is None:  # every setting checked: now train or read, and measure
            parts = _parts_from_environment(opts)
        boards = [p.board for p in parts]
        self.segments = [cut.segment_of(b.blocks, per) for b in boards]  # per act: each block's slide
        self.said = [notes.act(a, p.report) for a, p in zip(cut.acts(boards, per), parts)]
        self.slide_at: tuple[int, int | None] | None = None  # (act, segment) playing now
        if OLD_MANIM:
            super().__init__(storyboards=boards, **kwargs)
        else:
            config.max_files_cached = -1  # manim-slides needs every partial movie after the render
            BaseSlide.__init__(self, storyboards=boards, **kwargs)

    def cue(self, act: int, block: int | None) -> None:
        seg = None if block is None else self.segments[act][block]
        if block is not None and seg is None:  # the intro: still the title slide
            return
        if (act, seg) != self.slide_at:
            self.slide_at = (act, seg)
            self.next_slide(notes=self.said[act][0 if seg is None else seg + 1])

    def render(self, *args, **kwargs):
        if OLD_MANIM:
            return super().render(*args, **kwargs)
        rerun = Scene.render(self, *args, **kwargs)
        self._save_slides(use_cache=not (config.disable_caching or self.disable_caching),
                          flush_cache=self.flush_cache, skip_reversing=self.skip_reversing)
        return rerun


def _settings_from_environment():
    """NNTOPO_PER (stage or layer) and NNTOPO_BACKGROUND (light or dark), with the frame rate
    manim was given, as (per, RenderOptions)."""
    from ..config import RenderOptions

    env = os.environ
    opts = RenderOptions(fps=int(config.frame_rate), background=env.get("NNTOPO_BACKGROUND") or "light")
    return env.get("NNTOPO_PER") or "stage", opts


def _parts_from_environment(opts) -> list:
    """The part of NNTOPO_RECORDING (a recording), or the parts of NNTOPO_FIGURE (a figure of the
    catalogue, trained here)."""
    from .. import deck, recording

    path, figure = os.environ.get("NNTOPO_RECORDING"), os.environ.get("NNTOPO_FIGURE")
    if bool(path) == bool(figure):
        raise NntopoError("set NNTOPO_RECORDING to a recording made by `nntopo train`, or NNTOPO_FIGURE "
                          "to a figure of `nntopo figures` (one of them)")
    return [deck.part(recording.load(path), opts)] if path else deck.figure_parts(figure, opts)
