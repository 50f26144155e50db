"""Decks for talks: the layer-by-layer video cut at every stage (or layer) into slides, each clip
playing when its slide opens, with that stage's measured numbers as speaker notes.

    cut         where the video is cut: clips that meet frame to frame (pure storyboard logic)
    notes       each stage's numbers (analysis.inspect) in words a presenter reads aloud
    powerpoint  .pptx (python-pptx): a 16:9 deck, media embedded, clips start automatically
    reveal      .html: one self-contained reveal.js file (its own files inlined), works offline
    handout     .pdf: a page per slide, its picture and its numbers

`manim_slides(parts, per)` is the same cut as a manim-slides scene (video.slides.LayerFlowSlides).

`build` renders every clip in one pass (video.render_clips: no frame drawn twice), then writes
the deck by the output's suffix, through atomic.replacing: an interrupted build leaves nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from ..config import Progress, RenderOptions

if TYPE_CHECKING:  # for the annotations only: neither is imported to make a deck's cut
    from ..analysis.inspect import Report
    from ..storyboard import Storyboard

SUFFIXES = (".pptx", ".html", ".pdf")
QUALITY = "medium"  # the clips' default size: 720p30


@dataclass(frozen=True)
class Slide:
    title: str  # the slide's title: the stage's caption, the run's title
    picture: Path  # the still a handout shows: where the clip ends
    clip: Path | None  # the clip that plays when the slide opens (None: a still slide)
    poster: Path | None  # the clip's first frame
    notes: str  # the speaker notes


@dataclass(frozen=True)
class Part:
    """One run of the deck: its storyboard, its inspect report, the title of its first slide."""

    board: Storyboard
    report: Report  # analysis.inspect
    title: str


def part(rec, opts: RenderOptions, title: str | None = None) -> Part:
    """A recording's part of a deck: its layer-by-layer storyboard, measured for the notes."""
    from ..analysis.inspect import inspect
    from ..video import storyboard_of

    return Part(storyboard_of(rec, opts), inspect(rec), title or f"What each layer does to {rec.dataset}")


def figure_parts(name: str, opts: RenderOptions, cache: Path | None = None, progress: Progress | None = None,
                 on_start: Callable[[str, int], None] | None = None) -> list[Part]:
    """The parts of a figure of the catalogue, one per run (trained, or read from `cache`, with
    the measurements the notes read: figures.report)."""
    from ..catalogue import figures
    from ..config import one_of
    from ..errors import NntopoError

    one_of("figure", name, figures.FIGURES)
    fig = figures.FIGURES[name]
    if any(isinstance(r, figures.KnnRun) for r in fig.runs):
        raise NntopoError(f"{name}: its runs are drawn while they train, with no layers to cut; decks "
                          "are made of layer-by-layer figures")
    if on_start is not None:
        on_start("training", sum(r.work() for r in fig.runs))
    recs = figures.recordings(fig, cache, progress)
    boards = figures.storyboards(fig, recs, opts, cache)
    paths = [figures.cache_path(run, cache) if cache else None for run in fig.runs]
    return [Part(b, figures.report(r, p), run.title or fig.claim)
            for b, r, p, run in zip(boards, recs, paths, fig.runs)]


def build(parts: list[Part], output: str | Path, opts: RenderOptions, per: str = "stage",
          progress: Progress | None = None, on_start: Callable[[str, int], None] | None = None) -> Path:
    """Render the parts' clips in one pass and write the deck to `output` (.pptx, .html, .pdf)."""
    from ..atomic import check_output, replacing
    from ..video import render_clips
    from . import cut, handout, notes, powerpoint, reveal

    output = check_output(output, SUFFIXES)
    boards = [p.board for p in parts]
    acts = cut.acts(boards, per)
    clips = [(s.first, s.last) for a in acts for s in a.segments]
    stills = tuple(a.title_frame for a in acts)
    if on_start is not None:
        on_start("rendering", sum(b.total_frames for b in boards))
    with tempfile.TemporaryDirectory(prefix="nntopo-deck-") as tmp:
        drawn = render_clips(boards, clips, tmp, opts, progress, stills)
        slides, k = [], 0
        for act, part in zip(acts, parts):
            said = notes.act(act, part.report)
            slides.append(Slide(part.title, drawn.stills[act.title_frame], None, None, said[0]))
            for seg, words in zip(act.segments, said[1:]):
                slides.append(Slide(seg.caption, drawn.lasts[k], drawn.paths[k], drawn.posters[k], words))
                k += 1
        writer = {".pptx": powerpoint.write, ".html": reveal.write, ".pdf": handout.write}[output.suffix.lower()]
        with replacing(output) as tmp_out:
            writer(slides, tmp_out, opts)
    return output



def slide_cut(parts: list[Part], per: str = "stage") -> tuple[list, list[list[int | None]], list[list[str]]]:
    """Where a manim-slides presentation of the parts cuts, as `build` cuts its clips: the
    storyboards, per act each block's segment (None: the intro), per act the notes of its title
    slide and of each segment."""
    from ..config import PER, one_of
    from . import cut, notes

    one_of("per", per, PER)
    boards = [p.board for p in parts]
    segments = [cut.segment_of(b.blocks, per) for b in boards]
    said = [notes.act(a, p.report) for a, p in zip(cut.acts(boards, per), parts)]
    return boards, segments, said


def manim_slides(parts: list[Part], per: str = "stage", **scene):
    """The parts as a manim-slides presentation (video.slides.LayerFlowSlides, the extra
    nntopo[slides]), cut by slide_cut. scene: the scene's own keywords (theme, output_folder,
    ...). Build and render it inside manim's tempconfig."""
    from ..video.slides import LayerFlowSlides

    return LayerFlowSlides(*slide_cut(parts, per), **scene)
