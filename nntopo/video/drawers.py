"""Drawing on every core: the scene's frames drawn by several processes, handed on in order.

Each drawer is a fork of this process made once the storyboards exist, so it starts with them
and with manim already imported. Every drawer plays the whole scene script (captions, panel,
holds: cheap), but draws only the frames of its own chunks: frame k (counting the frames the
scene hands over, a repeated still as one) is drawn by drawer (k // CHUNK) % jobs. A drawer puts
each frame it draws into a slot of its own ring in shared memory and says so on its pipe; the
parent takes the frames in order, k = 0, 1, 2, ..., from whichever drawer drew each, copies it
out, frees the slot and hands it to the sink (the encoder), so the video is the one a single
drawer makes, frame for frame. Memory stays bounded: a drawer waits when its ring is full.

With one job (or one core) there is no drawer: the scene draws in this process, as before.
"""

from __future__ import annotations

import mmap
import os
import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np

from .. import forks

CHUNK = 4  # consecutive frames one drawer draws before the next drawer's turn
RING_BYTES = 48e6  # shared memory per drawer for the frames it has drawn and the parent has not taken
SLOTS = (2, 2 * CHUNK)  # frames per ring: at least, at most (a 4K frame is 33 MB)

Sink = Callable[[np.ndarray, int], None]  # (frame (H, W, 4) uint8, repeat)


def jobs_for(asked: int | None) -> int:
    """Drawers to use: as asked, else one per core. Measured on 2 cores (flagship, paired runs):
    two drawers take 0.94 of one's wall time at 480p15 and 0.91 at 1080p60, for 14% more CPU,
    and make the same bytes."""
    return forks.cores() if asked is None else asked


def owner(k: int, jobs: int) -> int:
    """The drawer of the k-th frame handed over."""
    return (k // CHUNK) % jobs


def slots_for(frame_bytes: int) -> int:
    """Slots of a drawer's ring for frames of `frame_bytes` bytes."""
    return int(min(SLOTS[1], max(SLOTS[0], RING_BYTES // frame_bytes)))


class _Ring:
    """A drawer's frames in shared memory (made before the fork, so both sides map it): `n`
    slots of (H, W, 4) uint8, used in turn; `free` counts the slots the drawer may fill."""

    def __init__(self, ctx, n: int, shape: tuple[int, int, int]):
        self.n, self.shape = n, shape
        self.size = int(np.prod(shape))
        self.memory = mmap.mmap(-1, n * self.size)
        self.free = ctx.Semaphore(n)

    def slot(self, i: int) -> np.ndarray:
        return np.frombuffer(self.memory, np.uint8, self.size, i * self.size).reshape(self.shape)


def draw(make_scene: Callable[[Sink | None, Callable[[int], bool] | None], object], sink: Sink,
         jobs: int, shape: tuple[int, int, int], progress: Callable[[int], None] | None = None) -> None:
    """Play the scene make_scene(sink, only) makes (only(k): is frame k drawn there?) with
    `jobs` drawers, handing every frame to `sink` in order; shape: a frame's (H, W, 4).
    progress(n): n more frames are done (the scene itself reports it when it draws alone: only
    is then None).

    Runs in the calling process when jobs is 1 or this process is a daemon. A drawer's failure is raised here (RuntimeError
    with its traceback's last line); Ctrl-C stops the drawers and is raised here."""
    import multiprocessing

    if jobs <= 1 or multiprocessing.current_process().daemon:  # a daemon (a cluster's worker) has no children
        make_scene(sink, None).render()
        return

    ctx = multiprocessing.get_context("fork")
    rings = [_Ring(ctx, slots_for(int(np.prod(shape))), shape) for _ in range(jobs)]
    pipes, procs = [], []
    try:
        # What this process holds is the drawers' to use, never to collect (forks.frozen).
        with forks.frozen():
            for i in range(jobs):
                here, there = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_drawer, args=(make_scene, i, jobs, rings[i], there), daemon=True,
                                name=f"nntopo-drawer-{i}")
                p.start()
                there.close()
                pipes.append(here)
                procs.append(p)
        _collect(pipes, procs, rings, sink, progress or (lambda n: None))
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join()
        for pipe in pipes:
            pipe.close()


def _collect(pipes: list[Connection], procs: list, rings: list[_Ring], sink: Sink,
             progress: Callable[[int], None]) -> None:
    """Take the drawers' frames in order until the end, each to the sink."""
    jobs = len(pipes)
    taken = [0] * jobs  # frames taken from each drawer: the next slot is taken % n
    k = 0
    while True:
        i = owner(k, jobs)
        try:
            message = pipes[i].recv()
        except EOFError:
            procs[i].join(5)
            raise RuntimeError(f"drawer {i} stopped without a word (exit code {procs[i].exitcode})") from None
        if message[0] == "error":
            raise RuntimeError(f"drawer {i} failed: {message[1]}")
        if message[0] == "end":
            return
        _, repeat = message
        ring = rings[i]
        frame = ring.slot(taken[i] % ring.n).copy()
        taken[i] += 1
        ring.free.release()
        sink(frame, repeat)
        progress(repeat)
        k += 1


def _die_with_parent() -> None:
    """Linux: this process is killed when its parent dies (a parent killed outright would
    otherwise leave it waiting for a free slot forever)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _drawer(make_scene, i: int, jobs: int, ring: _Ring, pipe: Connection) -> None:
    """A drawer: the scene, drawing the frames of drawer i, each into the next free slot."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        _die_with_parent()
        drawn = [0]

        def put(frame: np.ndarray, repeat: int) -> None:
            ring.free.acquire()
            np.copyto(ring.slot(drawn[0] % ring.n), frame)
            drawn[0] += 1
            pipe.send(("frame", repeat))

        make_scene(put, lambda k: owner(k, jobs) == i).render()
        pipe.send(("end",))
    except BaseException as e:  # to the parent, in one line; then out without the parent's clean-up
        code = 1
        try:
            last = traceback.format_exception_only(type(e), e)[-1].strip()
            pipe.send(("error", last))
        except Exception:
            pass
    finally:
        try:
            pipe.close()
        finally:
            os._exit(code)  # never the parent's atexit handlers or its temporary folders' clean-up
