"""Reading the user's torch models (torchnet) and recording them (usermodel): exact, or refused."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from nntopo.data import datasets
from nntopo import storyboard
from nntopo.yourmodel import read as torchnet, record as usermodel
from nntopo.errors import NntopoError

torch.manual_seed(0)


def points(n=60, seed=0):
    X, y = datasets.make_dataset("circles", n, seed)
    return X * 3.0 + np.array([5.0, -2.0]), y  # not centred, not unit: the recorder rescales


def window(rec, n=41):
    """A dense grid over the recorded window (d = 2) and the same points in the user's units."""
    e = rec.meta.data.extent
    g = np.stack(np.meshgrid(np.linspace(-e, e, n), np.linspace(-e, e, n)), -1).reshape(-1, 2)
    return g, g * rec.meta.data.scale + np.array(rec.meta.data.center)


def disagreement(model, rec, X) -> float:
    """max |recorded outputs - model outputs| on the data and on the whole window."""
    g, g_user = window(rec)
    model.eval()
    with torch.no_grad():
        dtype = next(model.parameters()).dtype
        ref = [model(torch.tensor(a, dtype=dtype)).double().numpy() for a in (X, g_user)]
    return max(np.abs(rec.net.outputs(rec.X) - ref[0]).max(), np.abs(rec.net.outputs(g) - ref[1]).max())


def shaken(model, seed: int = 0):
    """Random weights of a useful size, and (for BatchNorm) non-trivial statistics: the same ones
    whichever tests ran before in this process (a float32 model's own rounding depends on them)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, 0.8)
                m.bias.normal_(0, 0.5)
            if isinstance(m, nn.BatchNorm1d):
                m.weight.uniform_(0.5, 2.0)
                m.bias.uniform_(-1, 1)
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.3, 3.0)
    return model


KINDS = {  # every supported module kind, with what the recording must call it
    "Tanh": (nn.Tanh(), "tanh", None), "Sigmoid": (nn.Sigmoid(), "sigmoid", None),
    "Softplus": (nn.Softplus(), "softplus", 1.0), "Softplus(beta=2.5)": (nn.Softplus(beta=2.5), "softplus", 2.5),
    "ReLU": (nn.ReLU(), "relu", None), "LeakyReLU": (nn.LeakyReLU(), "leaky-relu", 0.01),
    "LeakyReLU(0.3)": (nn.LeakyReLU(0.3), "leaky-relu", 0.3), "ELU(0.7)": (nn.ELU(0.7), "elu", 0.7),
    "SiLU": (nn.SiLU(), "silu", None), "GELU": (nn.GELU(), "gelu", None),
    "GELU(tanh)": (nn.GELU(approximate="tanh"), "gelu-tanh", None),
    "Identity": (nn.Identity(), "identity", None),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_every_module_kind_is_recorded_exactly(kind, dtype):
    act, name, param = KINDS[kind]
    model = shaken(nn.Sequential(nn.Linear(2, 3), copy.deepcopy(act), nn.Linear(3, 3), copy.deepcopy(act),
                                 nn.Linear(3, 1))).to(dtype)
    X, y = points()
    rec = usermodel.record(model, X, y)
    assert [(layer.activation, layer.param) for layer in rec.net.layers] == [(name, param)] * 2
    assert disagreement(model, rec, X) < 1e-5
    homeo = name in ("tanh", "sigmoid", "softplus", "leaky-relu", "elu", "identity")
    assert rec.net.layers[0].act.invertible is homeo


@pytest.mark.parametrize("where", ["after Linear", "on the input", "after the activation", "before the head"])
def test_batch_norm_is_folded_into_a_linear(where):
    bn = nn.BatchNorm1d(3 if where != "on the input" else 2)
    layers = {
        "after Linear": [nn.Linear(2, 3), bn, nn.Tanh(), nn.Linear(3, 1)],
        "on the input": [bn, nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)],
        "after the activation": [nn.Linear(2, 3), nn.Tanh(), bn, nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)],
        "before the head": [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.BatchNorm1d(1)],
    }[where]
    model = shaken(nn.Sequential(*layers)).double()
    X, y = points()
    rec = usermodel.record(model, X, y)
    assert "BatchNorm folded into the Linear beside it" in rec.meta.net.read
    assert disagreement(model, rec, X) < 1e-9


def test_dropout_is_dropped_nesting_flattened_and_the_mode_restored():
    model = shaken(nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5)), nn.Tanh(),
                                 nn.Sequential(nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(0.3)), nn.Dropout(0.2)),
                                 nn.Linear(3, 1)))
    model.train()
    X, y = points()
    rec = usermodel.record(model, X, y)
    assert model.training and all(m.training for m in model.modules())  # as the user left it
    assert [layer.activation for layer in rec.net.layers] == ["tanh", "leaky-relu"]
    assert disagreement(model, rec, X) < 1e-5  # in eval mode: dropout is the identity


class Functional(nn.Module):
    """A custom module written with functions, as people write them."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(2, 4), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        return self.out(F.leaky_relu(self.fc2(torch.tanh(self.fc1(x))), 0.2))


