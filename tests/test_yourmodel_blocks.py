"""Users' residual blocks (x + h f(x)) and torchdiffeq neural ODEs: read exactly, or refused in one line."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchdiffeq
from torchdiffeq import odeint, odeint_adjoint

from nntopo.data import datasets
from nntopo.errors import NntopoError
from nntopo.nets import solvers
from nntopo.yourmodel import record as usermodel
from nntopo.yourmodel.read import ModelError


def points(n=40, seed=0):
    X, y = datasets.make_dataset("circles", n, seed)
    return X * 3.0 + np.array([5.0, -2.0]), y  # not centred, not unit: the recorder rescales


X0, y0 = points()


def reference(model, X) -> np.ndarray:
    """The model's outputs on X in float64 (a float64 copy, in eval mode)."""
    m = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        return m(torch.tensor(X, dtype=torch.float64)).numpy()


def difference(model, rec, X=X0) -> float:
    """max |recorded outputs on the recorded points - the model's on the user's points|."""
    return float(np.abs(rec.net.outputs(rec.X) - reference(model, X)).max())


def seeded(model, seed=0, std=0.6):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std)
                m.bias.normal_(0, 0.3)
    return model


# ------------------------------------------------------------------ residual blocks


class Block(nn.Module):
    """x + h f(x), f = Linear-Tanh-Linear, written the ways people write it."""

    def __init__(self, d, h=None, style="mul", act=None):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, d), *([act] if act else []))
        self.h, self.style = h, style

    def forward(self, x):
        if self.h is None:
            return x + self.f(x)
        if self.style == "mul":
            return x + self.h * self.f(x)
        if self.style == "mul-after":
            return self.f(x) * self.h + x
        if self.style == "alpha":
            return torch.add(x, self.f(x), alpha=self.h)
        return x - self.f(x) * -self.h  # "sub"


def resnet(blocks=2, d=16):
    return nn.Sequential(nn.Linear(2, d), nn.Tanh(), *[Block(d) for _ in range(blocks)], nn.Linear(d, 2))


@pytest.fixture(scope="module")
def trained():
    """A ResNet-style MLP trained briefly (plain torch, float32)."""
    torch.manual_seed(0)
    model = resnet()
    opt = torch.optim.Adam(model.parameters(), 0.02)
    Xt, yt = torch.tensor(X0, dtype=torch.float32), torch.tensor(y0)
    Xt = (Xt - Xt.mean(0)) / Xt.std(0)
    for _ in range(40):
        opt.zero_grad()
        F.cross_entropy(model(Xt * 0 + Xt), yt).backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def trained_rec(trained):
    return usermodel.record(trained, X0, y0)


def test_a_resnet_mlp_is_read_as_residual_blocks_exactly(trained, trained_rec):
    rec = trained_rec
    assert [layer.kind for layer in rec.net.layers] == ["dense", "residual", "residual"]
    assert rec.net.labels() == ["16", "R16", "R16"]
    block = rec.net.layers[1]
    assert block.h == 1.0 and [d.activation for d in block.f] == ["tanh", "identity"]
    assert difference(trained, rec) < 1e-5
    assert rec.meta.metrics.parameters == sum(p.numel() for p in trained.parameters())


def test_an_exported_resnet_reads_the_same(trained, trained_rec, tmp_path):
    path = tmp_path / "resnet.pt2"
    torch.export.save(torch.export.export(trained, (torch.zeros(2, 2),)), str(path))
    core = tmp_path / "resnet-core.pt2"  # decomposed: addmm, permute
    torch.export.save(torch.export.export(trained, (torch.zeros(2, 2),)).run_decompositions(), str(core))
    for p in (path, core):
        rec = usermodel.record(p, X0, y0)
        assert rec.net.labels() == ["16", "R16", "R16"]
        assert np.abs(rec.net.outputs(rec.X) - trained_rec.net.outputs(trained_rec.X)).max() < 1e-12


def test_a_scripted_resnet_reads_too(trained, tmp_path):
    path = tmp_path / "resnet.pt"
    torch.jit.save(torch.jit.script(trained), str(path))
    rec = usermodel.record(path, X0, y0)
    assert rec.net.labels() == ["16", "R16", "R16"]
    assert difference(trained, rec) < 1e-5


