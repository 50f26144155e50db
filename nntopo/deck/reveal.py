"""The deck as one self-contained reveal.js page (.html): reveal.js's own files (shipped in
nntopo/deck/revealjs, from its npm package, with its licence), every clip and picture embedded
as data URIs. Nothing is fetched: it works at a conference without a network.

Each slide's clip autoplays (data-autoplay) and holds its last frame; the arrow keys step through
the stages; the notes are reveal.js speaker notes (press S).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ..config import RenderOptions

ASSETS = Path(__file__).parent / "revealjs"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nntopo">
<title>{title}</title>
<link rel="stylesheet" href="{reveal_css}">
<link rel="stylesheet" href="{theme_css}">
<style>
.reveal h3 {{ font-size: 0.9em; text-transform: none; }}
.reveal .nntopo {{ display: flex; gap: 0.6em; align-items: center; justify-content: center; }}
.reveal .nntopo video, .reveal .nntopo img {{ max-height: 600px; max-width: 100%; margin: 0; }}
</style>
</head><body>
<div class="reveal"><div class="slides">
{slides}
</div></div>
<script src="{reveal_js}"></script>
<script src="{notes_js}"></script>
<script>Reveal.initialize({{ hash: false, width: 1280, height: 720, margin: 0.04, controls: true,
  progress: true, plugins: [RevealNotes] }});</script>
</body></html>
"""


def _asset(name: str, mime: str) -> str:
    """One of reveal.js's files as a data URI: inlined whole, never parsed as HTML (a script
    holding '<!--' and '<script', as the notes plugin does, would end early inside <script>)."""
    return _data(ASSETS / name, mime)


def _data(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def write(slides: list, path: Path, opts: RenderOptions) -> None:
    sections = []
    for s in slides:
        if s.clip is not None:
            media = (f'<video data-autoplay muted playsinline preload="auto" poster="{_data(s.poster, "image/png")}" '
                     f'src="{_data(s.clip, "video/mp4")}"></video>')
        else:
            media = f'<img alt="" src="{_data(s.picture, "image/png")}">'
        sections.append(  # the frame itself holds the run's description and numbers
            f'<section><h3>{html.escape(s.title)}</h3><div class="nntopo">{media}</div>'
            f'<aside class="notes">{html.escape(s.notes)}</aside></section>')
    theme = "theme/black.css" if opts.theme == "dark" else "theme/white.css"
    page = PAGE.format(title=html.escape(slides[0].title if slides else "nntopo"),
                       reveal_css=_asset("reveal.css", "text/css"), theme_css=_asset(theme, "text/css"),
                       reveal_js=_asset("reveal.js", "text/javascript"),
                       notes_js=_asset("plugin/notes.js", "text/javascript"),
                       slides="\n".join(sections))
    Path(path).write_text(page, encoding="utf-8")
