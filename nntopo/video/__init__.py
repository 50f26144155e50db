"""Storyboards to video: the only package of nntopo that imports manim.

    scene    LayerFlow, the manim scene: it draws what the storyboard hands it
    panel    the text around the plot, placed by the storyboard's layout
    camera   the cairo camera (paths from lists, text blitted pixel for pixel)
    text     lines of text drawn by cairo; paths as VMobjects
    theme    the palettes
    encode   after manim: faststart MP4, GIF with its own palette, the poster frame

Each render works in its own temporary media folder, so renders running at once never collide;
the result replaces the target in one rename (atomic.replacing), so a failed or interrupted
render leaves the old file as it was. Formats (all encoded by manim through PyAV):

    mp4   H.264, yuv420p, remuxed with its index (moov atom) first: plays in browsers and slides
    gif   palette-optimised (palettegen/paletteuse), looping forever: for READMEs and blogs
    webm  VP9; with transparent=True an alpha channel (yuva420p), for overlaying on slides
    png   the last frame, lossless (RGBA with transparent=True); all_frames: every frame, as a
          folder of numbered PNGs
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..atomic import replacing
from ..config import Progress, RenderOptions
from ..recording import Recording
from ..storyboard import Storyboard

# Memory is flat in the video's length only if the encoder's is. Manim encodes each animation in
# its own libx264 instance, and each holds its look-ahead (40 frames by default, each several
# times a frame's pixels): one encoder in flight, a 10-frame look-ahead and a 2-frame queue keep
# a 1080p60 render of the flagship at a third of the memory, at the same speed and file size
# (measured with make bench). The rest at 4k is libx264's own reference and thread buffers.
ENCODING = {"max_inflight_encoders": 1, "encoder_queue_size": 2}
X264 = {"crf": "23", "rc-lookahead": "10", "threads": "2"}  # crf 23 is manim's default


def storyboard_of(rec: Recording, opts: RenderOptions) -> Storyboard:
    """The layer-by-layer storyboard of `rec` with the options' layout, overlay and loop."""
    from .. import storyboard

    report = None
    if opts.overlay:
        from ..diagnostics import inspect

        report = inspect(rec)
    sb = storyboard.layers(rec, opts.frame_rate, overlay=report, layout=storyboard.LAYOUTS[opts.aspect])
    return storyboard.looped(sb) if opts.loop else sb


def render(rec: Recording, output: str | Path, opts: RenderOptions = RenderOptions(),
           progress: Progress | None = None, on_start: Callable[[str, int], None] | None = None) -> Path:
    """Render the layer-by-layer video of `rec` to `output` (and its poster); on_start("rendering",
    total frames) first, then progress(n) after every n frames."""
    from ..atomic import check_output

    check_output(output, f".{opts.format}", folder=opts.all_frames)
    board = storyboard_of(rec, opts)
    if on_start is not None:
        on_start("rendering", board.total_frames)
    return render_storyboards([board], output, opts, progress)


def render_storyboards(storyboards: list[Storyboard], output: str | Path, opts: RenderOptions,
                       progress: Progress | None = None) -> Path:
    """Draw the storyboards, in order, with the LayerFlow scene into `output` (see the formats),
    then a poster (the last frame, NAME.png) beside a video."""
    import manim  # imported here: nothing else in nntopo pays for it

    from . import encode
    from .scene import LayerFlow

    output = Path(output)
    width, height = opts.size
    media = Path(tempfile.mkdtemp(prefix="nntopo-render-"))
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
            "frame_rate": storyboards[0].fps,
            "disable_caching": True,
            "progress_bar": "display" if opts.verbose else "none",
            "verbosity": "INFO" if opts.verbose else "ERROR",
            "output_file": "flow",
            "format": manim_format,
            "transparent": opts.transparent,
            "preview": False,
            **ENCODING,
            **({"video_encoder_options": X264} if manim_format == "mp4" else {}),
        }
        with manim.tempconfig(settings):
            # A sequence wants a file per frame: holds are then drawn, not frozen.
            scene = LayerFlow(storyboards, on_frames=progress, theme=opts.theme,
                              frozen_holds=not opts.all_frames)
            scene.render()
            writer = scene.renderer.file_writer
            result = Path(writer.image_file_path if opts.format == "png" else writer.movie_file_path)
        with replacing(output) as tmp:
            if opts.all_frames:
                shutil.move(str(result.with_suffix("")), str(tmp))  # the folder of numbered PNGs
            elif opts.format == "mp4":
                encode.faststart_remux(result, tmp)
            elif opts.format == "gif":
                encode.mp4_to_gif(result, tmp, storyboards[0].fps)
            else:
                shutil.copyfile(result, tmp)
        if opts.format in ("mp4", "webm", "gif"):  # a still for every video: its last frame
            encode.poster(output, output.with_suffix(".png"))
    finally:
        logger.setLevel(old_level)
        shutil.rmtree(media, ignore_errors=True)
    return output
