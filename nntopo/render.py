"""Rendering a recording to a video: the only module of the package that imports manim.

Each render works in its own temporary media folder, so renders running at once never collide;
the result is written beside the target and renamed into place, so a failed or interrupted render
leaves the old file as it was. Formats (all encoded by manim through PyAV):

    mp4   H.264, yuv420p, remuxed with its index (moov atom) first: plays in browsers and slides
    gif   palette-optimised (palettegen/paletteuse), looping forever: for READMEs and blogs
    webm  VP9; with transparent=True an alpha channel (yuva420p), for overlaying on slides
    png   the last frame, lossless (RGBA with transparent=True); all_frames: every frame, as a
          folder of numbered PNGs
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
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


FORMATS = ("mp4", "gif", "webm", "png")
THEMES = ("light", "dark")  # the scene's palettes (scenes/flow.py)


@dataclass(frozen=True)
class RenderOptions:
    quality: str = "low"  # a key of QUALITIES
    fps: int | None = None  # frames per second; None takes the quality's default
    verbose: bool = False  # show manim's own logging
    format: str = "mp4"  # one of FORMATS
    transparent: bool = False  # no background: an alpha channel (webm and png only)
    all_frames: bool = False  # png only: every frame into a folder, not just the last
    theme: str = "light"  # one of THEMES: dark ink on white, or light ink on near-black
    aspect: str = "16:9"  # a key of frames.LAYOUTS: the frame's shape (the height is kept)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format {self.format!r}: expected one of {', '.join(FORMATS)}")
        if self.transparent and self.format not in ("webm", "png"):
            raise ValueError(f"a transparent background needs webm or png, not {self.format}")
        if self.all_frames and self.format != "png":
            raise ValueError("every frame (all_frames) is written only as png")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels: the quality's height, the aspect's width, both even."""
        height = QUALITIES[self.quality][1]
        return 2 * round(height * frames.LAYOUTS[self.aspect].aspect / 2), height

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
    """Draw the timelines, in order, with the LayerFlow scene into `output` (see the formats).

    `output` (a file, or a folder for all_frames) is replaced in one rename, and only by a
    finished result.
    """
    import manim  # imported here: `nntopo datasets` and `nntopo train` need not pay for it
    from nntopo_scenes.flow import LayerFlow

    output = Path(output)
    width, height = opts.size
    media = Path(tempfile.mkdtemp(prefix="nntopo-render-"))
    tmp_out = output.parent / f".{output.name}.{os.getpid()}.tmp"
    logger = logging.getLogger("manim")
    old_level = logger.level
    # GIFs are made from the MP4 (mp4_to_gif); a sequence is manim's png-sequence.
    manim_format = "png-sequence" if opts.all_frames else "mp4" if opts.format == "gif" else opts.format
    try:
        if not opts.verbose:
            logger.setLevel(logging.ERROR)
        settings = {
            "media_dir": str(media),
            "pixel_width": width,
            "pixel_height": height,
            "frame_height": 8.0,  # manim units; the width follows the aspect, so nothing stretches
            "frame_width": 8.0 * width / height,
            "frame_rate": timelines[0].fps,
            "disable_caching": True,
            "progress_bar": "display" if opts.verbose else "none",
            "verbosity": "INFO" if opts.verbose else "ERROR",
            "output_file": "flow",
            "format": manim_format,
            "transparent": opts.transparent,
            "preview": False,
            # Encode finished segments while later ones render (manim's default, 1, waits).
            "max_inflight_encoders": 4,
        }
        with manim.tempconfig(settings):
            # A sequence wants a file per frame: holds are then drawn, not frozen.
            scene = LayerFlow(timelines, on_frames=on_frames, theme=opts.theme,
                              frozen_holds=not opts.all_frames)
            scene.render()
            writer = scene.renderer.file_writer
            result = Path(writer.image_file_path if opts.format == "png" else writer.movie_file_path)
        if opts.all_frames:
            shutil.move(str(result.with_suffix("")), str(tmp_out))  # the folder of numbered PNGs
            _replace_folder(tmp_out, output)
        else:
            if opts.format == "mp4":
                faststart_remux(result, tmp_out)
            elif opts.format == "gif":
                mp4_to_gif(result, tmp_out, timelines[0].fps)
            else:
                shutil.copyfile(result, tmp_out)
            os.replace(tmp_out, output)
    finally:
        logger.setLevel(old_level)
        if tmp_out.is_dir():
            shutil.rmtree(tmp_out, ignore_errors=True)
        else:
            tmp_out.unlink(missing_ok=True)
        shutil.rmtree(media, ignore_errors=True)
    return output


def mp4_to_gif(src: Path, dst: Path, fps: int) -> None:
    """A looping GIF of the video `src`, with one palette made for its colours.

    ffmpeg's palettegen (stats_mode=full) picks 256 colours from every frame; paletteuse maps the
    frames onto them (error-diffusion dither) and stores only the changed rectangle of each
    frame. (manim's own GIF writer stores 3-3-2 RGB, which turns dark text yellow.)
    """
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="gif", options={"loop": "0"}) as out:
        vin = inp.streams.video[0]
        stream = out.add_stream("gif", rate=fps)
        stream.width, stream.height, stream.pix_fmt = vin.width, vin.height, "pal8"
        graph = av.filter.Graph()
        source = graph.add_buffer(template=vin)
        split = graph.add("split")
        palettegen = graph.add("palettegen", "stats_mode=full")
        paletteuse = graph.add("paletteuse", "dither=sierra2_4a:diff_mode=rectangle")
        sink = graph.add("buffersink")
        source.link_to(split)
        split.link_to(palettegen, 0, 0)
        split.link_to(paletteuse, 1, 0)
        palettegen.link_to(paletteuse, 0, 1)
        paletteuse.link_to(sink)
        graph.configure()
        for frame in inp.decode(vin):
            graph.push(frame)
        graph.push(None)
        n = 0
        while True:
            try:
                frame = graph.pull()
            except (av.error.EOFError, av.error.BlockingIOError):
                break
            frame.pts, frame.time_base = n, Fraction(1, fps)
            n += 1
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


def _replace_folder(new: Path, target: Path) -> None:
    """Put folder `new` at `target`, replacing what was there, with renames only."""
    if target.exists():
        old = target.parent / f".{target.name}.{os.getpid()}.old"
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


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
