import json
from pathlib import Path

import numpy as np
import pytest

from nntopo import recording
from nntopo.config import NetConfig
from nntopo.recording import FORMAT_VERSION, RecordingError, load, save


def test_round_trip(tiny_recording, tmp_path):
    path = save(tiny_recording, tmp_path / "run.npz")
    back = load(path)
    assert back.meta == tiny_recording.meta
    assert np.array_equal(back.X, tiny_recording.X) and np.array_equal(back.y, tiny_recording.y)
    for a, b in zip(back.net.layers, tiny_recording.net.layers):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b) and a.activation == b.activation
    assert np.array_equal(back.snapshots.params[1]["W"], tiny_recording.snapshots.params[1]["W"])
    assert np.allclose(back.net.logits(back.X), tiny_recording.net.logits(tiny_recording.X))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_meta_describes_the_run(tiny_recording, tmp_path):
    m = tiny_recording.meta
    assert m.data.name == "spirals" and "turns" in m.data.params
    assert m.net.config == NetConfig(2, 2, 2, "tanh", ("dense", "dense"))
    assert m.classes == ("A", "B") and m.train.steps == 60 and m.seed == 3
    # the JSON is format 3's, as earlier versions of nntopo wrote and read it
    with np.load(save(tiny_recording, tmp_path / "r.npz")) as z:
        j = json.loads(str(z["meta"]))
    assert j["dataset"]["name"] == "spirals" and "turns" in j["dataset"]["params"] and "source" not in j["dataset"]
    assert j["net"] == {"in_dim": 2, "layers": 2, "width": 2, "activation": "tanh",
                        "layer_types": ["dense", "dense"], "anchors": 8, "field_width": 0.5,
                        "learn_widths": True,
                        "hidden": [{"kind": "dense", "activation": "tanh", "param": None}] * 2}
    assert j["classes"] == ["A", "B"]
    assert j["train"]["steps"] == 60 and j["seed"] == 3
    assert set(m.versions) >= {"nntopo", "numpy", "torch", "python"}
    rec = tiny_recording
    assert m.metrics.train_accuracy == np.mean(rec.net.predict(rec.X) == rec.y)


def test_snapshots_cover_training(tiny_recording):
    s = tiny_recording.snapshots
    assert list(s.steps) == [0, 20, 40, 60]
    assert s.params[0]["W"].shape == (4, 2, 2) and s.head_w.shape == (4, 1, 2)
    last = s.network(-1, tiny_recording.net)
    assert np.allclose(last.logits(tiny_recording.X), tiny_recording.net.logits(tiny_recording.X))


def test_saved_file_is_loadable_without_pickle(tiny_recording, tmp_path):
    path = save(tiny_recording, tmp_path / "run.npz")
    with np.load(path, allow_pickle=False) as z:
        assert int(z["format"]) == FORMAT_VERSION
        assert all(z[k].dtype != object for k in z.files)


