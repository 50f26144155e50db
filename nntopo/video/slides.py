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

from manim import Scene, config

from ..errors import NntopoError
from .scene import LayerFlow

try:
    from manim_slides.slide.base import BaseSlide
    from manim_slides.slide.manim import Slide
except ImportError as e:  # the optional extra is not installed
    raise NntopoError("the manim-slides scene needs manim-slides: pip install 'nntopo[slides]'") from e

# manim up to 0.21 has the options manim-slides' Slide sets; 0.22 has neither. With 0.22 this
# scene uses two private pieces of manim-slides 5.7 (the extra pins 5.7.x, and
# tests/test_slides.py checks both): BaseSlide.__init__, called past Slide's, and _save_slides.
OLD_MANIM = hasattr(type(config), "write_to_movie")


class LayerFlowSlides(Slide, LayerFlow):
    """Plays storyboards as LayerFlow does, with a manim-slides cut before every act and every new
    segment, carrying that slide's notes. segments: per act, each block's segment (deck.cut:
    None for the intro); notes: per act, the title slide's then each segment's (deck.notes).
    deck.manim_slides(parts, per) makes both from a deck's parts."""

    def __init__(self, storyboards: list, segments: list[list[int | None]], notes: list[list[str]], **kwargs):
        self.segments, self.said = segments, notes
        self.slide_at: tuple[int, int | None] | None = None  # (act, segment) playing now
        if OLD_MANIM:
            super().__init__(storyboards=storyboards, **kwargs)
        else:
            config.max_files_cached = -1  # manim-slides needs every partial movie after the render
            BaseSlide.__init__(self, storyboards=storyboards, **kwargs)

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
