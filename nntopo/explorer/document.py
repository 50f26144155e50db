"""PageData to one self-contained HTML file: the data as JSON in a <script type="application/json">
(every <, > and & escaped, so no text from a recording can close it or become markup; the page
puts text on screen through textContent only), the arrays in it little-endian, gzip-compressed
(the browser's DecompressionStream inflates them) and base64-encoded; the script and the style
inlined from static/. Deterministic: the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
from importlib import resources

import numpy as np

from ..storyboard.layout import DOT_RADIUS, LAYOUTS, RING_RADIUS
from ..storyboard import camera
from .data import PageData

FORMAT = 1  # the data's layout; the script checks it


def blob(a: np.ndarray, kind: str = "f4") -> dict:
    """An array as {t: dtype, n: length, z: base64(gzip(bytes))}; flattened (shapes are the
    page's to know)."""
    raw = np.ascontiguousarray(np.asarray(a).reshape(-1), np.dtype(kind).newbyteorder("<")).tobytes()
    return {"t": kind, "n": int(np.asarray(a).size), "z": base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode()}


def quantised(a: np.ndarray) -> dict:
    """Positions (..., E) as 16-bit steps over their box, per coordinate: value = lo + q * step."""
    a = np.asarray(a, np.float64)
    E = a.shape[-1]
    flat = a.reshape(-1, E)
    lo = flat.min(0) if len(flat) else np.zeros(E)
    hi = flat.max(0) if len(flat) else np.zeros(E)
    step = np.maximum(hi - lo, 1e-12) / 65535.0
    q = np.round((flat - lo) / step).astype(np.uint16)
    return dict(blob(q, "u2"), lo=[float(v) for v in lo], step=[float(v) for v in step])


def payload(data: PageData, title: str = "") -> dict:
    """One part's data as JSON-able values (see the script for how each is read)."""
    sb, w = data.storyboard, data.world
    lay = LAYOUTS[data.aspect]
    t = lay.text
    blocks, start = [], 0
    for b in sb.blocks:
        blocks.append({"kind": b.kind.value, "frames": b.frames, "start": start, "caption": b.caption,
                       "stage": b.stage, "layer": b.layer, "notes": list(b.notes)})
        start += b.frames
    motions = []
    for m in w.motions:
        if m.sampled is not None:
            motions.append({"r": 0, "sampled": quantised(m.sampled)})
        else:
            motions.append({"r": int(m.x.shape[1]), "x": blob(m.x), "d": None if m.d is None else blob(m.d),
                            "maps": blob(m.maps), "t": blob(m.t)})
    arrows = None
    if w.arrows is not None:
        a = w.arrows
        arrows = {"layers": {str(k): {"tails": blob(a.tails[k]), "tips": blob(a.tips[k]),
                                      "folds": blob(a.folds[k], "u1"), "n": int(len(a.tails[k]))}
                             for k in sorted(a.tails)},
                  "layer": blob(a.layer, "i2"), "opacity": blob(a.opacity)}
    from ..video.theme import DOT_OPACITY, PLANE_FILL, STROKES

    return {
        "title": title, "fps": w.fps, "frames": sb.n_frames, "E": w.E,
        "layout": {"aspect": lay.aspect, "width": lay.frame_width, "plot_center": list(lay.plot_center),
                   "plot_half": lay.plot_half, "panel": lay.panel, "panel_left": lay.panel_left,
                   "strip_top": lay.strip_top, "text_scale": lay.text_scale,
                   "caption_top": t.caption_top, "caption_margin": t.caption_margin, "info_top": t.info_top,
                   "frame_margin": t.frame_margin, "group_gap": t.group_gap, "result_gap": t.result_gap,
                   "line_gap": t.line_gap, "legend_dot": t.legend_dot,
                   "sizes": {k: lay.size(k) for k in ("caption", "info", "legend", "result_head", "result",
                                                      "notes")}},
        "theme": data.theme, "colors": list(data.colors), "heat": list(data.heat),
        "strokes": {k: list(v) for k, v in STROKES.items()}, "dot_opacity": DOT_OPACITY,
        "plane_fill_opacity": PLANE_FILL if sb.plane_fill else 0.0, "dot": DOT_RADIUS, "ring": RING_RADIUS,
        "camera": {"start": camera.CAMERA_START, "turn": camera.CAMERA_TURN, "elevation": camera.CAMERA_ELEVATION},
        "blocks": blocks, "info": list(sb.info), "result": list(sb.result), "classes": list(sb.classes),
        "grid": list(w.grid), "N": w.n_data, "rings": [list(r) for r in w.rings], "bounds": list(w.bounds),
        "labels": blob(data.labels, "u1"), "wrong": blob(data.wrong, "u1"),
        "center": blob(w.center), "half": blob(w.half), "fade": blob(w.fade),
        "line": None if w.line is None else [float(v) for v in w.line],
        "sheets": [blob(s) for s in w.sheets], "sheet_sizes": [int(len(s)) for s in w.sheets],
        "motions": motions, "starts": list(w.starts), "arrows": arrows,
    }


def script_json(value) -> str:
    """JSON safe inside <script type="application/json">: no <, > or & survives (\\u003c ...),
    so nothing in it can end the script or start markup; ASCII only."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _static(name: str) -> str:
    return resources.files("nntopo.explorer").joinpath("static", name).read_text(encoding="utf-8")


def html(parts: list[PageData], title: str, part_titles: list[str] | None = None) -> str:
    """The page of one or more parts (a figure's runs, shown one at a time): one string of
    HTML, nothing outside it needed."""
    script = _static("explore.js")
    assert "</" not in script, "the inlined script must not contain '</'"
    theme = parts[0].theme
    names = part_titles or [title] * len(parts)
    value = {"format": FORMAT, "parts": [payload(p, t) for p, t in zip(parts, names)]}
    return (TEMPLATE.replace("@TITLE@", _text(title))
            .replace("@BG@", theme["background"]).replace("@INK@", theme["ink"])
            .replace("@STYLE@", _static("explore.css"))
            .replace("@DATA@", script_json(value))
            .replace("@SCRIPT@", script))


def _text(s: str) -> str:
    """Text for an element's content: &, <, > and quotes as entities."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'none'; connect-src 'none'">
<title>@TITLE@</title>
<style>:root { --bg: @BG@; --ink: @INK@; }
@STYLE@</style>
</head>
<body>
<main id="app">
<div id="stage" aria-label="the picture: drag to turn (3D) or pan (2D), wheel to zoom">
<canvas id="view" tabindex="0" aria-label="the network's representations of the data"></canvas>
<div id="caption" class="text" aria-live="polite"></div>
<div id="panel" class="text"><div id="info"></div><div id="legend" role="group" aria-label="classes: click to hide or show"></div><div id="result"></div><div id="notes"></div></div>
<div id="tip" class="text" role="status" hidden></div>
<div id="loading" class="text">loading</div>
</div>
<div id="controls">
<button id="play" type="button" aria-label="play (space)">play</button>
<button id="prev" type="button" aria-label="previous stage (left arrow)">&#9664;</button>
<button id="next" type="button" aria-label="next stage (right arrow)">&#9654;</button>
<div id="timeline"><input id="time" type="range" min="0" step="any" value="0" aria-label="time"><div id="ticks"></div></div>
<span id="clock" aria-live="off"></span>
<label>speed <select id="speed"><option value="0.25">0.25x</option><option value="0.5">0.5x</option><option value="1" selected>1x</option><option value="2">2x</option></select></label>
<span id="toggles"></span>
<button id="reset" type="button" aria-label="reset the camera (r)">reset view</button>
<select id="part" hidden aria-label="part of the figure"></select>
<details id="keys"><summary>keys</summary>space: play or pause; &larr; &rarr;: the previous or next stage; , .: a frame back or on;
on the picture (focused): a d &uarr; &darr; turn (3D) or pan (2D); the wheel or + &minus;: zoom; r: reset the view;
drag: turn (3D; with shift: pan) or pan (2D); hover a point (or n, p: the next, the previous; Esc: none): its row and its path; a class in the legend: hide or show it</details>
</div>
</main>
<script type="application/json" id="nntopo-data">@DATA@</script>
<script>
@SCRIPT@
</script>
</body>
</html>
"""
