"""Rendering a recording to a video: the only module of the package that imports manim.

Each render works in its own temporary media folder, so renders running at once never collide;
the finished video is remuxed with its index (moov atom) first, so browsers and slide software
can start playing before the whole file arrives, written beside the target and renamed into place.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av

from . import frames
from .recording import Recording

# name -> (width, height, default frames per second)
QUALITIES: dict[str, tuple[int, int, int]] = {
    "low": (854, 480, 15),
    "medium": (1280, 720, 30),
    "high": (1920, 1080, 60),
    "4k": (3840, 2160, 60),
}


@dataclass(frozen=True)
class RenderOptions:
    quality: str = "low"  # a key of QUALITIES
    fps: int | None = None  # frames per second; None takes the quality's default
    verbose: bool = False  # show manim's own logging

    @property
    def size(self) -> tuple[int, int]:
        return QUALITIES[self.quality][:2]

    @property
    def frame_rate(self) -> int:
        return self.fps or QUALITIES[self.quality][2]


def faststart_remux(src: Path, dst: Path) -> None:
    """Copy the video stream of `src` into an MP4 at `dst` with the moov atom first (no re-encode)."""
    with av.open(str(src)) as inp, av.open(
        str(dst), "w", format="mp4", options={"movflags": "+faststart"}
    ) as out:
        stream_in = inp.streams.video[0]
        stream_out = out.add_stream_from_template(stream_in)
        for packet in inp.demux(stream_in):
            if packet.dts is None:  # the demuxer's final flush packet
                continue
            packet.stream = stream_out
            out.mux(packet)


def render_timelines(
    timelines: list[frames.Timeline],
    output: Path,
    opts: RenderOptions,
    on_frames: Callable[[int], None] | None = None,
) -> Path:
    """Draw the timelines, in order, with the LayerFlow scene into an MP4 at `output`.

    The file at `output` is replaced in one rename, and only by a finished video.
    """
    import manim  # imported here: `nntopo datasets` and `nntopo train` need not pay for it
    from nntopo_scenes.flow import LayerFlow

    output = Path(output)
    width, height = opts.size
    media = Path(tempfile.mkdtemp(prefix="nntopo-render-"))
    tmp_out = output.parent / f".{output.name}.{os.getpid()}.tmp"
    logger = logging.getLogger("manim")
    old_level = logger.level
    try:
        if not opts.verbose:
            logger.setLevel(logging.ERROR)
        settings = {
            "media_dir": str(media),
            "pixel_width": width,
            "pixel_height": height,
            "frame_rate": timelines[0].fps,
            "disable_caching": True,
            "progress_bar": "display" if opts.verbose else "none",
            "verbosity": "INFO" if opts.verbose else "ERROR",
            "output_file": "flow",
            "write_to_movie": True,
            "preview": False,
            # Encode finished segments while later ones render (manim's default, 1, waits).
            "max_inflight_encoders": 4,
        }
        with manim.tempconfig(settings):
            scene = LayerFlow(timelines, on_frames=on_frames)
            scene.render()
            movie = Path(scene.renderer.file_writer.movie_file_path)
        faststart_remux(movie, tmp_out)
        os.replace(tmp_out, output)
    finally:
        logger.setLevel(old_level)
        tmp_out.unlink(missing_ok=True)
        shutil.rmtree(media, ignore_errors=True)
    return output


def render_timeline(tl: frames.Timeline, output: Path, opts: RenderOptions,
                    on_frames: Callable[[int], None] | None = None) -> Path:
    return render_timelines([tl], output, opts, on_frames)


def render(
    rec: Recording,
    output: Path,
    opts: RenderOptions = RenderOptions(),
    on_frames: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Path:
    """Render the layer-by-layer video of `rec` to `output`; on_start(total frames) is called first."""
    tl = frames.timeline(rec, opts.frame_rate)
    if on_start is not None:
        on_start(tl.total_frames)
    return render_timelines([tl], output, opts, on_frames)


def poster(video: Path, png: Path) -> Path:
    """Save the last frame of `video` as a PNG (written beside it, renamed into place)."""
    with av.open(str(video)) as c:
        last = None
        for last in c.decode(video=0):
            pass
    if last is None:
        raise ValueError(f"{video}: no frames")
    tmp = png.parent / f".{png.name}.{os.getpid()}.tmp"
    try:
        last.to_image().save(tmp, format="PNG")
        os.replace(tmp, png)
    finally:
        tmp.unlink(missing_ok=True)
    return png
