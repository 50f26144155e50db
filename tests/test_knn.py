import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from nntopo import cli, knn


def brute_probabilities(z, ref, ref_y, C, k=None):
    """One point at a time, with loops: the k nearest, weights 1 / (distance + EPS)."""
    out = np.zeros((len(z), C))
    for i, p in enumerate(z):
        d = [float(np.linalg.norm(p - r)) for r in ref]
        order = sorted(range(len(ref)), key=lambda j: d[j])[: k or len(ref)]
        for j in order:
            out[i, ref_y[j]] += 1.0 / (d[j] + knn.EPS)
        out[i] /= out[i].sum()
    return out


def test_knn_loss_against_brute_force():
    rng = np.random.default_rng(0)
    za, zb = rng.normal(size=(5, 3)), rng.normal(size=(6, 3))
    ya, yb = np.array([0, 1, 2, 1, 0]), np.array([2, 2, 0, 1, 1, 0])
    for k in (None, 1, 3):
        pa = brute_probabilities(za, zb, yb, 3, k)
        pb = brute_probabilities(zb, za, ya, 3, k)
        # (a class absent among the k neighbours has probability 0: the loss adds 1e-12 first)
        expected = 0.5 * (-np.log(pa[np.arange(5), ya] + 1e-12).mean() - np.log(pb[np.arange(6), yb] + 1e-12).mean())
        t = [torch.tensor(a) for a in (za, ya, zb, yb)]
        got = knn.knn_loss(*t, n_classes=3, k=k)
        assert np.isclose(float(got), expected, rtol=1e-9)
        p = knn.knn_probabilities(t[0], t[2], t[3], 3, k)
        assert np.allclose(p.numpy(), pa)


def test_knn_loss_gradient():
    rng = np.random.default_rng(1)
    za = torch.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    zb = torch.tensor(rng.normal(size=(5, 2)), requires_grad=True)
    ya, yb = torch.tensor([0, 1, 1, 0]), torch.tensor([1, 0, 0, 1, 1])
    for k in (None, 2):
        assert torch.autograd.gradcheck(lambda a, b: knn.knn_loss(a, ya, b, yb, 2, k), (za, zb))


def test_knn_predict_against_brute_force():
    rng = np.random.default_rng(2)
    tr, te = rng.normal(size=(40, 2)), rng.normal(size=(15, 2))
    ytr = rng.integers(0, 3, 40)
    for k in (1, 5):
        expected = brute_probabilities(te, tr, ytr, 3, k).argmax(1)
        assert np.array_equal(knn.knn_predict(tr, ytr, te, k, 3), expected)


@pytest.mark.parametrize("name,side,n_train,n_test", [pytest.param("mnist5k", 28, 4000, 1000, marks=pytest.mark.slow),
                                                      ("digits", 8, 1300, 497)])
