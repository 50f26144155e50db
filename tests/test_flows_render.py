"""Residual networks and neural ODEs trained by plain torch, end to end: recorded from the API,
saved and rendered `--from` their recordings (the ResNet also from an exported .pt2 with
--model), every frame looked at; the video of a flow ends where the model sends every point."""

import csv
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn
from torchdiffeq import odeint

import nntopo
from nntopo import storyboard
from nntopo.data.datasets import make_dataset
from helpers import decoded


def circles(n=120, seed=0):
    return make_dataset("circles", n, seed)


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, d))

    def forward(self, x):
        return x + self.f(x)


class Field(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, d))

    def forward(self, t, x):
        return self.net(x)


class NeuralODE(nn.Module):
    """ANODE's model: pad with `augment` zeros, integrate, read the state with a Linear."""

    def __init__(self, d=2, h=16, augment=0, method="dopri5", options=None):
        super().__init__()
        self.augment, self.method, self.options = augment, method, options
        self.func = Field(d + augment, h)
        self.head = nn.Linear(d + augment, 2)
        self.register_buffer("t", torch.tensor([0.0, 1.0]))

    def forward(self, x):
        if self.augment:
            x = torch.cat([x, torch.zeros(x.shape[0], self.augment, dtype=x.dtype)], 1)
        y = odeint(self.func, x, self.t, method=self.method, rtol=1e-3, atol=1e-4, options=self.options)[-1]
        return self.head(y)


def fit(model, X, y, steps):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), 2e-2)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(Xt), yt).backward()
        opt.step()
    return model.eval()


def logits(model, X):
    import copy

    with torch.no_grad():
        return copy.deepcopy(model).double()(torch.tensor(X, dtype=torch.float64)).numpy()


@pytest.fixture(scope="module")
def data():
    return circles()


@pytest.fixture(scope="module")
def resnet(data):
    torch.manual_seed(0)
    X, y = data
    return fit(nn.Sequential(nn.Linear(2, 3), Block(3, 8), Block(3, 8), nn.Linear(3, 2)), X, y, 150)


@pytest.fixture(scope="module", params=[(0, "dopri5", None), (1, "rk4", {"step_size": 0.25})],
                ids=["plain-dopri5", "augmented-rk4"])
def ode(request, data):
    torch.manual_seed(0)
    augment, method, options = request.param
    X, y = data
    return fit(NeuralODE(augment=augment, method=method, options=options), X, y, 40)


def _frames_look_right(video, n_min=10):
    frames = decoded(video)
    assert len(frames) >= n_min
    for f in frames[:: max(1, len(frames) // 8)]:
        assert f.std() > 5  # not an empty picture
        # the plot's left part has colour (data, heat map): not only the white background
        left = f[:, : f.shape[1] // 2]
        assert (np.abs(left - 255).sum(-1) > 60).mean() > 0.02


def _render_from(path, out):
    run = subprocess.run([sys.executable, "-m", "nntopo", "render", "--from", str(path), "-o", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


@pytest.mark.render
def test_a_users_resnet_renders_from_the_api_its_recording_and_its_pt2(resnet, data, tmp_path):
    X, y = data
    rec = nntopo.record(resnet, X, y)
    assert np.abs(rec.net.outputs(rec.X) - logits(resnet, X)).max() < 1e-5
    assert [layer.kind for layer in rec.net.layers] == ["dense", "residual", "residual"]
    sb = storyboard.layers(rec, fps=6)
    assert any("residual block" in b.caption for b in sb.blocks)
    _frames_look_right(_render_from(rec.save(tmp_path / "resnet.npz"), tmp_path / "resnet.mp4"))
    # the same model exported, on a CSV of its points
    exported = tmp_path / "resnet.pt2"
    torch.export.save(torch.export.export(resnet, (torch.zeros(2, 2),)), str(exported))
    with open(tmp_path / "points.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "y", "label"])
        w.writerows([repr(float(a)), repr(float(b)), int(c)] for (a, b), c in zip(X, y))
    run = subprocess.run([sys.executable, "-m", "nntopo", "render", "--model", str(exported), "--data",
                          str(tmp_path / "points.csv"), "-o", str(tmp_path / "pt2.mp4")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    _frames_look_right(tmp_path / "pt2.mp4")


@pytest.mark.render
def test_a_users_neural_ode_renders_and_its_flow_ends_at_the_models_output(ode, data, tmp_path):
    X, y = data
    rec = nntopo.record(ode, X, y)
    assert np.abs(rec.net.outputs(rec.X) - logits(ode, X)).max() < 1e-5
    (flow,) = [layer for layer in rec.net.layers if layer.kind == "ode"]
    assert flow.augment == ode.augment and flow.solver.method == ode.method
    (m,) = rec.meta.metrics.flows
    assert m.min_det > 0 and m.nfe > 0 and m.max_stretch >= 1e-3
    # the video: the flow, frame by frame, ends where the model sends the data
    sb = storyboard.layers(rec, fps=6)
    stage = [b for b in sb.blocks if b.stage == "integrate"]
    assert len(stage) == 1 and "the flow of dx/dt = f(x)" in stage[0].caption
    if ode.augment:
        assert "lifted into R^3" in stage[0].caption
    end = storyboard.flow.data_at_stage_ends(rec)[-1]  # (N, D) the data where the ODE stage ends
    want = rec.net.representations(rec.X)[-1]
    assert np.abs(end[:, : want.shape[1]] - want).max() < 1e-5
    _frames_look_right(_render_from(rec.save(tmp_path / "ode.npz"), tmp_path / "ode.mp4"))
