"""Encoding: the video stream nntopo writes while manim draws (Encoder), the GIF with its own
palette, and the poster frame. PyAV only; outputs are put in place through atomic.replacing.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


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


SEEKABLE = ("h264", "vp9", "libvpx-vp9")  # codecs whose keyframes decode on their own


def _last_frame(video: Path, seek: bool):
    """The last frame of `video`, decoded from its last keyframe (seek) or from the start; None
    if none was found. Decoding from a keyframe gives the same pictures, in a fraction of the
    time: a 1080p60 video is otherwise decoded whole for its last frame."""
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        if seek:  # only where every keyframe is a whole picture (a GIF's frames patch the one before)
            if stream.codec_context.name not in SEEKABLE:
                return None
            try:
                if stream.duration and stream.time_base is not None:  # MP4: in the stream's time base
                    c.seek((stream.start_time or 0) + stream.duration, stream=stream, backward=True, any_frame=False)
                elif c.duration:  # WebM: the container's, in microseconds
                    c.seek(c.duration, backward=True, any_frame=False)
                else:
                    return None
            except av.error.FFmpegError:
                return None
        last = None
        for last in c.decode(stream):
            pass
        return last


def poster(video: Path, png: Path, frame=None) -> Path:
    """Save the last frame of `video` as a PNG, atomically: `frame` (H, W, 4) uint8, opaque, if
    the caller has it (the frame as drawn, before the video's compression), else decoded."""
    from PIL import Image

    from ..atomic import replacing

    if frame is not None:
        image = Image.fromarray(frame[..., :3].copy())
    else:
        last = _last_frame(video, seek=True) or _last_frame(video, seek=False)
        if last is None:
            raise ValueError(f"{video}: no frames")
        image = last.to_image()
    with replacing(png) as tmp:
        image.save(tmp, format="PNG")
    return png


# Per container: the codec, its pixel format (opaque, transparent) and options. libx264's
# look-ahead is 5 frames (40 by default): each buffered frame costs several times its pixels.
# Measured on the flagship at 1080p60 (make bench): 5 frames keep the render under 400 MB, and
# the file came out smaller than with 10 (1.55 MB against 1.80 MB) at the same speed.
CODECS = {
    "mp4": ("libx264", ("yuv420p", None), {"crf": "23", "rc-lookahead": "5"}),
    "webm": ("libvpx-vp9", ("yuv420p", "yuva420p"), {"crf": "23", "b": "0"}),
}
# How a codec's own threads share the work, where not its default. libx264 by frames, as the
# ffmpeg command does: PyAV's default is slices, and x264's sliced threads (with their threaded
# look-ahead) made different bytes of the same frames from one run to the next as the drawing
# beside them changed the timing (first frame 14,388 bytes, then 14,377). By frames the video is
# the same every time, and encoding at 480p took 6 ms a frame against 10 to 14 (wall; the CPU
# time is the same).
THREADS = {"mp4": "FRAME"}


class Encoder:
    """One video stream for a whole render: frames go in as RGBA arrays (with a repeat count for
    still frames), are encoded on a thread beside the drawing, and stream to `path`. A queue of
    two frames keeps the drawing at most two frames ahead, so memory stays flat."""

    def __init__(self, path: Path, container: str, width: int, height: int, fps: int, transparent: bool):
        import queue
        import threading

        codec, (opaque, alpha), options = CODECS[container]
        self.out = av.open(str(path), "w", format=container,
                           options={"movflags": "+faststart"} if container == "mp4" else {})
        self.stream = self.out.add_stream(codec, rate=fps, options=dict(options))
        if container in THREADS:
            self.stream.thread_type = THREADS[container]
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = alpha if transparent and alpha else opaque
        self.time_base = Fraction(1, fps)
        self.pts = 0
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.last = None  # the last frame written
        # one converter for every frame (a frame's own reformat() sets up swscale each time: as
        # long again as the conversion)
        from av.video.reformatter import VideoReformatter

        self.reformatter = VideoReformatter()
        self.error: BaseException | None = None
        # started with the first frame: drawers are forked before it (drawers.py), never beside a thread
        self.thread = threading.Thread(target=self._run, name="nntopo-encoder", daemon=True)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue
            pixels, repeat = item
            try:
                # converted once, however often a still frame is shown (the encoder keeps its own
                # reference to each frame it is sent, so the next pts does not touch the last)
                frame = self.reformatter.reformat(av.VideoFrame.from_ndarray(pixels, format="rgba"),
                                                  format=self.stream.pix_fmt)
                for _ in range(repeat):
                    frame.pts, frame.time_base = self.pts, self.time_base
                    self.pts += 1
                    for packet in self.stream.encode(frame):
                        self.out.mux(packet)
            except BaseException as e:  # raised in the drawing thread at the next frame or close
                self.error = e

    def write(self, pixels, repeat: int = 1) -> None:
        """Queue a frame (H, W, 4) uint8, shown `repeat` times; the caller hands it over."""
        if self.error is not None:
            raise self.error
        if not self.thread.is_alive():
            self.thread.start()
        self.last = pixels
        self.queue.put((pixels, repeat))

    def close(self, finish: bool = True) -> None:
        """Encode what is queued and close the file (finish=False: stop, the file is discarded)."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        try:
            if finish and self.error is None:
                for packet in self.stream.encode():
                    self.out.mux(packet)
        finally:
            self.out.close()
        if self.error is not None and finish:
            raise self.error


class Clips:
    """A sink for the scene's frames that cuts them into clips: clip k is frames first..last
    (inclusive) of clips[k], numbered in the order drawn; a frame shared by two clips goes into
    both. A clip's encoder opens at its first frame (saved as its poster, clip-K.png) and closes
    at its last (saved as clip-K-last.png), so at most two are open at once. stills: frames saved
    as PNG too (frame-F.png)."""

    def __init__(self, folder: Path, clips: list[tuple[int, int]], width: int, height: int, fps: int,
                 stills: tuple[int, ...] = ()):
        self.folder, self.clips = Path(folder), list(clips)
        self.size, self.fps = (width, height), fps
        self.paths = [self.folder / f"clip-{k}.mp4" for k in range(len(clips))]
        self.posters = [p.with_suffix(".png") for p in self.paths]  # each clip's first frame
        self.lasts = [self.folder / f"clip-{k}-last.png" for k in range(len(clips))]  # and its last
        self.wanted = set(stills)
        self.stills: dict[int, Path] = {}
        self.open: dict[int, Encoder] = {}
        self.frame = 0  # the number of the next frame drawn

    def write(self, pixels, repeat: int = 1) -> None:
        a, b = self.frame, self.frame + repeat  # this frame is shown as frames a .. b - 1
        for f in sorted(self.wanted & set(range(a, b))):
            self.stills[f] = self._png(pixels, self.folder / f"frame-{f}.png")
        for k, (first, last) in enumerate(self.clips):
            lo, hi = max(a, first), min(b, last + 1)
            if lo >= hi:
                continue
            if k not in self.open:
                self._png(pixels, self.posters[k])
                self.open[k] = Encoder(self.paths[k], "mp4", *self.size, self.fps, False)
            self.open[k].write(pixels, hi - lo)
            if hi == last + 1:
                self._png(pixels, self.lasts[k])
                self.open.pop(k).close()
        self.frame = b

    @staticmethod
    def _png(pixels, path: Path) -> Path:
        from PIL import Image

        Image.fromarray(pixels[..., :3].copy()).save(path, format="PNG")
        return path

    def close(self, finish: bool = True) -> None:
        """Close what is open (finish=False: an interrupted render, the clips are discarded)."""
        for enc in self.open.values():
            enc.close(finish=finish)
        self.open.clear()
        if finish and len(self.stills) < len(self.wanted):
            raise ValueError(f"frames {sorted(self.wanted - set(self.stills))} were never drawn")
