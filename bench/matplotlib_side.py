"""The side-by-side of `make bench`: the frames of nntopo's storyboard drawn by matplotlib (Agg)
and encoded by libx264 with nntopo's own settings, as a person would without nntopo's drawing.

    python bench/matplotlib_side.py RECORDING.npz OUT.mp4      # prints: frames seconds

The same storyboard (nntopo's geometry: grid, heat levels, boundary, dots, caption), the same
size and frame rate (480p15), still blocks drawn once and repeated as nntopo repeats them;
matplotlib draws every path as a Bezier path, the dots as one scatter per class, its artists
made once and updated every frame.
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction

import av
import numpy as np


def bezier_path(points: np.ndarray, tol: float = 1e-6):
    """A matplotlib Path of cubic pieces (4 * n, 3), vectorised: a subpath starts wherever a
    piece does not begin where the last one ended, as nntopo's camera does."""
    from matplotlib.path import Path

    n = len(points) // 4
    if n == 0:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    c = points[: 4 * n, :2].reshape(n, 4, 2)
    new = np.ones(n, bool)
    new[1:] = np.abs(c[1:, 0] - c[:-1, 3]).max(1) > tol
    size = 3 + new  # a move where a subpath starts, then the curve's three points
    at = np.cumsum(size) - size
    verts = np.empty((int(size.sum()), 2))
    codes = np.full(len(verts), Path.CURVE4, np.uint8)
    verts[at[new]] = c[new, 0]
    codes[at[new]] = Path.MOVETO
    rest = (at + new)[:, None] + np.arange(3)
    verts[rest.ravel()] = c[:, 1:].reshape(-1, 2)
    return Path(verts, codes)


def main(recording: str, output: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch

    from nntopo.config import RenderOptions
    from nntopo.recording import load
    from nntopo.video import encode, storyboard_of
    from nntopo.video.encode import CODECS
    from nntopo.video.theme import THEMES, class_colors, heat_colors

    THREADS = getattr(encode, "THREADS", {})  # an older tree has none

    t0 = time.perf_counter()
    opts = RenderOptions(quality="low")
    rec = load(recording)
    sb = storyboard_of(rec, opts)
    width, height = opts.size
    theme = THEMES[opts.theme]
    colours = class_colors(theme, len(sb.classes))
    fills = [c.to_hex() for c in heat_colors(theme, colours, sb.heat_classes, sb.heat_levels)]
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100, facecolor=theme["background"])
    ax = fig.add_axes([0, 0, 1, 1])
    half_w = 4.0 * width / height
    ax.set_xlim(-half_w, half_w)
    ax.set_ylim(-4, 4)
    ax.axis("off")
    # The artists are made once; every frame only sets their paths and offsets (what a careful
    # matplotlib animation does), then Agg draws the figure and libx264 encodes it.
    first = sb.frames(0, 1)
    heat = [ax.add_patch(PathPatch(bezier_path(h[0]), facecolor=c, edgecolor="none")) for h, c in zip(first.heat, fills)]
    grid = ax.add_patch(PathPatch(bezier_path(first.grid[0]), facecolor="none", edgecolor=theme["grid"], linewidth=0.8))
    boundary = ax.add_patch(PathPatch(bezier_path(first.boundary[0]), facecolor="none", edgecolor=theme["ink"],
                                      linewidth=1.2, alpha=0.55))
    dots = [ax.scatter(p[0][:, 0], p[0][:, 1], s=9, color=c, alpha=0.9, linewidths=0) for p, c in zip(first.points, colours)]
    caption = ax.text(0, 3.6, "", ha="center", va="center", fontsize=12, color=theme["ink"])
    for i, line in enumerate(sb.info + tuple(sb.classes)):  # the panel, as nntopo shows it
        fig.text(0.6, 0.8 - 0.065 * i, line, fontsize=10, color=theme["ink"])
    codec, (pix_fmt, _), options = CODECS["mp4"]
    frames = 0
    with av.open(output, "w") as out:
        stream = out.add_stream(codec, rate=Fraction(sb.fps), options=dict(options))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if "mp4" in THREADS:  # encoded as nntopo encodes
            stream.thread_type = THREADS["mp4"]
        pts = 0
        for start, block in zip(sb.starts(), sb.blocks):
            caption.set_text(block.caption)
            shown = [start] if block.still else range(start, start + block.frames)
            for f in shown:
                fr = sb.frames(f, f + 1)
                for patch, level in zip(heat, fr.heat):
                    patch.set_path(bezier_path(level[0]))
                grid.set_path(bezier_path(fr.grid[0]))
                boundary.set_path(bezier_path(fr.boundary[0]))
                for scatter, points in zip(dots, fr.points):
                    scatter.set_offsets(points[0][:, :2])
                fig.canvas.draw()
                img = np.asarray(fig.canvas.buffer_rgba())
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[..., :3]), format="rgb24")
                repeat = block.frames if block.still else 1
                for _ in range(repeat):
                    frame.pts = pts
                    pts += 1
                    for packet in stream.encode(frame):
                        out.mux(packet)
                frames += repeat
        for packet in stream.encode():
            out.mux(packet)
    print(frames, time.perf_counter() - t0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
