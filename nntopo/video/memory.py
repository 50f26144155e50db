"""Will a render fit in this machine's memory? Estimated up front, refused with the estimate,
rather than discovered by the kernel halfway through.

The estimate is fitted to the peak RSS of `render --from` of the flagship (228 MB at 480p,
473 MB at 1080p60, 1,326 MB at 4k, with x264 threaded by frames: each of its threads holds
frames of its own), i.e. about 185 MB plus 140 bytes per pixel of the frame (at or above each),
plus what the points carried through the stages cost per frame chunk (measured: 20,000 points
per class add about 70 MB), plus the positions kept at the start of every stage in the padded
space, which grow with the width (measured: four 256-unit layers add about 125 MB at 480p).

That is a render drawn in one process. Drawers (drawers.py) are forks: what they share with the
parent is counted once (proportional set size), and each adds what it draws with (measured at
1080p60 for the flagship: 76 MB of its own; 33 MB at 480p, 208 MB at 4K). As many drawers are
started as there are cores, and only as many as the memory left holds (`drawers`): a render
that fits drawn by one process is never refused for its drawers.
"""

from __future__ import annotations

from ..config import RenderOptions
from ..errors import NntopoError

BASE = 185e6  # bytes: the interpreter, numpy, manim, the encoder's fixed part
PER_PIXEL = 140.0  # bytes per pixel of the frame: canvases, queued frames, the encoder's look-ahead
PER_POINT = 2000.0  # bytes per point carried through the stages, per chunk of frames
PLANE_POINTS = 4000  # the grid's anchors and the heat map's rings, carried like the data
DRAWER_BASE = 25e6  # bytes a drawer adds beyond what it shares with the parent
DRAWER_PER_PIXEL = 24.0  # and per pixel of the frame: its canvas, static image, frame copies, ring share


def needed(opts: RenderOptions, points: int, widest: int = 2, layers: int = 0) -> float:
    """Bytes a render of `points` data points with `opts` is expected to peak at, for a network
    whose widest representation has `widest` units and which has `layers` hidden layers."""
    width, height = opts.size
    keys = 8.0 * widest * (points + PLANE_POINTS) * (3 * layers + 1) if widest > 3 else 0.0
    return BASE + PER_PIXEL * width * height + PER_POINT * points + keys


def available() -> float:
    """Bytes of memory this machine can still give without swapping (psutil's `available`)."""
    import psutil

    return float(psutil.virtual_memory().available)


def check_memory(opts: RenderOptions, points: int, widest: int = 2, layers: int = 0) -> None:
    """Refuse a render that would need more memory than the machine has available."""
    have, need = available(), needed(opts, points, widest, layers)
    if need > have:
        raise NntopoError(f"this render needs about {need / 2**30:.1f} GB of memory and {have / 2**30:.1f} GB "
                          f"are available; choose a lower --quality (now {opts.quality}) or fewer points")


def drawer_bytes(opts: RenderOptions, points: int) -> float:
    """Bytes one drawer adds to a render of `points` data points with `opts`."""
    width, height = opts.size
    return DRAWER_BASE + DRAWER_PER_PIXEL * width * height + PER_POINT * points


def drawers(opts: RenderOptions, points: int, asked: int) -> int:
    """How many of the `asked` drawers the memory available now holds beside this process (which
    still makes its encoder and its frames): `asked`, fewer, or 1 (drawn here, no drawer)."""
    if asked <= 1:
        return 1
    width, height = opts.size
    spare = available() - PER_PIXEL * width * height
    return max(1, min(asked, int(spare // drawer_bytes(opts, points))))
