"""Storyboards to video: the only package of nntopo that imports manim.

    scene    LayerFlow, the manim scene: it draws what the storyboard hands it
    panel    the text around the plot, placed by the storyboard's layout
    cairo_camera  the cairo camera (paths from lists, text blitted pixel for pixel)
    text     lines of text drawn by cairo; paths as VMobjects
    theme    the palettes
    encode   the video stream written while the scene draws, GIF with its own palette, poster
    slides   LayerFlowSlides: the scene as a manim-slides presentation, cut as decks cut (optional)

Each render works in its own temporary media folder, so renders running at once never collide;
the result replaces the target in one rename (atomic.replacing), so a failed or interrupted
render leaves the old file as it was. Formats (encoded through PyAV):

    mp4   H.264, yuv420p, with its index (moov atom) first: plays in browsers and slides
    gif   palette-optimised (palettegen/paletteuse), looping forever: for READMEs and blogs
    webm  VP9; with transparent=True an alpha channel (yuva420p), for overlaying on slides
    png   the last frame, lossless (RGBA with transparent=True); all_frames: every frame, as a
          folder of numbered PNGs
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..atomic import replacing
from ..config import Progress, RenderOptions
from ..recording import Recording
from ..storyboard import Storyboard

def storyboard_of(rec: Recording, opts: RenderOptions) -> Storyboard:
    """The storyboard of `rec` the options ask for (its scene, layout, overlay and loop)."""
    from .. import storyboard

    layout = storyboard.LAYOUTS[opts.aspect]
    if opts.scene == "training":
        sb = storyboard.training(rec, opts.frame_rate, layout=layout)
        return storyboard.looped(sb) if opts.loop else sb

    report = None
    if opts.overlay:  # measured here, after every check
        from ..analysis.inspect import inspect

        report = inspect(rec)
    sb = storyboard.layers(rec, opts.frame_rate, overlay=report, layout=layout, view=opts.view)
    return storyboard.looped(sb) if opts.loop else sb


def render(rec: Recording, output: str | Path, opts: RenderOptions = RenderOptions(),
           progress: Progress | None = None, on_start: Callable[[str, int], None] | None = None) -> Path:
    """Render the layer-by-layer video of `rec` to `output` (and its poster); on_start("rendering",
    total frames) first, then progress(n) after every n frames. The output, the scene and the
    memory are checked before, by api.render (run.check_render)."""
    board = storyboard_of(rec, opts)
    if on_start is not None:
        on_start("rendering", board.total_frames)
    return render_storyboards([board], output, opts, progress)


@contextmanager
def _drawing(opts: RenderOptions, fps: int, name: str, fmt: str, dry_run: bool, transparent: bool):
    """manim configured for one render, in a media folder of its own (yielded, removed after):
    nntopo's frame (8 units high), no cache, quiet unless verbose; dry_run: manim draws every
    frame and writes none."""
    import manim  # imported here: nothing else in nntopo pays for it

    media = Path(tempfile.mkdtemp(prefix=f"nntopo-{name}-"))
    logger = logging.getLogger("manim")
    old_level = logger.level
    try:
        if not opts.verbose:
            logger.setLevel(logging.ERROR)
        with manim.tempconfig(_settings(media, opts, fps, name, fmt, dry_run, transparent)):
            yield media
    finally:
        logger.setLevel(old_level)
        shutil.rmtree(media, ignore_errors=True)


def _settings(media: Path, opts: RenderOptions, fps: int, name: str, fmt: str, dry_run: bool,
              transparent: bool) -> dict:
    width, height = opts.size
    return {
        "media_dir": str(media),
        "pixel_width": width,
        "pixel_height": height,
        "frame_height": 8.0,  # manim units; the width follows the aspect, so nothing stretches
        "frame_width": 8.0 * width / height,
        "frame_rate": fps,
        "disable_caching": True,
        "progress_bar": "display" if opts.verbose else "none",
        "verbosity": "INFO" if opts.verbose else "ERROR",
        "output_file": name,
        "format": fmt,
        "dry_run": dry_run,
        "transparent": transparent,
        "preview": False,
    }


def render_storyboards(storyboards: list[Storyboard], output: str | Path, opts: RenderOptions,
                       progress: Progress | None = None) -> Path:
    """Draw the storyboards, in order, with the LayerFlow scene into `output` (see the formats),
    then a poster (the last frame, NAME.png) beside a video.

    Videos are encoded by nntopo as one stream while the scene draws (encode.Encoder): manim
    only draws. PNG outputs (the last frame, or every frame with all_frames) are manim's own.
    """
    from . import drawers, encode
    from .scene import LayerFlow

    output = Path(output)
    width, height = opts.size
    fps = storyboards[0].fps
    video = opts.format != "png"
    with _drawing(opts, fps, "render", "png-sequence" if opts.all_frames else "png", dry_run=video,
                  transparent=opts.transparent) as media:
        # A GIF is made from an MP4 (mp4_to_gif).
        stream = media / ("stream.webm" if opts.format == "webm" else "stream.mp4")
        encoder = encode.Encoder(stream, stream.suffix[1:], width, height, fps, opts.transparent) if video else None
        last = None  # the last frame drawn, for the poster of an opaque MP4 or WebM
        try:
            if video:  # on every core (drawers.py), the encoder taking the frames in order
                drawers.draw(_scenes(storyboards, opts, progress), encoder.write, _jobs(storyboards, opts),
                             (height, width, 4), progress)
                result = None
            else:  # manim's own PNG writer. A sequence wants a file per frame: holds are drawn, not frozen.
                scene = LayerFlow(storyboards, on_frames=progress, theme=opts.theme, frozen_holds=not opts.all_frames)
                scene.render()
                result = Path(scene.renderer.file_writer.image_file_path)
            if encoder is not None:
                encoder.close()
                if not opts.transparent and opts.format in ("mp4", "webm"):
                    last = encoder.last
                encoder = None
        finally:
            if encoder is not None:  # interrupted: the stream is discarded with the folder
                encoder.close(finish=False)
        with replacing(output) as tmp:
            if opts.all_frames:
                shutil.move(str(result.with_suffix("")), str(tmp))  # the folder of numbered PNGs
            elif opts.format == "gif":
                encode.mp4_to_gif(stream, tmp, fps)
            else:
                shutil.copyfile(stream if video else result, tmp)
    if video:  # a still for every video: its last frame (as drawn; a GIF's, as it shows it)
        encode.poster(output, output.with_suffix(".png"), last)
    return output


def render_clips(storyboards: list[Storyboard], clips: list[tuple[int, int]], folder: str | Path,
                 opts: RenderOptions, progress: Progress | None = None,
                 stills: tuple[int, ...] = ()):
    """Draw the storyboards once, in order, and cut the frames into MP4 clips: clip k holds the
    frames clips[k] = (first, last), inclusive, numbered over the whole render (clips may share a
    frame: the last of one, the first of the next). stills: frames also saved as PNG pictures.
    Returns the encode.Clips that wrote them into `folder`: its paths, posters (first frames),
    lasts (last frames) per clip, and stills by frame."""
    from . import drawers, encode

    width, height = opts.size
    fps = storyboards[0].fps
    sink = encode.Clips(Path(folder), clips, width, height, fps, stills)
    try:
        with _drawing(opts, fps, "clips", "png", dry_run=True, transparent=False):
            drawers.draw(_scenes(storyboards, opts, progress), sink.write, _jobs(storyboards, opts),
                         (height, width, 4), progress)
        sink.close()
    except BaseException:
        sink.close(finish=False)
        raise
    return sink


def _scenes(storyboards: list[Storyboard], opts: RenderOptions, progress: Progress | None):
    """make_scene(sink, only) for drawers.draw: the LayerFlow scene of `storyboards` (it reports
    progress itself only where it draws every frame)."""
    from .scene import LayerFlow

    def make(sink, only):
        return LayerFlow(storyboards, on_frames=progress if only is None else None, theme=opts.theme,
                         sink=sink, only=only)

    return make



def _jobs(storyboards: list[Storyboard], opts: RenderOptions) -> int:
    """The drawers of this render: as asked (default one per core), as many as memory holds."""
    from . import drawers, memory

    points = max(sum(len(w) for w in sb.wrong) for sb in storyboards)
    return memory.drawers(opts, points, drawers.jobs_for(opts.jobs))