def test_a_custom_module_is_read_by_tracing_it():
    model = shaken(Functional())
    X, y = points()
    rec = usermodel.record(model, X, y, classes=["inner", "outer"])
    assert [(layer.activation, layer.param) for layer in rec.net.layers] == [("tanh", None), ("leaky-relu", 0.2)]
    assert rec.net.head_w.shape == (2, 4) and rec.classes == ("inner", "outer")
    assert disagreement(model, rec, X) < 1e-5
    # two softmax outputs are one binary decision: the videos draw it as the essay's line
    v, c = rec.net.separator
    h = rec.net.representations(rec.X)[-1]
    assert np.array_equal(h @ v + c > 0, rec.net.predict(rec.X) == 1)
    assert storyboard.layers(rec, fps=5).total_frames > 0


def test_a_final_sigmoid_or_softmax_is_dropped_and_said():
    X, y = points()
    model = shaken(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()))
    rec = usermodel.record(model, X, y)
    assert any("sigmoid dropped" in n for n in rec.meta.net.read)
    with torch.no_grad():
        ref = torch.logit(model(torch.tensor(X, dtype=torch.float32)).double()).numpy()
    assert np.abs(rec.net.outputs(rec.X) - ref).max() < 1e-4
    model = shaken(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Softmax(dim=1)))
    assert any("softmax dropped" in n for n in usermodel.record(model, X, y).meta.net.read)


def test_many_classes_and_wide_layers_are_recorded_exactly_and_wide_ones_drawn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = np.repeat([0, 1, 2], 30)
    three = shaken(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3)))
    rec = usermodel.record(three, X, y, classes=["a", "b", "c"])
    assert rec.net.classes == 3 and disagreement(three, rec, X) < 1e-5
    sb = storyboard.layers(rec, fps=5)  # three classes: a softmax head's regions
    assert sb.classes == ("class a", "class b", "class c") and len(sb.frames(0, 1).points) == 3
    wide = shaken(nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)))
    X2, y2 = points()
    rec = usermodel.record(wide, X2, y2)
    assert rec.net.widths == [16, 16] and disagreement(wide, rec, X2) < 1e-5
    sb = storyboard.layers(rec, fps=5)  # through a projection to 3D
    assert "R^16 → R^3: principal directions" in sb.info
    too_wide = shaken(nn.Sequential(nn.Linear(2, 300), nn.Tanh(), nn.Linear(300, 1)))
    with pytest.raises(NntopoError, match="300-dimensional representation"):
        storyboard.layers(usermodel.record(too_wide, X2, y2), fps=5)


def test_files_are_read_by_kind_and_pickles_never(tmp_path):
    model = shaken(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ELU(0.5), nn.Dropout(0.1),
                                 nn.Linear(3, 1))).eval()
    X, y = points()
    direct = usermodel.record(model, X, y)
    exported = tmp_path / "model.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(2, 2),)), str(exported))
    decomposed = tmp_path / "core-aten.pt2"  # x @ W^T + b as permute + addmm, batch norm as a tuple
    torch.export.save(torch.export.export(model, (torch.zeros(2, 2),)).run_decompositions(), str(decomposed))
    scripted, traced = tmp_path / "scripted.pt", tmp_path / "traced.pt"
    torch.jit.save(torch.jit.script(model), str(scripted))
    torch.jit.save(torch.jit.trace(model, torch.zeros(4, 2)), str(traced))
    for path in (exported, decomposed, scripted, traced):
        rec = usermodel.record(path, X, y)
        assert [(layer.activation, layer.param) for layer in rec.net.layers] == [("elu", 0.5)]
        assert np.abs(rec.net.outputs(rec.X) - direct.net.outputs(direct.X)).max() < 1e-5
    pickle = tmp_path / "model.pt"
    torch.save(model, str(pickle))
    with pytest.raises(torchnet.ModelError, match="never unpickles"):
        usermodel.record(pickle, X, y)
    text = tmp_path / "notes.pt2"
    text.write_text("not a model")
    with pytest.raises(torchnet.ModelError, match="not a model file"):
        usermodel.record(text, X, y)
    with pytest.raises(torchnet.ModelError, match="no such file"):
        usermodel.record(tmp_path / "missing.pt2", X, y)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)) + x)