def test_refuses_files_that_are_not_recordings(tmp_path, tiny_recording):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    truncated = tmp_path / "truncated.npz"
    good = save(tiny_recording, tmp_path / "good.npz").read_bytes()
    truncated.write_bytes(good[: len(good) // 2])
    for path, words in [
        (tmp_path / "missing.npz", "no such file"),
        (text, "not a readable .npz"),
        (other, "not an nntopo recording"),
        (truncated, "not a readable .npz"),
    ]:
        with pytest.raises(RecordingError, match=words):
            load(path)


def test_refuses_other_format_versions(tiny_recording, tmp_path, monkeypatch):
    monkeypatch.setattr(recording.format, "FORMAT_VERSION", FORMAT_VERSION + 1)
    path = save(tiny_recording, tmp_path / "future.npz")
    monkeypatch.setattr(recording.format, "FORMAT_VERSION", FORMAT_VERSION)
    with pytest.raises(RecordingError, match=f"format {FORMAT_VERSION + 1}"):
        load(path)


def test_refuses_inconsistent_shapes(tiny_recording, tmp_path):
    path = save(tiny_recording, tmp_path / "run.npz")
    with np.load(path) as z:
        data = dict(z)
    data["W1"] = np.zeros((2, 5))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **data)
    with pytest.raises(RecordingError, match=r"array W1 has shape \(2, 5\); layer 1 takes 2 inputs"):
        load(bad)
    data["W1"] = tiny_recording.net.layers[1].W
    del data["head_w"]
    np.savez(bad, **data)
    with pytest.raises(RecordingError, match="array head_w is missing"):
        load(bad)


def test_failed_save_keeps_the_old_file(tiny_recording, tmp_path, monkeypatch):
    path = save(tiny_recording, tmp_path / "run.npz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError):
        save(tiny_recording, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


@pytest.mark.parametrize("key,value", [("W0", np.nan), ("head_w", np.inf), ("snap_b1", -np.inf)])
def test_non_finite_parameters_are_refused_naming_the_array(tiny_recording, tmp_path, key, value):
    from typer.testing import CliRunner

    from nntopo import cli

    path = save(tiny_recording, tmp_path / "run.npz")
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data[key] = data[key].astype(np.float64)
    data[key].flat[0] = value
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(RecordingError, match=f"non-finite numbers .* in {key}$"):
        load(tmp_path / "bad.npz")
    for command in (["render", "--from"], ["inspect"]):
        result = CliRunner().invoke(cli.app, [*command, str(tmp_path / "bad.npz")])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and key in result.stderr


def test_format_2_files_are_still_read(tiny_recording, tmp_path):
    """Format 2: one activation for all layers, a one-logit head of shape (k,), no class names."""
    path = save(tiny_recording, tmp_path / "new.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["net"]["hidden"], meta["classes"]
    arrays.update(format=np.array(2), meta=np.array(json.dumps(meta)), head_w=arrays["head_w"][0],
                  head_b=arrays["head_b"][0], snap_head_w=arrays["snap_head_w"][:, 0],
                  snap_head_b=arrays["snap_head_b"][:, 0])
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    back = load(old)
    assert back.classes == ("A", "B") and back.net.head_w.shape == (1, 2)
    assert np.array_equal(back.net.outputs(back.X), tiny_recording.net.outputs(tiny_recording.X))
    assert np.array_equal(back.snapshots.head_w, tiny_recording.snapshots.head_w)


def test_a_recording_without_history_saves_and_loads(tiny_recording, tmp_path):
    rec = recording.Recording(tiny_recording.meta, tiny_recording.X, tiny_recording.y,
                              tiny_recording.net, recording.Snapshots.none(tiny_recording.net))
    back = load(save(rec, tmp_path / "none.npz"))
    assert len(back.snapshots) == 0
    with np.load(tmp_path / "none.npz") as z:
        assert not [k for k in z.files if k.startswith("snap_")]
    assert np.array_equal(back.net.outputs(back.X), rec.net.outputs(rec.X))


@pytest.mark.parametrize("hidden,words", [
    ([{"kind": "dense", "activation": "swish", "param": None}] * 2, "activation 'swish'"),
    ([{"kind": "dense", "activation": "leaky-relu", "param": float("inf")}] * 2, "finite"),
    ([{"kind": "conv"}] * 2, "layer kind 'conv'"),
    ("dense", "net.hidden"),
])
def test_a_format_3_file_that_lies_about_its_layers_is_refused(tiny_recording, tmp_path, hidden, words):
    path = save(tiny_recording, tmp_path / "r.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    meta["net"]["hidden"] = hidden
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(RecordingError, match=words):
        load(path)


@pytest.mark.parametrize("name", ["format3-field.npz", "format3-yours.npz"])
def test_files_written_before_the_typed_metadata_read_the_same(name, tmp_path):
    """Recordings written by nntopo 251c634 (the metadata a plain dict then): nntopo's own, with
    a vector-field step, and a user's model with named classes. Read, then written again, their
    JSON is what it was, and the network computes what it did."""
    path = Path(__file__).parent / "data" / name
    with np.load(path) as z:
        raw = json.loads(str(z["meta"]))
    rec = load(path)
    again = save(rec, tmp_path / name)
    with np.load(again) as z:
        assert json.loads(str(z["meta"])) == raw
    back = load(again)
    assert back.meta == rec.meta and np.array_equal(back.net.outputs(back.X), rec.net.outputs(rec.X))
    if name == "format3-yours.npz":
        assert rec.classes == ("x", "y", "z") and rec.meta.train is None and rec.meta.net.model == "Sequential"
    else:
        assert rec.meta.net.config.types() == ("vector-field", "dense") and len(rec.meta.metrics.field_steps) == 1
