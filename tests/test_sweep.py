"""nntopo sweep on a real Dask cluster: 2 worker processes on the loopback address, used through
--scheduler exactly as a user's cluster would be; resume after Ctrl-C, a failing cell, and rows
equal to `nntopo train` + `nntopo inspect` on the same recipe."""

import os
import signal
import subprocess
import sys
import time

import pytest

from nntopo.studies import results, sweep

GRID = ["circles", "--layers", "1-2", "--width", "2,3", "--seeds", "0-1", "--steps", "60", "--points", "30"]


@pytest.fixture(scope="module")
def scheduler():
    """A LocalCluster of 2 single-threaded worker processes on 127.0.0.1: its address."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def nntopo(*args, **kw):
    """The command in a child process, where Ctrl-C (SIGINT) acts as at a terminal."""
    from helpers import default_sigint

    return subprocess.Popen([sys.executable, "-m", "nntopo", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint, **kw)


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")  # one worker runs every test of the one cluster
def test_a_grid_runs_on_the_scheduler_and_lasts(scheduler, tmp_path):
    out = tmp_path / "circles.parquet"
    p = nntopo("sweep", *GRID, "--scheduler", scheduler, "-o", str(out), "--markdown", str(tmp_path / "t.md"),
               "--plot", str(tmp_path / "t.png"))
    stdout, stderr = p.communicate(timeout=600)
    assert p.returncode == 0, stderr
    assert stdout.strip() == str(out) and "8 cells: 0 in circles.parquet already, 8 to run" in stderr
    rows = results.read(out)
    assert len(rows) == 8 and all(r["error"] is None for r in rows)
    assert {(r["layers"], r["width"], r["seed"]) for r in rows} == {(l, w, s) for l in (1, 2) for w in (2, 3) for s in (0, 1)}
    assert len({r["worker"] for r in rows}) == 2  # both workers took cells
    assert all(0 <= r["test_error"] <= 1 and r["homeomorphisms"] in ("1", "11") for r in rows)
    table = (tmp_path / "t.md").read_text()
    assert "| layers | width 2 | width 3 |" in table and table.count("n=2") == 4
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = subprocess.run([sys.executable, "-m", "nntopo", "sweep", "--summary", str(out)],
                             capture_output=True, text=True)
    assert summary.returncode == 0 and summary.stdout == table  # the same table, nothing computed


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")  # one worker runs every test of the one cluster
def test_ctrl_c_keeps_every_finished_cell_and_a_rerun_resumes(scheduler, tmp_path):
    out = tmp_path / "part.csv"
    p = nntopo("sweep", *GRID, "--scheduler", scheduler, "-o", str(out), start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (out.exists() and len(results.read(out)) >= 2):
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C at a terminal reaches the whole process group
    _, stderr = p.communicate(timeout=120)
    assert p.returncode == 130 and "every finished cell is in" in stderr
    first = {r["key"]: r for r in results.read(out)}
    assert 2 <= len(first) <= 8
    again = nntopo("sweep", *GRID, "--scheduler", scheduler, "-o", str(out))
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    assert f"8 cells: {len(first)} in part.csv already, {8 - len(first)} to run" in stderr
    rows = {r["key"]: r for r in results.read(out)}
    assert len(rows) == 8
    assert all(rows[k]["seconds"] == first[k]["seconds"] for k in first)  # none computed again


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")  # one worker runs every test of the one cluster
def test_a_failing_cell_is_its_own_error(scheduler, tmp_path):
    from distributed import Client

    good = sweep.grid(["circles"], [1], [2], ["tanh"], ["dense"], [0], steps=40, points=20)
    bad = sweep.Cell("no-such-data", 1, 2, "tanh", "dense", 0, 40, 20)  # made by hand: no checks
    with Client(scheduler) as client:
        rows = sweep.run(good + [bad], tmp_path / "r.parquet", client, keep=str(tmp_path / "kept"))
    by = {r["dataset"]: r for r in rows}
    assert by["circles"]["error"] is None and by["circles"]["train_accuracy"] > 0
    from nntopo.recording import load  # --keep: the cell's recording, to render it afterwards

    kept = load(tmp_path / "kept" / f"{good[0].key}.npz")
    assert kept.meta.metrics.train_accuracy == by["circles"]["train_accuracy"]
    assert by["no-such-data"]["error"].startswith("ConfigError: dataset 'no-such-data': expected one of")
    assert "1 cell failed" in results.markdown(rows)


@pytest.mark.slow
def test_a_row_is_what_train_and_inspect_give():
    """One cell measured in this process (no cluster): the numbers of train + inspect."""
    from nntopo.analysis import inspect as diagnostics
    from nntopo.config import NetConfig, TrainConfig
    from helpers import trained

    cell = sweep.Cell("circles", 2, 3, "tanh", "dense", 1, steps=80, points=30)
    row = sweep.measure(cell)
    rec = trained("circles", NetConfig(2, 2, 3, "tanh"), TrainConfig(steps=80), 1, 30)
    rep = diagnostics.inspect(rec)
    m = rec.meta.metrics
    assert row["error"] is None
    assert row["train_accuracy"] == m.train_accuracy and row["test_error"] == 1 - m.test_accuracy
    assert row["max_stretch"] == m.max_stretch and row["parameters"] == m.parameters
    expected = "".join("." if s.det is None else "+" if s.det > 0 else "-" for s in rep.stages if s.stage == "linear")
    assert row["det_signs"] == expected and expected.startswith(".")  # 2 -> 3: no det
    assert row["betti_last"] == "; ".join(f"{n} {','.join(map(str, b))}" for n, b in zip(rep.classes, rep.stages[-1].betti))


def test_grids_are_checked_before_anything_runs():
    from nntopo.errors import ConfigError, NntopoError

    assert sweep.numbers("layers", "1-3,5") == [1, 2, 3, 5] and sweep.numbers("seed", "0") == [0]
    with pytest.raises(ConfigError, match="the range 3-1 is empty"):
        sweep.numbers("layers", "3-1")
    with pytest.raises(ConfigError, match="width 0: must be between 1 and 256"):
        sweep.numbers("width", "0,2")
    with pytest.raises(ConfigError, match="expected numbers and ranges"):
        sweep.numbers("seed", "a-b")
    with pytest.raises(ConfigError, match="activation 'nope': expected one of"):
        sweep.names("activation", "tanh,nope", ["tanh", "relu"])
    with pytest.raises(NntopoError, match="cells; a sweep runs up to 100,000"):
        sweep.grid(["circles"], list(range(1, 65)), list(range(1, 200)), ["tanh"], ["dense"], list(range(10)))
    with pytest.raises(ConfigError, match="spirals has 2 classes"):
        sweep.grid(["spirals"], [1], [2], ["tanh"], ["dense"], [0], classes=3)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import FUZZ_SCALE  # noqa: E402


@pytest.mark.fuzz
@settings(max_examples=200 * FUZZ_SCALE)
@given(text=st.text(alphabet="0123456789-, x+.e", max_size=20))
def test_any_grid_text_is_numbers_or_one_line(text):
    from nntopo.errors import ConfigError

    try:
        got = sweep.numbers("layers", text)
    except ConfigError as e:
        assert "\n" not in str(e) and str(e).startswith("layers ")
        return
    assert got and all(isinstance(v, int) and 0 <= v <= 64 for v in got) and len(set(got)) == len(got)


@pytest.mark.fuzz
@settings(max_examples=50 * FUZZ_SCALE)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".parquet", ".csv"]))
def test_any_file_is_rows_or_one_line(tmp_path_factory, data, suffix):
    from nntopo.errors import NntopoError

    path = tmp_path_factory.mktemp("junk") / f"r{suffix}"
    path.write_bytes(data)
    try:
        rows = results.read(path)
    except NntopoError as e:
        assert "\n" not in str(e)
        return
    results.markdown(rows)  # whatever was read can be summarised


@pytest.mark.parametrize("args, words", [
    (["sweep", "circles", "--layers", "1", "-o", "x.parquet"],
     "error: nntopo sweep needs distributed and pyarrow: pip install 'nntopo[sweep]'"),
    (["sweep", "--summary", "x.parquet"], "error: results as Parquet need pyarrow: pip install 'nntopo[sweep]' (or write .csv)"),
])
def test_without_the_extra_the_command_says_what_to_install(tmp_path, args, words):
    """A plain `pip install .` has no dask or pyarrow: nntopo sweep says so in one line."""
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    code = ("import sys; sys.modules['distributed'] = sys.modules['pyarrow'] = None; "  # as if not installed
            f"from nntopo.cli import main; main({args!r})")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and r.stderr.strip() == words, r.stderr
