import json

import numpy as np
import pytest
from typer.testing import CliRunner

from nntopo import cli, recording
from nntopo.analysis import inspect as diagnostics, topology
from nntopo.data.datasets import make_dataset
from nntopo.nets.network import Dense, Network

RNG = np.random.default_rng(0)


def disk(n, r=1.0, c=(0.0, 0.0)):
    u = np.sqrt(RNG.uniform(0, 1, n)) * r
    t = RNG.uniform(0, 2 * np.pi, n)
    return np.c_[u * np.cos(t) + c[0], u * np.sin(t) + c[1]]


def test_betti_numbers_of_known_shapes():
    t = RNG.uniform(0, 2 * np.pi, 600)
    X, y = make_dataset("circles", 1500, seed=0)
    assert topology.betti(np.c_[np.cos(t), np.sin(t)]) == (1, 1)  # circle
    assert topology.betti(disk(1500)) == (1, 0)  # disk
    assert topology.betti(X[y == 1]) == (1, 1)  # the essay's annulus
    assert topology.betti(X[y == 0]) == (1, 0)  # the essay's disk
    assert topology.betti(np.r_[disk(700, 0.3, (-1, 0)), disk(700, 0.3, (1, 0))]) == (2, 0)
    # a linear squash changes no topology: whitening undoes it
    assert topology.betti(X[y == 1] * [1.0, 0.05]) == (1, 1)


def test_betti_of_a_sphere_in_3d():
    v = RNG.standard_normal((500, 3))
    assert topology.betti(v / np.linalg.norm(v, axis=1, keepdims=True), maxdim=2) == (1, 0, 1)


def _farthest_by_norm(X, k):
    """farthest_points as first written, with np.linalg.norm: the reference."""
    chosen = [0]
    dist = np.linalg.norm(X - X[0], axis=1)
    for _ in range(k - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(X - X[i], axis=1))
    return np.array(chosen)


@pytest.mark.parametrize("d", [1, 2, 3, 7, 8, 16, 35])
def test_farthest_points_are_norms_to_the_bit(d):
    r = np.random.default_rng(d)
    for X in (r.normal(size=(900, d)), np.round(r.normal(size=(600, d)), 1),  # ties
              r.normal(size=(500, d)).astype(np.float32), r.integers(-3, 4, size=(400, d))):
        got = topology.farthest_points(X, 120)
        assert got.dtype == np.int64 and np.array_equal(got, _farthest_by_norm(X, 120)), X.dtype
    assert np.array_equal(topology.farthest_points(X[:50], 120), np.arange(50))


def test_count_features_rule():
    assert topology.count_features(np.array([2.0, 0.05, 0.04]), spacing=0.03) == 1
    assert topology.count_features(np.array([0.05, 0.04, 0.04]), spacing=0.03) == 0  # no standout
    assert topology.count_features(np.array([0.02, 0.001]), spacing=0.03) == 0  # under the floor
    assert topology.count_features(np.array([]), spacing=0.03) == 0


def test_separability():
    X, y = make_dataset("circles", 200, seed=1)
    assert not topology.separable(X, y)
    assert topology.linear_accuracy(X, y) < 1.0
    lifted = np.c_[X, (X**2).sum(1)]  # the paraboloid lift of a comment on the essay
    assert topology.separable(lifted, y) and topology.linear_accuracy(lifted, y) == 1.0


def hand_recording(layers, X, y, activation="tanh"):
    net = Network(tuple(Dense(W, b, activation) for W, b in layers), np.ones(layers[-1][0].shape[0]), 0.0)
    meta = recording.Meta(recording.Data("circles", extent=1.2), recording.NetSource(model="by hand"),
                          recording.Metrics(train_accuracy=0.5), seed=0)
    snaps = recording.Snapshots(np.array([0]), np.zeros(1), np.zeros(1),
                                tuple({"W": W[None], "b": b[None]} for W, b in layers),
                                net.head_w[None], np.zeros(1))
    return recording.Recording(meta, X, y, net, snaps)


def test_flags_on_hand_made_layers():
    X, y = make_dataset("circles", 100, seed=0)
    good = (np.array([[2.0, 1.0], [0.0, 1.0]]), np.zeros(2))  # det 2
    singular = (np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros(2))  # det 0
    narrow = (np.array([[1.0, 1.0]]), np.zeros(1))  # 2 -> 1
    rep = diagnostics.inspect(hand_recording([good, singular, narrow], X, y))
    by = {(s.layer, s.stage): s for s in rep.stages}
    assert by[(1, "linear")].det == pytest.approx(2.0) and by[(1, "linear")].homeomorphism
    assert by[(1, "linear")].cond == pytest.approx(np.linalg.cond(good[0]))
    assert by[(2, "linear")].det == pytest.approx(0.0) and not by[(2, "linear")].homeomorphism
    assert not by[(3, "linear")].homeomorphism and "narrows" in by[(3, "linear")].why
    assert all(by[(k, "translate")].homeomorphism for k in (1, 2, 3))
    assert by[(1, "activate")].homeomorphism  # tanh
    relu = diagnostics.inspect(hand_recording([good], X, y, activation="relu"))
    assert not relu.stages[2].homeomorphism and "folds" in relu.stages[2].why
    # the homeomorphic first layer keeps the disk and the annulus
    assert by[(1, "activate")].betti == ((1, 0), (1, 1))


