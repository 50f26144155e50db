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
from ..storyboard.timeline import Kind
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


def framewise(a: np.ndarray) -> dict:
    """Per-frame positions (T, K, 2+) as `quantised` (16-bit steps over their box, per coordinate),
    each frame after the first held as its steps' change from the frame before (modulo 2^16):
    frames move little, so the changes are small numbers that gzip packs tightly. The page adds
    them up again (exact: integers)."""
    a = np.asarray(a, np.float64)[..., :2]
    q = quantised(a)
    steps = np.frombuffer(gzip.decompress(base64.b64decode(q["z"])), "<u2").reshape(a.shape)
    d = steps.copy()
    d[1:] = steps[1:] - steps[:-1]  # uint16: wraps, and the page's Uint16Array wraps back
    return dict(blob(d, "u2"), lo=q["lo"], step=q["step"], k=int(a.shape[1]))


def _path(a: np.ndarray) -> dict:
    """Bezier paths (T, 4 * pieces, 3) as the page draws them: when they are centripetal
    Catmull-Rom through their anchors (paths.py: the grid, the heat map's rings, the boundary), only
    the anchors, a quarter of the numbers, with each subpath's length and whether it closes (the
    page makes the same pieces: checked here, to 1e-4 units); otherwise the control points."""
    from ..storyboard.paths import PathIndex

    T, K = a.shape[:2]
    pieces = a[:, :, :2].reshape(T, K // 4, 4, 2)
    joined = np.all(pieces[:, 1:, 0] == pieces[:, :-1, 3], axis=(0, 2))  # piece j + 1 goes on from j
    cuts = np.flatnonzero(~joined) + 1
    lengths, anchors, closed = [], [], None
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, K // 4]):
        ring = bool(np.all(pieces[:, hi - 1, 3] == pieces[:, lo, 0])) and hi - lo > 2
        if closed is not None and ring != closed:
            break  # open and closed subpaths mixed: held as they are
        closed = ring
        anchors.append(pieces[:, lo:hi, 0] if ring else np.concatenate([pieces[:, lo:hi, 0], pieces[:, hi - 1 : hi, 3]], 1))
        lengths.append(anchors[-1].shape[1])
    else:
        x = np.concatenate(anchors, 1)
        again = PathIndex.build(lengths, closed=closed).bezier(np.concatenate([x, np.zeros(x.shape[:2] + (1,))], -1))
        if np.abs(again[..., :2] - a[..., :2]).max() <= 1e-4:
            return dict(framewise(x), smooth=True, closed=closed, lengths=[int(n) for n in lengths])
    return dict(framewise(a), smooth=False)


def _screen(data: PageData) -> dict:
    """A screen part's own frames (storyboard/timeline.py Frames): the data by row, the paths'
    Bezier control points (4 per cubic piece), the separator, the counter's lines."""
    fr, sb = data.frames, data.storyboard
    T = len(fr)

    def path(a: np.ndarray):
        return _path(np.asarray(a)) if a.shape[1] else None

    lines = list(dict.fromkeys(str(c) for c in fr.counter)) if sb.counter else []
    at = {s: i for i, s in enumerate(lines)}
    last = next((s for s, b in zip(sb.starts()[::-1], sb.blocks[::-1]) if b.kind is Kind.HOLD), T - 1)
    return {
        "points": framewise(data.screen_points),
        "grid": path(fr.grid), "boundary": path(fr.boundary), "plane": path(fr.plane),
        "heat": [path(h) for h in fr.heat],
        "line": blob(np.asarray(fr.line)[..., :2]), "line_opacity": blob(fr.line_opacity),
        "counter": {"lines": lines, "at": blob(np.array([at[str(c)] for c in fr.counter]), "u2")} if lines else None,
        "view": None if sb.view is None else {"center": blob(sb.view[0][:T]), "half": blob(sb.view[1][:T])},
        "result_from": int(last),
    }


def payload(data: PageData, title: str = "") -> dict:
    """One part's data as JSON-able values (see the script for how each is read)."""
    sb, w = data.storyboard, data.world
    lay = LAYOUTS[data.aspect]
    blocks, start = [], 0
    for b in sb.blocks:
        blocks.append({"kind": b.kind.value, "frames": b.frames, "start": start, "caption": b.caption,
                       "stage": b.stage, "layer": b.layer, "notes": list(b.notes)})
        start += b.frames
    if w is None:
        from ..video.theme import DOT_OPACITY, STROKES

        return {
            "title": title, "fps": sb.fps, "frames": sb.n_frames, "E": 2, "layout": _layout(lay, True),
            "theme": data.theme, "colors": list(data.colors), "heat": list(data.heat),
            "strokes": {k: list(v) for k, v in STROKES.items()}, "dot_opacity": DOT_OPACITY,
            "dot": DOT_RADIUS, "ring": RING_RADIUS, "blocks": blocks, "info": list(sb.info),
            "result": list(sb.result), "classes": list(sb.classes), "N": int(len(data.labels)),
            "labels": blob(data.labels, "u1"), "wrong": blob(data.wrong, "u1"), "screen": _screen(data),
        }
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
        "layout": _layout(lay),
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


def _layout(lay, counter: bool = False) -> dict:
    """Where the plot and the text go (storyboard/layout.py); with the counter's size and gap
    for a part that shows one."""
    t = lay.text
    out = {"aspect": lay.aspect, "width": lay.frame_width, "plot_center": list(lay.plot_center),
           "plot_half": lay.plot_half, "panel": lay.panel, "panel_left": lay.panel_left,
           "strip_top": lay.strip_top, "text_scale": lay.text_scale,
           "caption_top": t.caption_top, "caption_margin": t.caption_margin, "info_top": t.info_top,
           "frame_margin": t.frame_margin, "group_gap": t.group_gap, "result_gap": t.result_gap,
           "line_gap": t.line_gap, "legend_dot": t.legend_dot,
           "sizes": {k: lay.size(k) for k in ("caption", "info", "legend", "result_head", "result", "notes")}}
    if counter:
        out["sizes"]["counter"] = lay.size("counter")
        out["counter_gap"] = t.counter_gap
    return out


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
