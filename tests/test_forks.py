"""Work on every core by fork (nntopo/forks.py): results in order, the same as in one process,
errors raised here, nothing left running."""

import multiprocessing
import os

import numpy as np
import pytest

from nntopo import forks


def square_and_pid(x):
    return x * x, os.getpid()


def test_results_come_back_in_order_from_several_processes():
    big = np.arange(10_000.0)  # reaches the workers through the fork, never pickled

    def work(i):
        return float(big[i::7].sum()), os.getpid()

    got = forks.map(work, list(range(7)), jobs=2)
    assert [g[0] for g in got] == [float(big[i::7].sum()) for i in range(7)]
    assert os.getpid() not in {g[1] for g in got}
    assert not multiprocessing.active_children()


def test_one_item_or_one_job_runs_here():
    assert forks.map(square_and_pid, [3])[0] == (9, os.getpid())
    assert [r[1] for r in forks.map(square_and_pid, [1, 2, 3], jobs=1)] == [os.getpid()] * 3
    assert forks.map(square_and_pid, []) == []


def test_a_workers_error_is_raised_here():
    def fail(i):
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        forks.map(fail, list(range(6)), jobs=2)
    assert not multiprocessing.active_children()


def _in_a_daemon(queue):
    queue.put([pid for _, pid in forks.map(square_and_pid, [1, 2, 3], jobs=2)] == [os.getpid()] * 3)


def test_a_daemon_process_works_alone():
    """A cluster's worker is a daemon, which may have no children: the map runs in it."""
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_in_a_daemon, args=(q,), daemon=True)
    p.start()
    assert q.get(timeout=60) is True
    p.join()