@pytest.mark.parametrize("style", ["mul", "mul-after", "alpha", "sub"])
def test_a_block_with_a_step_h_is_read_with_it(style):
    model = seeded(nn.Sequential(nn.Linear(2, 4), nn.Tanh(), Block(4, 0.5, style), nn.Linear(4, 1))).double()
    rec = usermodel.record(model, X0, y0)
    assert rec.net.layers[1].kind == "residual" and rec.net.layers[1].h == 0.5
    assert difference(model, rec) < 1e-9


class Custom(nn.Module):
    """Blocks in a custom forward, nested in containers, with Linear layers changing the
    dimension between them (one with no activation: a dense layer of the identity)."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(2, 6)
        self.stages = nn.ModuleList([nn.Sequential(Block(6, act=nn.Tanh())), nn.Linear(6, 3)])
        self.g1, self.g2 = nn.Linear(3, 5), nn.Linear(5, 3)
        self.bn = nn.BatchNorm1d(3)
        self.out = nn.Linear(3, 3)

    def forward(self, x):
        x = F.silu(self.inp(x))
        x = self.stages[0](x)
        x = self.stages[1](x)  # 6 -> 3, no activation
        x = x + 0.25 * self.g2(F.dropout(torch.tanh(self.g1(x)), 0.3, self.training))
        return self.out(self.bn(x))


def test_blocks_in_a_custom_forward_in_containers_between_linears():
    model = seeded(Custom()).double().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(45, 2)) * 4, np.repeat([0, 1, 2], 15)
    rec = usermodel.record(model, X, y)
    assert [layer.kind for layer in rec.net.layers] == ["dense", "residual", "dense", "residual"]
    assert [layer.label for layer in rec.net.layers] == ["6", "R6", "3", "R3"]
    assert rec.net.layers[2].activation == "identity" and rec.net.layers[3].h == 0.25
    assert [d.activation for d in rec.net.layers[1].f] == ["tanh", "tanh"]
    assert "BatchNorm folded into the Linear beside it" in rec.meta.net.read
    assert difference(model, rec, X) < 1e-9


class OldResidual(nn.Module):
    """tests/test_yourmodel.py's Residual, refused before residual blocks were read."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)) + x)


def test_the_residual_sum_once_refused_is_read():
    model = seeded(OldResidual())
    rec = usermodel.record(model, X0, y0)
    assert rec.net.labels() == ["R2"] and [d.activation for d in rec.net.layers[0].f] == ["tanh"]
    assert difference(model, rec) < 1e-5


@pytest.mark.parametrize("last", [None, nn.Tanh()])
def test_a_block_first_is_conjugated_by_the_rescaling(last):
    """No Linear before the block: the block itself takes the rescaled points, exactly."""
    model = seeded(nn.Sequential(Block(2, 0.7, act=last), Block(2), nn.Linear(2, 1))).double()
    rec = usermodel.record(model, X0, y0)
    assert [layer.kind for layer in rec.net.layers] == ["residual", "residual"]
    assert difference(model, rec) < 1e-9
    # the representations are the model's own, in the recording's coordinates
    s, c = rec.meta.data.scale, np.array(rec.meta.data.center)
    m = copy.deepcopy(model).eval()
    with torch.no_grad():
        h1 = m[0](torch.tensor(X0)).numpy()
    assert np.abs(rec.net.representations(rec.X)[1] - (h1 - c) / s).max() < 1e-9


# ------------------------------------------------------------------ neural ODEs


class Field(nn.Module):
    """dy/dt = f(t, y): a Linear-Tanh-Linear chain of y, or of [y, t] (t as a column)."""

    def __init__(self, d, time=None):
        super().__init__()
        self.time = time
        self.net = nn.Sequential(nn.Linear(d + (time is not None), 8), nn.Tanh(), nn.Linear(8, d))
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1  # as torchdiffeq's examples count evaluations
        if self.time == "last":
            y = torch.cat([y, t.expand(y.shape[0], 1)], 1)
        elif self.time == "first":
            y = torch.cat([t * torch.ones(y.shape[0], 1, dtype=y.dtype), y], 1)
        return self.net(y)


