"""The video as a page: `nntopo explore` writes one self-contained HTML file in which the
storyboard of a recording's video plays, scrubs, turns and answers questions about its points.

    data   the storyboard's geometry before the camera (storyboard/world.py), labels, colours
    document  that data as escaped JSON in one HTML file with its script and style inlined

The page needs nothing beside it and makes no request: it opens from disk, offline, and the same
recording and options give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RenderOptions
from ..recording import Recording


def page(rec: Recording, opts: RenderOptions = RenderOptions(), title: str | None = None) -> str:
    """The page of `rec`'s layer-by-layer video with `opts` (frame rate, background, aspect, view,
    overlay; a loop or another scene does not apply) as one HTML string."""
    from dataclasses import replace

    from ..video import storyboard_of
    from . import data, document

    opts = replace(opts, loop=False, scene="layers")
    sb = storyboard_of(rec, opts)
    d = data.build(sb, rec.y, opts.theme, opts.aspect)
    return document.html(d, title or f"nntopo explore: {rec.meta.data.name}")


def write(rec: Recording, output: str | Path, opts: RenderOptions = RenderOptions(),
          title: str | None = None) -> Path:
    """The page of `rec` written to `output` in one rename (atomic.write_text)."""
    from ..atomic import write_text

    return write_text(output, page(rec, opts, title))