def test_loaders(name, side, n_train, n_test):
    s = knn.load_digits(name)
    assert s.X_train.shape == (n_train, 1, side, side) and s.X_test.shape == (n_test, 1, side, side)
    assert s.X_train.dtype == np.float32 and 0.0 <= s.X_train.min() and s.X_train.max() <= 1.0
    assert s.y_train.shape == (n_train,) and set(s.y_test.tolist()) == set(range(10))
    # stratified: every class has its share of the test set
    counts = np.bincount(s.y_test, minlength=10)
    assert counts.max() - counts.min() <= max(3, n_test // 50)
    again = knn.load_digits(name)
    assert np.array_equal(again.y_test, s.y_test)  # the split is fixed


def test_training_is_deterministic_and_learns():
    split = knn.load_digits("digits")
    cfg = knn.KnnConfig(epochs=2)
    a = knn.evaluate(knn.train_net(split, "knn", cfg, 0), split, (1,), softmax=False)
    b = knn.evaluate(knn.train_net(split, "knn", cfg, 0), split, (1,), softmax=False)
    assert a == b and a["knn1"] < 0.5  # far better than chance (0.9)


def test_knn_command_end_to_end(tmp_path):
    js, md = tmp_path / "knn.json", tmp_path / "knn.md"
    result = CliRunner().invoke(cli.app, ["knn", "digits", "--seeds", "2", "--epochs", "1", "--k", "1,3",
                                          "--json", str(js), "--markdown", str(md)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(js.read_text())
    assert [(r["loss"], r["seed"]) for r in data["rows"]] == [("softmax", 0), ("knn", 0), ("softmax", 1), ("knn", 1)]
    assert set(data["rows"][0]["errors"]) == {"softmax", "knn1", "knn3"}
    assert set(data["rows"][1]["errors"]) == {"knn1", "knn3"}
    assert all(r["n_train"] == 1300 and r["n_test"] == 497 for r in data["rows"])
    table = md.read_text()
    assert table in result.stdout and "| digits | softmax | 0,1 | 1300/497 |" in table
    assert "| digits | k-NN loss | 0,1 |" in table


@pytest.mark.parametrize("args,words", [
    (["knn", "cifar"], "'cifar' is not one of"),
    (["knn", "--k", "a,b"], "--k a,b"),
    (["knn", "--k", "0"], "--k 0: must be between 1 and 1000"),
    (["knn", "--seeds", "0"], "--seeds 0"),
    (["knn", "--json", "out.txt"], "must end in .json"),
])
def test_knn_bad_input(args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and words in result.stderr
    assert result.stderr.count("\n") == 1


def test_leave_one_out_skips_the_point_itself():
    z = np.array([[0.0], [0.1], [5.0], [5.1], [5.2]])
    y = np.array([0, 1, 1, 1, 1])
    # with itself counted, every point is right; without, point 0's neighbour is point 1 (class 1)
    assert np.array_equal(knn.knn_predict(z, y, z, 1, 2), y)
    assert knn.knn_predict(z, y, z, 1, 2, leave_one_out=True).tolist() == [1, 0, 1, 1, 1]


def test_spread_is_scale_free_and_falls_as_classes_tighten():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    loose = centres[y] + rng.normal(size=(150, 2))
    tight = centres[y] + 0.2 * rng.normal(size=(150, 2))
    assert knn.spread(tight, y) < knn.spread(loose, y)
    assert np.isclose(knn.spread(3 * loose, y), knn.spread(loose, y))


@pytest.fixture(scope="module")
def short_trajectory():
    return knn.trajectory("digits", "knn", knn.KnnConfig(epochs=2, rep_dim=2), 0, per_class=5)


def test_trajectory_records_every_epoch(short_trajectory, tmp_path):
    tr = short_trajectory
    assert tr.z.shape == (3, 50, 2) and tr.epochs.tolist() == [0, 1, 2]
    assert np.bincount(tr.y).tolist() == [5] * 10 and tr.wrong.shape == (50,)
    assert tr.test_error.shape == (3,) and tr.meta["metrics"]["knn_test_error"] == tr.test_error[-1]
    again = knn.trajectory("digits", "knn", knn.KnnConfig(epochs=2, rep_dim=2), 0, per_class=5)
    assert np.array_equal(again.z, tr.z)  # deterministic
    path = tmp_path / "t.npz"
    knn.save_trajectory(tr, path)
    back = knn.load_trajectory(path)
    assert np.array_equal(back.z, tr.z) and back.meta == json.loads(json.dumps(tr.meta))  # (tuples: lists)
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a k-NN trajectory"):
        knn.load_trajectory(path)


def test_knn_timeline_draws_ten_classes(short_trajectory):
    from nntopo import storyboard

    sb = storyboard.knn(short_trajectory, fps=5, seconds=2, hold=1)
    tl = sb.frames(0, sb.n_frames)
    assert sb.n_frames == 10 + 5 and len(tl.counter) == sb.n_frames
    assert sb.classes == tuple(str(c) for c in range(10)) and len(tl.points) == 10
    assert all(p.shape == (sb.n_frames, 5, 3) for p in tl.points)
    assert tl.grid.shape[1] == 0
    # the first and last frames are the first and last snapshots, on screen
    tr, lay = short_trajectory, sb.layout
    for frame, snapshot in ((0, 0), (-1, -1)):  # shown = a * z + c, the same scale on both axes
        truth = np.concatenate([tr.z[snapshot][tr.y == c] for c in range(10)])
        shown = np.concatenate([p[frame][:, :2] for p in tl.points])
        a = np.linalg.lstsq(np.hstack([truth - truth.mean(0)]), shown - shown.mean(0), rcond=None)[0]
        assert np.allclose(a, a[0, 0] * np.eye(2), atol=1e-4) and a[0, 0] > 0
    for p in tl.points:
        assert (np.abs(p[..., :2] - np.array(lay.plot_center)) <= lay.plot_half * 1.01).all()
    assert tl.counter[0].startswith("epoch 0") and tl.counter[-1].startswith("epoch 2")
