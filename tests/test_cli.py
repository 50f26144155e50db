import numpy as np
import pytest
from typer.testing import CliRunner

from nntopo import cli, recording
from nntopo.data.datasets import DATASETS, NAMES


def run(*args):
    """Invoke the app as its console script would: exit code, stdout, stderr."""
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "args,words",
    [
        (["render", "nope"], "'nope' is not one of 'curves', 'spirals'"),
        (["render", "spirals", "--activation", "swish"], "'swish' is not one of 'tanh'"),
        (["render", "spirals", "--width", "0"], "--width 0"),
        (["render", "spirals", "--layers", "-1"], "--layers -1"),
        (["render", "spirals", "--quality", "8k"], "'8k' is not one of 'low', 'medium', 'high', '4k'"),
        (["render", "spirals", "--output", "/proc/nntopo/x.mp4"], "/proc/nntopo"),
        (["render", "spirals", "--output", "/proc/x.mp4"], "cannot write"),
        (["render", "spirals", "--output", "clip.avi"], "must end in .mp4"),
        (["render", "spirals", "--fps", "0"], "--fps 0"),
        (["render", "spirals", "--width", "257"], "--width 257: must be between 1 and 256"),
        (["render", "spirals", "--view", "4d"], "--view"),
        (["render", "blobs", "--classes", "11"], "--classes 11: must be between 2 and 10"),
        (["sweep"], "give one or more DATASETs, or --data CSV"),
        (["sweep", "circles", "-o", "r.txt"], "--output r.txt: the file name must end in .parquet or .csv"),
        (["sweep", "circles", "--layers", "3-1", "-o", "r.csv"], "--layers '3-1': the range 3-1 is empty"),
        (["sweep", "circles", "--seeds", "0,x", "-o", "r.csv"], "--seeds '0,x': expected numbers and ranges"),
        (["sweep", "circles", "--width", "2,300", "-o", "r.csv"], "--width 300: must be between 1 and 256"),
        (["sweep", "circles", "--activation", "tanh,nope", "-o", "r.csv"], "--activation 'nope': expected one of"),
        (["sweep", "circles", "--plot", "p.gif", "-o", "r.csv"], "--plot p.gif: the file name must end in .png"),
        (["sweep", "--summary", "none.parquet"], "none.parquet: no such file"),
        (["render", "spirals", "--classes", "3"], "--classes 3: spirals has 2 classes; only blobs takes --classes"),
        (["render"], "give exactly one of a DATASET, --data CSV or --from RECORDING"),
        (["render", "spirals", "--from", "x.npz"], "give exactly one of"),
        (["train", "--data", "p.csv", "spirals", "-o", "r.npz"], "give exactly one of"),
        (["render", "--from", "missing.npz"], "no such file"),
        (["train", "spirals"], "Missing option '--output'"),
        (["train", "circles", "-o", "run.txt"], "must end in .npz"),
        (["render", "spirals", "--bogus"], "No such option '--bogus'"),
        (["render", "circles", "--layer-type", "rbf"], "'rbf' is not one of 'dense', 'vector-field'"),
        (["render", "circles", "--layers", "3", "--layer-type", "dense", "--layer-type", "vector-field"],
         "--layer-type: given 2 times"),
        (["render", "spirals", "--seed", "-1"], "--seed -1: must be between 0 and 4294967295"),
        (["render", "spirals", "--scene", "training", "--overlay"], "--overlay: shows each stage's numbers: only with scene layers"),
        (["render", "spirals", "--scene", "film"], "'film' is not one of 'layers', 'training'"),
        # found by the fuzzer: refused only after training, under a progress bar
        (["render", "circles", "--layers", "0", "--scene", "training"],
         "--scene training: shows networks of 1 or more hidden layers, with the data and every layer at most 2 wide"),
        (["render", "tori", "--scene", "training"], "--scene training: shows networks of 1 or more"),
        (["render", "spirals", "--points", "1"], "--points 1: must be between 2 and 20000"),
        (["render", "spirals", "--steps", "0"], "--steps 0: must be between 1 and 1000000"),
        (["render", "spirals", "--format", "mp4", "--transparent"], "--transparent: mp4 has no alpha channel"),
        (["render", "spirals", "--format", "gif", "--background", "transparent"], "no alpha channel"),
        (["render", "spirals", "--frames"], "--frames: only with format png"),
        (["render", "spirals", "--format", "gif", "-o", "x.mp4"], "must end in .gif"),
        (["figure", "nope"], "'nope' is not one of 'linear-curves'"),
        (["knn", "--k", "0"], "--k 0: must be between 1 and 1000"),
        (["knn", "--seeds", "0"], "--seeds 0: must be between 1 and 100"),
        (["render", "circles", "--layer-type", "vector-field", "--anchors", "0"], "--anchors 0"),
        (["train", "circles", "--layer-type", "vector-field", "--field-width", "-1", "-o", "r.npz"],
         "--field-width -1.0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert words in err
    assert "Traceback" not in err + out


def test_refused_render_keeps_existing_output(tmp_path):
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"precious")
    code, _, _ = run("render", "spirals", "--width", "0", "-o", str(target))
    assert code == 2 and target.read_bytes() == b"precious"
    code, _, err = run("render", "spirals", "-o", str(target), "--no-overwrite")
    assert code == 2 and "--no-overwrite" in err and target.read_bytes() == b"precious"
    code, _, _ = run("render", "--from", str(tmp_path / "nope.npz"), "-o", str(target))
    assert code == 2 and target.read_bytes() == b"precious"


def test_not_a_recording_is_one_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run("render", "--from", str(bad), "-o", str(tmp_path / "x.mp4"))
    assert code == 2 and err.count("\n") == 1 and "not a readable .npz" in err
    assert not (tmp_path / "x.mp4").exists()


def test_datasets_lists_every_dataset():
    code, out, _ = run("datasets")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(NAMES)
    real = {line.split()[0]: line for line in lines[len(DATASETS):]}
    assert "784D" in real["mnist"] and "10 classes, 5,000 points" in real["mnist"]
    assert "4D" in real["iris"] and "3 classes, 150 points" in real["iris"]


def test_help_exits_cleanly():
    code, out, _ = run("render", "--help")
    assert code == 0 and "--layers" in out and "--from" in out


def test_train_writes_a_recording(tmp_path):
    path = tmp_path / "run.npz"
    code, out, err = run("train", "intervals", "--layers", "1", "--width", "2",
                         "--steps", "20", "--points", "10", "--seed", "4", "-o", str(path))
    assert code == 0 and out.strip() == str(path)
    assert "training accuracy" in err
    rec = recording.load(path)
    assert rec.meta.data.name == "intervals" and rec.meta.seed == 4
    assert rec.X.shape == (20, 1) and rec.net.layers[0].W.shape == (2, 1)


@pytest.mark.slow
def test_train_a_mixed_network(tmp_path):
    path = tmp_path / "mixed.npz"
    code, out, err = run("train", "curves", "--layers", "2", "--layer-type", "vector-field",
                         "--layer-type", "dense", "--width", "3", "--anchors", "4", "--fixed-widths",
                         "--steps", "20", "--points", "10", "-o", str(path))
    assert code == 0, err
    rec = recording.load(path)
    assert [l.kind for l in rec.net.layers] == ["vector-field", "dense"]
    assert rec.net.layers[0].anchors.shape == (4, 2) and rec.net.layers[1].W.shape == (3, 2)
    assert rec.meta.net.config.learn_widths is False
    assert np.all(rec.snapshots.params[0]["widths"] == 0.5)  # fixed: never trained