class ODENet(nn.Module):
    """[Linear ->] odeint(func, pad(x), t)[-1] -> Linear."""

    def __init__(self, d=2, pre=False, augment=0, pad="cat", time=None, t=(0.0, 1.0), last=-1, adjoint=False,
                 **kw):
        super().__init__()
        self.pre = nn.Linear(2, d) if pre else None
        self.func = Field(d + augment, time)
        self.head = nn.Linear(d + augment, 2)
        self.register_buffer("t", torch.tensor(t))
        self.augment, self.pad, self.last, self.adjoint, self.kw = augment, pad, last, adjoint, kw

    def forward(self, x):
        if self.pre is not None:
            x = torch.tanh(self.pre(x))
        if self.augment and self.pad == "cat":
            x = torch.cat([x, torch.zeros(x.shape[0], self.augment, dtype=x.dtype)], 1)
        elif self.augment:
            x = F.pad(x, (0, self.augment))
        solve = odeint_adjoint if self.adjoint else torchdiffeq.odeint
        return self.head(solve(self.func, x, self.t, **self.kw)[self.last])


ODES = {  # name -> the model's arguments, the layers' labels
    "dopri5 (defaults)": (dict(), ["ODE2"]),
    "dopri5 rtol 1e-3 atol 1e-4": (dict(rtol=1e-3, atol=1e-4), ["ODE2"]),
    "rk4 step 0.1": (dict(method="rk4", options=dict(step_size=0.1)), ["ODE2"]),
    "euler": (dict(method="euler"), ["ODE2"]),
    "time-dependent (t last)": (dict(time="last"), ["ODE2"]),
    "time-dependent (t first, t * ones)": (dict(time="first", method="rk4", options=dict(step_size=0.25)), ["ODE2"]),
    "augmented (cat zeros)": (dict(augment=1), ["ODE2+1"]),
    "augmented (F.pad) after a Linear": (dict(pre=True, d=3, augment=1, pad="pad"), ["3", "ODE3+1"]),
    "after a Linear": (dict(pre=True, d=4), ["4", "ODE4"]),
    "odeint_adjoint": (dict(adjoint=True, adjoint_rtol=1e-3, adjoint_method="euler"), ["ODE2"]),
    "backwards in time, t of 3": (dict(t=(1.0, 0.5, -0.5), rtol=1e-5, atol=1e-6), ["ODE2"]),
    "t[1] of two": (dict(last=1, method="midpoint", options=dict(step_size=0.2)), ["ODE2"]),
}


@pytest.mark.parametrize("case", ODES)
def test_a_neural_ode_is_read_and_replayed_exactly(case):
    kw, labels = ODES[case]
    model = seeded(ODENet(**kw), std=0.8).double()
    rec = usermodel.record(model, X0, y0)
    assert rec.net.labels() == labels
    ode = rec.net.layers[-1]
    assert ode.kind == "ode" and ode.time == (kw.get("time") is not None)
    assert ode.solver.method == kw.get("method", "dopri5")
    t = kw.get("t", (0.0, 1.0))
    assert (ode.t0, ode.t1) == (t[0], t[-1])
    assert difference(model, rec) < 1e-9


def test_an_adaptive_ode_first_is_moved_by_a_scale_alone():
    """torchdiffeq's step control (err / (atol + rtol |y|)) is the same under y = x / s with atol / s."""
    model = seeded(ODENet(rtol=1e-3, atol=1e-4), std=0.8).double()
    rec = usermodel.record(model, X0, y0)
    assert rec.meta.data.center == (0.0, 0.0)
    ode = rec.net.layers[0]
    assert ode.solver.atol == pytest.approx(1e-4 / rec.meta.data.scale) and ode.solver.rtol == 1e-3
    assert difference(model, rec) < 1e-9
    fixed = usermodel.record(seeded(ODENet(method="rk4", options=dict(step_size=0.1))).double(), X0, y0)
    assert fixed.meta.data.center != (0.0, 0.0)  # a fixed grid is conjugated by any affine map


