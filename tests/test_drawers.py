"""Drawing on every core (video/drawers.py): frames come back in order and complete, a drawer's
failure is one error, memory is bounded; and a render by two drawers is the render by one,
frame for frame, for every kind of scene."""

import dataclasses

import av
import numpy as np
import pytest

from nntopo.config import NetConfig, RenderOptions, TrainConfig
from nntopo.video import drawers
from helpers import trained

SHAPE = (6, 8, 4)


class FakeScene:
    """Hands over `n` frames as LayerFlow does: frame k is filled with k % 251 and shown 1 + k % 3
    times; only the frames `only` says are drawn reach the sink."""

    def __init__(self, sink, only, n=23, fail_at=None):
        self.sink, self.only, self.n, self.fail_at = sink, only, n, fail_at

    def render(self):
        for k in range(self.n):
            if k == self.fail_at:
                raise ValueError(f"frame {k} cannot be drawn")
            if self.only is None or self.only(k):
                self.sink(np.full(SHAPE, k % 251, np.uint8), 1 + k % 3)


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, drawers.CHUNK, 23])
def test_every_frame_comes_back_once_in_order(jobs, n):
    got, counted = [], []
    drawers.draw(lambda sink, only: FakeScene(sink, only, n), lambda f, r: got.append((int(f[0, 0, 0]), r)),
                 jobs, SHAPE, counted.append)
    assert got == [(k % 251, 1 + k % 3) for k in range(n)]
    if jobs > 1:  # the parent counts what it hands on; one drawer alone is the scene, which counts itself
        assert sum(counted) == sum(r for _, r in got)


def test_each_drawer_draws_only_its_chunks():
    seen = []

    def only_for(i):
        return lambda k: drawers.owner(k, 3) == i

    for i in range(3):
        FakeScene(lambda f, r: seen.append((i, int(f[0, 0, 0]))), only_for(i), n=30).render()
    assert sorted(k for _, k in seen) == list(range(30))
    assert all(drawers.owner(k, 3) == i for i, k in seen)


def test_a_failing_drawer_is_one_error_and_no_drawer_is_left():
    import multiprocessing

    with pytest.raises(RuntimeError, match=r"drawer 1 failed: ValueError: frame 5 cannot be drawn"):
        drawers.draw(lambda sink, only: FakeScene(sink, only, 40, fail_at=5), lambda f, r: None, 2, SHAPE)
    assert not multiprocessing.active_children()


def test_a_failing_sink_stops_the_drawers():
    import multiprocessing

    def sink(frame, repeat):
        if frame[0, 0, 0] == 9:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        drawers.draw(lambda s, only: FakeScene(s, only, 400), sink, 2, SHAPE)
    assert not multiprocessing.active_children()


def test_the_ring_is_bounded_at_every_size():
    for h, w in ((480, 854), (1080, 1920), (2160, 3840)):
        n = drawers.slots_for(h * w * 4)
        assert drawers.SLOTS[0] <= n <= drawers.SLOTS[1]
        assert n * h * w * 4 <= max(drawers.RING_BYTES, drawers.SLOTS[0] * h * w * 4)


def test_jobs_default_to_the_cores_and_are_checked():
    from nntopo import forks

    assert drawers.jobs_for(None) == forks.cores() and drawers.jobs_for(3) == 3 and forks.cores() >= 1
    from nntopo.errors import NntopoError

    with pytest.raises(NntopoError, match="jobs"):
        RenderOptions(jobs=0)


# --- the same video ----------------------------------------------------------------------------

def frames_of(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def three_d():
    """circles into R^3: holds, a turning camera, the separating plane."""
    return trained("circles", NetConfig(2, 1, 3, "tanh"), TrainConfig(steps=150, restarts=1, snapshot_every=50),
                   seed=0, n_per_class=30)


CASES = {
    "2d": ("tiny", RenderOptions(fps=5)),
    "3d, looped, dark, 1:1": ("3d", RenderOptions(fps=4, loop=True, background="dark", aspect="1:1")),
    "training": ("tiny", RenderOptions(fps=4, scene="training")),
    "webm": ("tiny", RenderOptions(fps=3, format="webm")),
}


@pytest.mark.render
@pytest.mark.parametrize("case", list(CASES))
def test_two_drawers_make_the_video_one_makes(case, tiny_recording, three_d, tmp_path):
    """Decoded frame for frame, with no tolerance: the same pixels (the encoder is given the
    same frames in the same order), and the same poster."""
    from nntopo import api

    which, opts = CASES[case]
    rec = tiny_recording if which == "tiny" else three_d
    outs = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.{opts.format}"
        api.render(rec, out, dataclasses.replace(opts, jobs=jobs))
        outs.append(out)
    one, two = frames_of(outs[0]), frames_of(outs[1])
    assert len(one) == len(two) > 10
    for k, (a, b) in enumerate(zip(one, two)):
        assert np.array_equal(a, b), f"frame {k} differs"
    assert outs[0].with_suffix(".png").read_bytes() == outs[1].with_suffix(".png").read_bytes()


@pytest.mark.render
def test_two_acts_with_title_cards_are_the_same_video(tiny_recording, three_d, tmp_path):
    """A figure in two parts (title cards, two storyboards, a 2D act then a 3D one)."""
    from nntopo import storyboard
    from nntopo.video import render_storyboards

    boards = [storyboard.layers(tiny_recording, 4).titled("first"), storyboard.layers(three_d, 4).titled("second")]
    outs = []
    for jobs in (1, 2):
        out = tmp_path / f"acts-{jobs}.mp4"
        render_storyboards(boards, out, RenderOptions(fps=4, jobs=jobs))
        outs.append(frames_of(out))
    assert len(outs[0]) == len(outs[1]) == sum(b.total_frames for b in boards)
    assert all(np.array_equal(a, b) for a, b in zip(*outs))


@pytest.mark.render
def test_the_video_is_the_same_in_a_fresh_process_and_after_other_renders(three_d, tmp_path):
    """The same recording and options make the same bytes, however busy the process was before:
    `nntopo render` in a new process, and the API in this one (renders done, caches warm). With
    x264's sliced threads the first render of a process came out different (its first frame
    14,388 bytes, later ones 14,377): the encoder's bytes followed the drawing's timing."""
    import subprocess
    import sys

    from nntopo import api

    rec = three_d.save(tmp_path / "rec.npz")
    fresh = tmp_path / "fresh.mp4"
    r = subprocess.run([sys.executable, "-m", "nntopo", "render", "--from", str(rec), "--fps", "4", "--loop",
                        "--background", "dark", "--aspect", "1:1", "-o", str(fresh)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    opts = RenderOptions(fps=4, loop=True, background="dark", aspect="1:1")
    for k in range(2):
        here = tmp_path / f"here-{k}.mp4"
        api.render(three_d, here, opts)
        assert here.read_bytes() == fresh.read_bytes(), f"render {k} in this process differs from a fresh one"
