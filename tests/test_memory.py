"""A render that would not fit in memory is refused up front, with the estimate."""

import pytest
from typer.testing import CliRunner

from nntopo import cli
from nntopo.video import memory as resources  # noqa: the module under test
from nntopo.config import RenderOptions
from nntopo.errors import NntopoError


def test_the_estimate_grows_with_the_frame_and_the_points():
    low, four_k = RenderOptions(quality="low"), RenderOptions(quality="4k")
    assert resources.needed(low, 500) < resources.needed(four_k, 500) < resources.needed(four_k, 40_000)
    # within a third of what make bench measured for the flagship (218 MB at 480p, 1025 MB at 4k)
    assert 150e6 < resources.needed(low, 500) < 300e6 and 0.7e9 < resources.needed(four_k, 500) < 1.4e9


def test_this_machine_says_what_it_has():
    """psutil's figure is the kernel's own MemAvailable (Linux), give or take what moved meanwhile."""
    import psutil

    have = resources.available()
    with open("/proc/meminfo") as f:
        kernel = next(float(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    assert 0 < have <= psutil.virtual_memory().total
    assert abs(have - kernel) < 0.1 * kernel


def test_a_render_that_would_not_fit_is_refused_before_any_work(tiny_recording, tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "available", lambda: 300e6)
    rec_path = tiny_recording.save(tmp_path / "run.npz")
    out = tmp_path / "big.mp4"
    result = CliRunner().invoke(cli.app, ["render", "--from", str(rec_path), "--quality", "4k", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: this render needs about 1.3 GB of memory and 0.3 GB are available")
    assert not out.exists()
    result = CliRunner().invoke(cli.app, ["render", "spirals", "--quality", "4k", "-o", str(out)])
    assert result.exit_code == 2 and "needs about" in result.stderr and "training" not in result.stderr
    import nntopo

    with pytest.raises(NntopoError, match="needs about"):
        nntopo.render(tiny_recording, out, quality="4k")
    assert not out.exists()
    # the Python API refuses it at the same moment as the command: before training starts
    steps = []
    with pytest.raises(NntopoError, match="needs about"):
        nntopo.train("spirals", quality="4k", progress=steps.append)
    with pytest.raises(NntopoError, match="needs about"):
        nntopo.render("spirals", out, quality="4k", progress=steps.append)
    assert steps == [] and not out.exists()


def test_wide_layers_cost_what_their_keys_hold():
    low = RenderOptions()
    narrow, wide = resources.needed(low, 500, 2, 4), resources.needed(low, 500, 256, 4)
    assert narrow == resources.needed(low, 500)  # up to 3 units: nothing kept beyond the chunks
    assert 100e6 < wide - narrow < 150e6  # measured: about 125 MB for four 256-unit layers


def test_drawers_are_as_many_as_memory_holds(monkeypatch):
    """Two drawers where both fit beside the render, one (drawing in this process) where they do
    not: a render that fits drawn alone is never refused for its drawers."""
    high = RenderOptions(quality="high")
    one = resources.drawer_bytes(high, 500)
    assert 50e6 < one < 150e6  # measured: 76 MB of its own at 1080p60
    frame = resources.PER_PIXEL * 1920 * 1080
    for spare, expect in ((10 * one, 2), (2.5 * one, 2), (1.5 * one, 1), (0, 1)):
        monkeypatch.setattr(resources, "available", lambda: frame + spare)
        assert resources.drawers(high, 500, 2) == expect
        assert resources.drawers(high, 500, 1) == 1
    monkeypatch.setattr(resources, "available", lambda: frame + 3.5 * one)
    assert resources.drawers(high, 500, 8) == 3
