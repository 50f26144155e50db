"""The Python API (api.py and the package's exports) and `nntopo render --model`: the user's own
network rendered from Python and from the shell, with the same options and the same refusals."""

import base64
import re
import subprocess
import sys

import av
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from typer.testing import CliRunner

import nntopo
from nntopo import cli
from nntopo.data import datasets

FPS = 5  # frames per second in these renders: enough to see every stage, quick to make


def trained(model: nn.Module, X: np.ndarray, y: np.ndarray, steps: int = 300) -> nn.Module:
    """The user's own loop: full-batch Adam on the logit."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), 0.03)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(Xt)[:, 0], yt).backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def data():
    X, y = datasets.make_dataset("circles", 80, 1)
    return X * 2.0 + 3.0, y  # the user's own units


MODELS = {
    "batchnorm-dropout": lambda: nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh(), nn.Dropout(0.2),
                                               nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)),
    "leaky-relu-0.3": lambda: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.3), nn.Linear(3, 3),
                                            nn.LeakyReLU(0.3), nn.Linear(3, 1)),
}


def frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def drawn(frame: np.ndarray) -> bool:
    """Something is drawn: not one flat colour."""
    return bool(frame.reshape(-1, 3).std(0).max() > 10)


@pytest.mark.render
@pytest.mark.parametrize("name", MODELS)
def test_own_model_renders_from_the_api_and_from_the_shell(name, data, tmp_path):
    X, y = data
    torch.manual_seed(0)  # the model's initial weights too: the same whatever ran before
    model = trained(MODELS[name](), X, y)
    rec = nntopo.record(model, X, y, name="rings")
    with torch.no_grad():
        ref = model(torch.tensor(X, dtype=torch.float32)).double().numpy()
    # float32's own rounding, relative to the outputs' size (BatchNorm's division amplifies it)
    assert np.abs(rec.net.outputs(rec.X) - ref).max() < 1e-5 * max(1.0, np.abs(ref).max())
    out = nntopo.render(rec, tmp_path / "api.mp4", quality="low", fps=FPS)
    api_frames = frames(out)
    assert out.with_suffix(".png").is_file() and drawn(api_frames[0]) and drawn(api_frames[-1])
    # the same model as a file, on the same points as a CSV, through the command
    pt2, csv = tmp_path / "model.pt2", tmp_path / "points.csv"
    torch.export.save(torch.export.export(model, (torch.zeros(2, 2),)), str(pt2))
    np.savetxt(csv, np.c_[X, y], delimiter=",", fmt=["%.17g", "%.17g", "%d"])
    video = tmp_path / "cli.mp4"
    result = CliRunner().invoke(cli.app, ["render", "--model", str(pt2), "--data", str(csv), "-o", str(video),
                                          "--fps", str(FPS)])
    assert result.exit_code == 0, result.output
    cli_frames = frames(video)
    assert len(cli_frames) == len(api_frames)
    # the same network and points: the pictures agree (the CSV rounds nothing away at 17 digits)
    assert np.abs(cli_frames[-1].astype(int) - api_frames[-1].astype(int)).mean() < 1.0


@pytest.mark.render
def test_show_returns_an_inline_video(data):
    X, y = data
    rec = nntopo.record(trained(MODELS["leaky-relu-0.3"](), X, y, 100), X, y)
    video = nntopo.show(rec, fps=FPS)
    html = video._repr_html_()
    assert "<video" in html and "autoplay" in html and "loop" in html
    payload = re.search(r'src="data:video/mp4;base64,([^"]+)"', html).group(1)
    shown = base64.b64decode(payload)
    assert shown == video.data
    import io

    with av.open(io.BytesIO(shown)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) > 10 and drawn(decoded[len(decoded) // 2])
    # loop=True by default: the last frame is the first again
    assert np.abs(decoded[0].astype(int) - decoded[-1].astype(int)).mean() < 2.0


def test_render_refuses_what_the_cli_refuses(tiny_recording, tmp_path):
    with pytest.raises(nntopo.ConfigError, match="qualty: not a render option; expected one of quality"):
        nntopo.render(tiny_recording, tmp_path / "x.mp4", qualty="low")
    with pytest.raises(nntopo.ConfigError, match="quality '8k': expected one of low, medium, high, 4k"):
        nntopo.render(tiny_recording, tmp_path / "x.mp4", quality="8k")
    with pytest.raises(nntopo.ConfigError, match="transparent: mp4 has no alpha channel"):
        nntopo.render(tiny_recording, tmp_path / "x.mp4", background="transparent")
    with pytest.raises(nntopo.NntopoError, match="must end in .mp4"):
        nntopo.render(tiny_recording, tmp_path / "x.avi")
    X = np.random.default_rng(0).normal(size=(30, 2))
    wide = nntopo.record(nn.Sequential(nn.Linear(2, 300), nn.Tanh(), nn.Linear(300, 1)), X, np.arange(30) % 2)
    with pytest.raises(nntopo.NntopoError, match="a 300-dimensional representation; the videos show up to 256"):
        nntopo.render(wide, tmp_path / "wide.mp4")
    assert list(tmp_path.iterdir()) == []  # nothing written by any refusal
    # found by the command fuzzer: with --overlay, a status line came before the refusal
    saved = wide.save(tmp_path.parent / f"{tmp_path.name}-wide.npz")
    code, _, stderr = cli_run("render", "--from", str(saved), "--overlay", "-o", str(tmp_path / "t.mp4"))
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith("error: this network has a 300-dimensional")


def test_train_is_the_commands_train():
    rec = nntopo.train("circles", layers=1, width=3, seed=2, points=40,
                       training=nntopo.TrainConfig(steps=40, restarts=1))
    assert rec.meta.seed == 2 and rec.net.widths == [3] and len(rec.X) == 80
    with pytest.raises(nntopo.ConfigError, match="widht: not a data, network, training or render option"):
        nntopo.train("circles", widht=3)
    with pytest.raises(nntopo.ConfigError, match="dataset 'circle': expected one of"):
        nntopo.train("circle")


@pytest.mark.slow
def test_the_exports_stay_what_they_are_whatever_is_imported_first():
    # A submodule named like an export would replace it once imported (nntopo.train was one).
    code = ("import nntopo, nntopo.training.recipe, nntopo.catalogue.figures, nntopo.yourmodel.record, nntopo.api, nntopo.video,"
            " nntopo.deck, nntopo.studies.sweep, nntopo.studies.results;"
            "import types; bad = [n for n in nntopo.__all__ if isinstance(getattr(nntopo, n), types.ModuleType)];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.render
def test_slides_is_the_commands_slides(tiny_recording, tmp_path):
    out = nntopo.slides(tiny_recording, tmp_path / "talk.html", quality="low", fps=4, per="layer")
    page = out.read_text()
    assert out == tmp_path / "talk.html" and page.count("<section>") == len(tiny_recording.net.layers) + 2
    with pytest.raises(nntopo.ConfigError, match="per 'slide': expected one of stage, layer"):
        nntopo.slides(tiny_recording, tmp_path / "t.pptx", per="slide")
    with pytest.raises(nntopo.NntopoError, match="must end in .pptx or .html or .pdf"):
        nntopo.slides(tiny_recording, tmp_path / "t.key")
    with pytest.raises(nntopo.ConfigError, match="figure 'nope': expected one of"):
        nntopo.slides("nope", tmp_path / "t.pptx")


def cli_run(*args):
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_model_option_refusals_are_one_line(data, tmp_path):
    X, y = data
    csv = tmp_path / "points.csv"
    np.savetxt(csv, np.c_[X, y], delimiter=",", fmt=["%.6f", "%.6f", "%d"])
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    pickle, pt2 = tmp_path / "model.pt", tmp_path / "model.pt2"
    torch.save(model, str(pickle))
    torch.export.save(torch.export.export(model, (torch.zeros(2, 2),)), str(pt2))
    wide = tmp_path / "wide.pt2"
    torch.export.save(torch.export.export(nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)), (torch.zeros(2, 3),)),
                      str(wide))
    out = tmp_path / "out.mp4"
    cases = [
        (["render", "--model", str(pt2), "-o", str(out)], "--model needs --data"),
        (["render", "spirals", "--model", str(pt2), "--data", str(csv), "-o", str(out)], "give exactly one of"),
        (["render", "--model", str(pickle), "--data", str(csv), "-o", str(out)], "never unpickles"),
        (["render", "--model", str(csv), "--data", str(csv), "-o", str(out)], "not a model file"),
        (["render", "--model", str(wide), "--data", str(csv), "-o", str(out)], "takes 3 inputs, but X has 2"),
        (["render", "--model", str(tmp_path / "none.pt2"), "--data", str(csv), "-o", str(out)], "no such file"),
    ]
    for args, words in cases:
        code, stdout, stderr = cli_run(*args)
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], (args, stderr)
        assert not out.exists()


@pytest.mark.render
def test_your_snapshots_play_the_training_scene(data, tmp_path):
    X, y = data
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    opt = torch.optim.Adam(model.parameters(), 0.03)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    snaps, steps = [], []
    for step in range(201):
        if step % 50 == 0:
            snaps.append({k: v.clone() for k, v in model.state_dict().items()})
            steps.append(step)
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(Xt)[:, 0], yt).backward()
        opt.step()
    rec = nntopo.record(model, X, y, snapshots=snaps, steps=steps)
    out = nntopo.render(rec, tmp_path / "training.mp4", scene="training", fps=FPS)
    shown = frames(out)
    assert len(shown) > 20 and drawn(shown[len(shown) // 2])
    with pytest.raises(nntopo.NntopoError, match="needs a recording with training snapshots"):
        nntopo.render(nntopo.record(model, X, y), tmp_path / "none.mp4", scene="training")
    with pytest.raises(nntopo.ConfigError, match="overlay: shows each stage's numbers: only with scene layers"):
        nntopo.render(rec, tmp_path / "none.mp4", scene="training", overlay=True)
    assert not (tmp_path / "none.mp4").exists()


def test_train_refuses_a_scene_the_network_cannot_show_before_it_trains(tmp_path):
    """nntopo.train with a render option checks it as the render will, at the moment the command
    does (before training), with the command's words."""
    words = "shows networks of 1 or more hidden layers, with the data and every layer at most 2 wide"
    steps = []
    with pytest.raises(nntopo.ConfigError, match=f"^scene training: {words}$") as e:
        nntopo.train("circles", layers=1, width=3, scene="training", progress=steps.append)
    assert steps == []  # not one optimiser step
    out = tmp_path / "c.mp4"
    with pytest.raises(nntopo.ConfigError) as again:
        nntopo.render("circles", out, layers=1, width=3, scene="training", progress=steps.append)
    assert str(again.value) == str(e.value) and steps == [] and not out.exists()
    code, _, err = cli_run("render", "circles", "--layers", "1", "--width", "3", "--scene", "training",
                           "-o", str(out))
    assert code == 2 and err.strip() == f"error: --{e.value.say('scene')}" and not out.exists()