def test_a_float32_ode_and_two_odes_in_a_row():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.f1, self.mid, self.f2, self.head = Field(2), nn.Linear(2, 3), Field(3, "last"), nn.Linear(3, 1)

        def forward(self, x):
            t = torch.tensor([0.0, 0.5])
            x = odeint(self.f1, x, t, method="rk4", options={"step_size": 0.1})[-1]
            x = self.mid(x)
            return self.head(odeint(self.f2, x, t + 0.5, method="bosh3", rtol=1e-4, atol=1e-5)[-1])

    model = seeded(Two())
    rec = usermodel.record(model, X0, y0)
    assert rec.net.labels() == ["ODE2", "3", "ODE3"]
    assert (rec.net.layers[2].t0, rec.net.layers[2].t1) == (0.5, 1.0)
    assert difference(model, rec) < 1e-5


def test_the_models_own_odeint_is_put_back():
    model = seeded(ODENet())
    usermodel.record(model, X0, y0)
    assert torchdiffeq.odeint is odeint and torchdiffeq.odeint_adjoint is odeint_adjoint
    assert globals()["odeint"] is odeint
    with torch.no_grad():
        model(torch.zeros(3, 2))  # still runs torchdiffeq


# ------------------------------------------------------------------ refusals


class Shortcut(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.inp, self.f, self.skip, self.head = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 1)
        self.g, self.narrow, self.wide, self.kind = Block(3), nn.Linear(3, 1), nn.Linear(4, 1), kind

    def forward(self, x):
        x = torch.tanh(self.inp(x))
        if self.kind == "linear":
            return self.head(self.skip(x) + torch.tanh(self.f(x)))
        if self.kind == "scaled":
            return self.head(torch.add(torch.tanh(self.f(x)), x, alpha=0.5))
        if self.kind == "narrow":
            return self.head(x + self.narrow(x))
        if self.kind == "two places":
            y = x + self.f(x)
            return self.head(self.skip(y) * self.f(y))
        if self.kind == "earlier":
            h = x + self.f(x)
            return self.head(h + self.skip(h) + x)
        if self.kind == "nested":
            return self.head(x + self.f(self.g(x)))  # x feeds the inner block's f, its sum and the outer sum
        if self.kind == "nested after a Linear":
            return self.head(x + self.skip(self.g(torch.tanh(self.f(x)))))
        if self.kind == "product":
            return self.head(x * 2.0)
        if self.kind == "constant":
            return self.head(x + 1.0)
        if self.kind == "relu after":
            return self.head(F.relu(x + self.f(x)))
        if self.kind == "ends":
            return x + self.f(x)
        if self.kind == "pad":
            return self.wide(F.pad(x, (0, 1)))
        raise AssertionError(self.kind)