def test_stretch_matches_finite_differences():
    X, y = make_dataset("circles", 50, seed=0)
    W, b = np.array([[1.5, -0.5], [0.3, 2.0]]), np.array([0.1, -0.2])
    rep = diagnostics.inspect(hand_recording([(W, b)], X, y))
    eps = 1e-6
    sv = []
    for x in X:
        J = np.stack([(np.tanh(W @ (x + e) + b) - np.tanh(W @ (x - e) + b)) / (2 * eps)
                      for e in np.eye(2) * eps], 1)
        sv.append(np.linalg.svd(J, compute_uv=False)[0])
    assert rep.stages[2].stretch_max == pytest.approx(max(sv), rel=1e-6)
    assert rep.stages[0].stretch_max == pytest.approx(np.linalg.svd(W, compute_uv=False)[0])


def test_inspect_command_table_and_json(tiny_recording, tiny_report, tmp_path, monkeypatch):
    path = recording.save(tiny_recording, tmp_path / "run.npz")
    measured = []

    def inspect(rec):  # the command measures what it read from the file: tiny_recording, measured once here
        assert np.array_equal(rec.X, tiny_recording.X) and np.array_equal(rec.y, tiny_recording.y)
        measured.append(rec)
        return tiny_report

    monkeypatch.setattr(diagnostics, "inspect", inspect)
    runner = CliRunner()
    table = runner.invoke(cli.app, ["inspect", str(path)])
    assert table.exit_code == 0 and "Betti" in table.stdout and "homeo" in table.stdout
    result = runner.invoke(cli.app, ["inspect", str(path), "--json"])
    data = json.loads(result.stdout)
    assert len(data["stages"]) == 3 * len(tiny_recording.net.layers)
    assert {"det", "cond", "homeomorphism", "separable", "betti", "stretch_max"} <= set(data["stages"][0])
    assert len(measured) == 2
    bad = runner.invoke(cli.app, ["inspect", str(tmp_path / "missing.npz")])
    assert bad.exit_code == 2 and bad.stderr.startswith("error:")


def test_a_report_reads_back_from_its_cache_json_exactly_and_nothing_else_does(tiny_report):
    import dataclasses

    from nntopo.analysis import report

    first = dataclasses.replace(tiny_report.stages[0], cond=float("inf"))
    rep = dataclasses.replace(tiny_report, stages=(first, *tiny_report.stages[1:]))
    assert report.from_json(report.cache_json(rep)) == rep  # infinity included
    good = json.loads(report.cache_json(rep))
    for damage in (
        lambda d: d.pop("dataset"),  # a field missing
        lambda d: d.update(extra=1),  # a field too many
        lambda d: d.update(points=True),  # a bool for an int
        lambda d: d.update(points=1.5),  # a float for an int
        lambda d: d.update(train_accuracy="0.9"),  # a string for a float
        lambda d: d.update(classes="AB"),  # a string for a tuple
        lambda d: d["stages"][0].update(betti=[[1, "0"]]),  # deep inside
        lambda d: d.update(stages=[None]),
    ):
        bad = json.loads(json.dumps(good))
        damage(bad)
        with pytest.raises(ValueError):
            report.from_json(json.dumps(bad))
    for text in ("", "[", "[]", "null", "1e999", "[" * 100000):
        with pytest.raises(ValueError):
            report.from_json(text)


def test_overlay_notes_follow_the_stages(tiny_recording, tiny_report):
    from nntopo import storyboard
    from nntopo.storyboard import Kind

    rep = tiny_report
    sb = storyboard.layers(tiny_recording, fps=5, overlay=rep)
    assert all(b.notes for b in sb.blocks)
    assert sb.blocks[0].notes[0].startswith("input: Betti")
    by_stage = {(s.layer - 1, s.stage): s for s in rep.stages}
    for b in sb.blocks:
        if b.kind is Kind.STAGE:  # each stage shows its own numbers
            s = by_stage[(b.layer, b.stage)]
            assert f"cond {s.cond:.3g}" in b.notes[0]
            assert b.notes[0].endswith("homeomorphism")
            assert f"Betti A {s.betti[0]}, B {s.betti[1]}" in b.notes[1]


def test_c_way_separability_is_not_one_vs_rest():
    """Three clusters on a line: a linear 3-way head gets them all right (the middle one wins
    between the others), but no single line cuts the middle one from the rest."""
    from nntopo.analysis.topology import apart, separable

    rng = np.random.default_rng(0)
    X = np.concatenate([c + 0.05 * rng.standard_normal((30, 2)) for c in ([-1, 0], [0, 0], [1, 0])])
    y = np.repeat([0, 1, 2], 30)
    assert separable(X, y)
    assert apart(X, y, 3) == (True, False, True)
    y_mixed = y.copy()
    y_mixed[0] = 2  # a point of class 2 inside class 0's cluster: no linear head gets it
    assert not separable(X, y_mixed)


def test_inspect_measures_every_class():
    from nntopo.config import NetConfig, TrainConfig
    from helpers import trained

    rec = trained("blobs", NetConfig(2, 1, 3, "tanh"), TrainConfig(steps=150, restarts=1), seed=0,
                 n_per_class=20, classes=3)
    rep = diagnostics.inspect(rec)
    assert rep.classes == ("A", "B", "C") and len(rep.input_betti) == 3
    assert all(len(s.betti) == 3 and len(s.apart) == 3 for s in rep.stages)
    assert all(b[0] == 1 for b in rep.input_betti)  # each blob is one piece
