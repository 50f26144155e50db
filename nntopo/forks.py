"""Work on every core by fork: children that start with everything this process holds (its
arrays, its imports), so nothing is pickled on the way in and nothing is imported again.

    cores()          how many processors this process may run on
    frozen()         around a fork: this process's objects are never collected in a child
    map(fn, items)   [fn(item) for item in items], the items shared out over the cores

A child must never finalise what it inherited: an object of this process collected there (an
encoder, a thread pool) would call into libraries whose threads the fork did not copy. So the
garbage is collected before the fork and the rest frozen (gc.freeze) while children start.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """Processors this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def frozen() -> Iterator[None]:
    """Fork inside this: what this process holds stays out of its children's collections."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _quiet() -> None:
    """A pool worker: Ctrl-C is the parent's to handle (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_WORK: list = []  # the function and items of the running map, inherited by its workers


def _run(i: int):
    fn, items = _WORK[-1]
    return fn(items[i])


def map(fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """[fn(item) for item in items], in order, by up to `jobs` forked workers (default: one per
    core); here, in this process, when there is one item or one job, or this process is a
    daemon (a cluster's worker: the cluster already keeps the cores busy). fn and the items reach the
    workers through the fork itself (never pickled); only the results travel back."""
    import multiprocessing

    jobs = min(cores() if jobs is None else jobs, len(items))
    if jobs <= 1 or multiprocessing.current_process().daemon:  # a daemon (a cluster's worker) has no children
        return [fn(item) for item in items]

    _WORK.append((fn, items))
    try:
        with frozen():
            pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_quiet)
        try:
            return pool.map(_run, range(len(items)), chunksize=1)
        finally:
            pool.terminate()
            pool.join()
    finally:
        _WORK.pop()