class Batch(nn.Module):
    """Computes something else on the batch it was traced on (a fixed example of 2 rows)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x) if x.shape[0] == 2 else self.fc(x) + 0.5


class BadField(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.lin, self.kind = nn.Linear(2, 2), kind
        self.hard = nn.Hardtanh() if kind == "hardtanh" else None

    def forward(self, t, y):
        if self.kind == "sin":
            return torch.sin(self.lin(y))
        if self.kind == "hardtanh":
            return self.hard(self.lin(y))
        return self.lin(y) * t


class BadODE(nn.Module):
    def __init__(self, kind, func=None, t=(0.0, 1.0), **kw):
        super().__init__()
        self.func = func or Field(2)
        self.head = nn.Linear(2, 1)
        self.kind, self.kw, self.times = kind, kw, t

    def forward(self, x):
        if self.kind == "in a block":
            return self.head(x + odeint(self.func, x, torch.tensor(self.times, dtype=x.dtype))[-1])
        out = odeint(self.func, x, torch.tensor(self.times, dtype=x.dtype), **self.kw)
        if self.kind == "first time":
            return self.head(out[0])
        if self.kind == "two times":
            return self.head(out[-1] + out[0])
        return self.head(out[-1])


REFUSED = {  # model -> the words of its one-line refusal
    "a Linear on the skip path": (Shortcut("linear"), r"shortcut is not the identity \(linear on the skip path"),
    "a scaled shortcut": (Shortcut("scaled"), r"shortcut is not the identity \(x scaled by 0.5\)"),
    "f changes the dimension": (Shortcut("narrow"), r"f changes the dimension \(3 -> 1\)"),
    "a block's output feeds two places": (Shortcut("two places"),
                                          "the output of the residual block .* feeds 2 operations"),
    "a value from an earlier block": (Shortcut("earlier"), "mixed in from an earlier block"),
    "a residual inside f": (Shortcut("nested"), "nested residuals"),
    "a residual inside f, after a Linear": (Shortcut("nested after a Linear"), "inside a residual block's f "
                                                                                "\\(nested residuals\\)"),
    "a product": (Shortcut("product"), r"a product \(mul\) is not a layer"),
    "a sum with a constant": (Shortcut("constant"), r"a sum that is not a residual block x \+ h f\(x\) \(add\)"),
    "a block at the end": (Shortcut("ends"), "ends with a residual block"),
    "a padding not before odeint": (Shortcut("pad"), "zeros appended to a value that is not then integrated"),
    "outputs that differ from the model's": (Batch(), "does not compute its outputs: they differ by up to 0.5"),
    "an unsupported operation in the field": (BadODE("", BadField("sin")), r"sin \(sin\) is not a layer nntopo reads"),
    "an unsupported module in the field": (BadODE("", BadField("hardtanh")),
                                           r"module func.hard \(Hardtanh\) is not a layer"),
    "t used beyond a column": (BadODE("", BadField("t")), r"the field uses t in mul"),
    "a solver torchdiffeq lacks": (BadODE("", method="rk45"), "solver 'rk45': torchdiffeq has no such method; "
                                                              "nntopo replays euler, midpoint"),
    "a solver nntopo does not replay": (BadODE("", method="scipy_solver"), "hands the solve to scipy"),
    "t of one time": (BadODE("", t=(0.0,)), "t has 1 time;"),
    "t0 == t1": (BadODE("", t=(1.0, 1.0)), r"an integration interval of length 0 \(t\[0\] = t\[-1\] = 1\)"),
    "t not monotonic": (BadODE("", t=(0.0, 1.0, 0.5)), "strictly increasing or strictly decreasing"),
    "non-finite t": (BadODE("", t=(0.0, float("inf"))), "not finite"),
    "the state at another time": (BadODE("first time"), "time index 0 of 2"),
    "the solution used twice": (BadODE("two times"), "the ODE's solution is used by 2 operations"),
    "rtol 0": (BadODE("", rtol=0.0), "rtol 0.0 must be a finite number above 0"),
    "atol negative": (BadODE("", atol=-1e-3), "atol -0.001 must be a finite number above 0"),
    "a fixed grid on 3 times": (BadODE("", t=(0.0, 0.5, 1.0), method="rk4"), "steps on every one of t's 3 times"),
    "an option that changes the solve": (BadODE("", options=dict(safety=0.5)),
                                         "the option safety=0.5 changes the solve"),
    "an ODE inside a block": (BadODE("in a block"), "a neural ODE inside a residual block's f"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_cannot_be_read_is_refused_in_one_line(case):
    model, words = REFUSED[case]
    with pytest.raises(ModelError, match=words) as e:
        usermodel.record(model, X0, y0)
    assert "\n" not in str(e.value) and "Traceback" not in str(e.value)


def test_solvers_named_in_refusals_are_the_replayed_ones():
    with pytest.raises(NntopoError) as e:
        usermodel.record(BadODE("", method="rk45"), X0, y0)
    assert all(m in str(e.value) for m in solvers.METHODS)


def test_an_activation_after_the_sum_is_a_layer_of_its_own():
    """relu(x + f(x)), the first ResNets' form: the block, then the activation on W = I."""
    torch.manual_seed(0)
    model = Shortcut("relu after").double().eval()
    X = torch.randn(40, 2, dtype=torch.float64)
    rec = usermodel.record(model, X.numpy(), (X[:, 0] > 0).long().numpy())
    kinds = [layer.kind for layer in rec.net.layers]
    assert "residual" in kinds and kinds[kinds.index("residual") + 1] == "dense"
    after = rec.net.layers[kinds.index("residual") + 1]
    assert after.activation == "relu" and np.array_equal(after.W, np.eye(after.in_dim))
    with torch.no_grad():
        assert np.abs(rec.net.outputs(rec.X) - model(X).numpy()).max() < 1e-9
