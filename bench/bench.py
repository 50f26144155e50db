"""Render speed of the flagship video against the floor of merely encoding its frames.

    make bench            # 480p15, the issue's reference point
    python bench/bench.py --quality medium

Trains the flagship once (spirals, four 2-unit tanh layers, seed 0; cached in bench/.cache),
renders it, then encodes the very frames of that video again with libx264 alone. Prints ms per
frame for both and their ratio. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from nntopo import frames, recording
from nntopo.model import NetConfig
from nntopo.render import QUALITIES, RenderOptions, render_timeline
from nntopo.train import TrainConfig, record

CACHE = Path(__file__).parent / ".cache"


def cached(dataset: str, in_dim: int, layers: int, width: int, layer_type: str = "dense",
           anchors: int = 8) -> recording.Recording:
    kind = "" if layer_type == "dense" else f"-{layer_type}{anchors}"
    path = CACHE / f"{dataset}-{layers}x{width}{kind}-seed0.npz"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        t = time.perf_counter()
        cfg = NetConfig(in_dim, layers, width, "tanh", (layer_type,), anchors)
        rec = record(dataset, cfg, TrainConfig(), seed=0)
        print(f"trained {path.stem} in {time.perf_counter() - t:.1f} s")
        recording.save(rec, path)
    return recording.load(path)


def flagship() -> recording.Recording:
    return cached("spirals", 2, 4, 2)


def ms_per_frame(rec: recording.Recording, opts: RenderOptions, repeat: int) -> tuple[float, int]:
    tl = frames.timeline(rec, opts.frame_rate)
    times = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeat):
            t = time.perf_counter()
            render_timeline(tl, Path(d) / "v.mp4", opts)
            times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times) / tl.n_frames, tl.n_frames


def encode_only(video: Path, fps: int) -> tuple[float, int]:
    """Seconds to encode the frames of `video` again (H.264, yuv420p, crf 23), and their count."""
    with av.open(str(video)) as c:
        images = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    h, w = images[0].shape[:2]
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        with av.open(str(Path(d) / "floor.mp4"), "w") as out:
            s = out.add_stream("libx264", rate=Fraction(fps))
            s.width, s.height, s.pix_fmt = w, h, "yuv420p"
            s.options = {"crf": "23"}
            for img in images:
                for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
            for packet in s.encode():
                out.mux(packet)
        return time.perf_counter() - t, len(images)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", default="low", choices=list(QUALITIES))
    ap.add_argument("--repeat", type=int, default=3, help="renders to time (the median counts)")
    args = ap.parse_args()
    opts = RenderOptions(args.quality)
    rec = flagship()
    t = time.perf_counter()
    tl = frames.timeline(rec, opts.frame_rate)
    t_geometry = time.perf_counter() - t
    render_times = []
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "spirals.mp4"
        for _ in range(args.repeat):
            t = time.perf_counter()
            render_timeline(tl, out, opts)
            render_times.append(time.perf_counter() - t)
        t_encode, n = encode_only(out, opts.frame_rate)
    t_render = statistics.median(render_times)
    w, h = opts.size
    per = 1000 * t_render / n
    floor = 1000 * t_encode / n
    print(f"flagship: spirals, 4 x 2 tanh, {w}x{h} at {opts.frame_rate} fps, {n} frames")
    print(f"geometry (numpy, all frames): {1000 * t_geometry:8.1f} ms  ({1000 * t_geometry / n:.2f} ms/frame)")
    print(f"render (median of {args.repeat}):      {per:8.1f} ms/frame  ({t_render:.1f} s)")
    print(f"encode only (libx264):        {floor:8.1f} ms/frame  ({t_encode:.1f} s)")
    print(f"ratio render / encode floor:  {per / floor:8.2f}")
    # The 3D and 4D scenes: a turning camera, so every frame is drawn (no frozen holds); the
    # vector-field flow draws 225 arrows over each field step.
    for label, rec in [("circles 2 -> 3 (3D)", cached("circles", 2, 1, 3)),
                       ("tori 3 -> 4 -> 4 (4D)", cached("tori", 3, 2, 4)),
                       ("spirals 4 field steps", cached("spirals", 2, 4, 2, "vector-field", 4))]:
        ms, frames_n = ms_per_frame(rec, opts, 1)
        print(f"render {label:<22} {ms:8.1f} ms/frame  ({frames_n} frames)")


if __name__ == "__main__":
    sys.exit(main())