class Concat(Residual):
    def forward(self, x):
        return self.fc2(torch.cat([torch.tanh(self.fc1(x))[:, :1], x[:, :1]], 1))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn, self.fc = nn.MultiheadAttention(2, 1), nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(self.attn(x, x, x)[0])


def nan_model():
    m = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    with torch.no_grad():
        m[0].weight[0, 0] = float("nan")
    return m


X0, y0 = points()
REFUSED = {  # model, X, y -> the words of the refusal
    "first Linear too wide": (nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)), X0, y0, "takes 3 inputs, but X has 2"),
    "non-finite weights": (nan_model(), X0, y0, "layer 1 has non-finite weights"),
    "a label with no output": (nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2)), X0, y0 + 1, "has label 2, but the model's head has 2 outputs"),
    "labels for a logit": (nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)), X0, y0 * 2, "has label 2"),
    "X with NaN": (nn.Sequential(nn.Linear(2, 1)), np.where(np.arange(len(X0))[:, None] == 7, np.nan, X0), y0, "row 7"),
    "y too short": (nn.Sequential(nn.Linear(2, 1)), X0, y0[:-1], "one label per row"),
    "fractional labels": (nn.Sequential(nn.Linear(2, 1)), X0, y0 + 0.5, "integer labels"),
    "a concatenation": (Concat(), X0, y0, "branch or residual"),
    "a convolution": (nn.Sequential(nn.Conv1d(1, 1, 1), nn.Linear(2, 1)), X0, y0, r"module 0 \(Conv1d\) is not a layer"),
    "attention": (Attention(), X0, y0, "MultiheadAttention"),
    "hardtanh": (nn.Sequential(nn.Linear(2, 2), nn.Hardtanh(), nn.Linear(2, 1)), X0, y0, "Hardtanh"),
    "two activations": (nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.ReLU(), nn.Linear(2, 1)), X0, y0, "two activations in a row"),
    "activation after the head": (nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Tanh()), X0, y0, "followed by tanh"),
    "softmax inside": (nn.Sequential(nn.Linear(2, 2), nn.Softmax(1), nn.Linear(2, 1)), X0, y0, "softmax inside"),
    "a leaky ReLU slope of inf": (nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(float("inf")), nn.Linear(2, 1)), X0, y0, "finite"),
    "more than 1024 features": (nn.Sequential(nn.Linear(1100, 2), nn.Tanh(), nn.Linear(2, 1)),
                                np.zeros((4, 1100)), np.array([0, 1, 0, 1]), "X has 1,100 columns; nntopo reads up to 1024"),
    "more than 10 classes": (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 12)), X0, y0,
                             "12 classes; nntopo draws up to 10 classes"),
    "not a module": ("weights", X0, y0, "no such file"),
    "a number": (3, X0, y0, "expected a torch.nn.Module"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_cannot_be_read_is_refused_in_one_line(case):
    model, X, y, words = REFUSED[case]
    with pytest.raises(NntopoError, match=words) as e:
        usermodel.record(model, X, y)
    assert "\n" not in str(e.value) and "Traceback" not in str(e.value)


def test_a_graph_with_gradients_does_not_matter():
    model = shaken(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    X, y = points()
    Xt = torch.tensor(X, dtype=torch.float32, requires_grad=True) * 1.0  # part of a graph
    rec = usermodel.record(model, Xt, torch.tensor(y))
    assert disagreement(model, rec, X) < 1e-5


def test_snapshots_animate_training_and_must_fit():
    model = shaken(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)))
    X, y = points()
    opt = torch.optim.Adam(model.parameters(), 0.05)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    snaps = []
    for step in range(61):
        if step % 20 == 0:
            snaps.append(copy.deepcopy(model.state_dict()))
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(Xt)[:, 0], yt).backward()
        opt.step()
    rec = usermodel.record(model, X, y, snapshots=snaps, steps=[0, 20, 40, 60])
    assert list(rec.snapshots.steps) == [0, 20, 40, 60]
    first = rec.snapshots.network(0, rec.net)
    snap_model = copy.deepcopy(model)
    snap_model.load_state_dict(snaps[0])
    assert disagreement(snap_model, usermodel.record(snap_model, X, y), X) < 1e-5
    assert np.abs(first.outputs(rec.X) - usermodel.record(snap_model, X, y).net.outputs(rec.X)).max() < 1e-9
    assert rec.snapshots.loss[0] > rec.snapshots.loss[-1]  # measured: training lowered it
    assert storyboard.training(rec, fps=5).total_frames > 0
    other = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)).state_dict()
    with pytest.raises(NntopoError, match="snapshot 1 does not fit"):
        usermodel.record(model, X, y, snapshots=[snaps[0], other])
