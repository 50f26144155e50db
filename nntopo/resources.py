"""Will a render fit in this machine's memory? Estimated up front, refused with the estimate,
rather than discovered by the kernel halfway through.

The estimate is fitted to `make bench` (peak RSS of `render --from` of the flagship: 218 MB at
480p, 394 MB at 1080p, 1025 MB at 4k, i.e. about 175 MB plus 103 bytes per pixel of the frame)
plus what the points carried through the stages cost per frame chunk (measured: 20,000 points
per class add about 70 MB).
"""

from __future__ import annotations

from .config import RenderOptions
from .errors import NntopoError

BASE = 175e6  # bytes: the interpreter, numpy, manim, the encoder's fixed part
PER_PIXEL = 103.0  # bytes per pixel of the frame: canvases, queued frames, the encoder's look-ahead
PER_POINT = 2000.0  # bytes per point carried through the stages, per chunk of frames


def needed(opts: RenderOptions, points: int) -> float:
    """Bytes a render of `points` data points with `opts` is expected to peak at."""
    width, height = opts.size
    return BASE + PER_PIXEL * width * height + PER_POINT * points


def available() -> float | None:
    """Bytes of memory this machine can still give (MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(opts: RenderOptions, points: int) -> None:
    """Refuse a render that would need more memory than the machine has available."""
    have, need = available(), needed(opts, points)
    if have is not None and need > have:
        raise NntopoError(f"this render needs about {need / 2**30:.1f} GB of memory and {have / 2**30:.1f} GB "
                          f"are available; choose a lower --quality (now {opts.quality}) or fewer points")
