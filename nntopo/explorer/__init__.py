"""The video as a page: `nntopo explore` writes one self-contained HTML file in which the
storyboard of a recording's video plays, scrubs, turns and answers questions about its points.

    data   the storyboard's geometry before the camera (storyboard/world.py), or, for one drawn
           while its network trains (a training scene, knn), its own screen frames; labels, colours
    document  that data as escaped JSON in one HTML file with its script and style inlined

The page needs nothing beside it and makes no request: it opens from disk, offline, and the same
recording and options give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RenderOptions
from ..recording import Recording


def page(rec: Recording, opts: RenderOptions = RenderOptions(), title: str | None = None) -> str:
    """The page of `rec`'s video with `opts` (its scene, layers or training; frame rate,
    background, aspect, view, overlay; a loop does not apply) as one HTML string."""
    from dataclasses import replace

    from ..video import storyboard_of
    from . import data, document

    opts = replace(opts, loop=False)
    sb = storyboard_of(rec, opts)
    d = data.build(sb, rec.y, opts.theme, opts.aspect)
    return document.html([d], title or f"nntopo explore: {rec.meta.data.name}")


def figure_page(name: str, opts: RenderOptions = RenderOptions(), cache: Path | None = None,
                progress=None, on_start=None) -> str:
    """The page of figure `name` of the catalogue (its runs trained, or read from `cache`): one
    part per run, shown one at a time; a run drawn while it trains (knn, a training scene) as
    its storyboard's own screen frames."""
    from dataclasses import replace

    from ..catalogue import figures
    from ..config import one_of
    from . import data, document

    one_of("figure", name, figures.FIGURES)
    fig = figures.FIGURES[name]
    opts = replace(opts, loop=False, scene="layers")
    if on_start is not None:
        on_start("training", sum(r.work() for r in fig.runs))
    recs = figures.recordings(fig, cache, progress)
    boards = figures.storyboards(fig, recs, opts, cache)
    parts = [data.build(b, r.y, opts.theme, opts.aspect) for b, r in zip(boards, recs)]
    titles = [run.title or fig.claim for run in fig.runs]
    return document.html(parts, f"nntopo explore: {name}", titles)


def write(rec: Recording, output: str | Path, opts: RenderOptions = RenderOptions(),
          title: str | None = None) -> Path:
    """The page of `rec` written to `output` in one rename (atomic.write_text)."""
    from ..atomic import write_text

    return write_text(output, page(rec, opts, title))
