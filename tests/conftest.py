"""Shared fixtures: a tiny trained recording, made once per session."""

import pytest

from nntopo.config import NetConfig, TrainConfig
from helpers import trained


@pytest.fixture(scope="session")
def tiny_recording():
    """Spirals, two 2-unit tanh layers, a few steps: real training, small and fast."""
    cfg = TrainConfig(steps=60, restarts=2, snapshot_every=20)
    return trained("spirals", NetConfig(2, 2, 2, "tanh"), cfg, seed=3, n_per_class=40)


@pytest.fixture(scope="session")
def tiny_report(tiny_recording):
    """What `inspect` measures of tiny_recording, measured once per session (a second or two)."""
    from nntopo.analysis.inspect import inspect

    return inspect(tiny_recording)


@pytest.fixture(scope="session")
def long_recording(tmp_path_factory):
    """A recording whose video is long by construction (twelve layers: 57 s of video at 30 fps, 37 slides, many
    seconds to draw at 720p), saved: a Ctrl-C sent once drawing has started always finds work
    left to interrupt, however fast the machine."""
    rec = trained("spirals", NetConfig(2, 12, 2, "tanh"), TrainConfig(steps=10, restarts=1, snapshot_every=10),
                  seed=0, n_per_class=20)
    return rec.save(tmp_path_factory.mktemp("long") / "long.npz")


def debian_program(program: str, package: str, recommends: bool = True) -> str:
    """The path of `program`, installing Debian's `package` when it is missing; the test is
    skipped only if that is not possible here."""
    import os
    import shutil
    import subprocess

    path = shutil.which(program)
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = f"apt-get install -y -qq {'' if recommends else '--no-install-recommends '}{package}"
        for cmd in (install, f"apt-get update -qq && {install}"):
            subprocess.run(["sh", "-c", cmd], env=env, capture_output=True, timeout=1200)
            path = shutil.which(program)
            if path:
                break
    if path is None:
        pytest.skip(f"{program} is not installed and `apt-get install {package}` was not possible here")
    return path


@pytest.fixture(scope="session")
def figure_folder(tmp_path_factory):
    """A folder of figures whose .cache/ this worker's tests share: tests of one xdist_group
    (the figure's name) train a figure's runs once between them."""
    return tmp_path_factory.mktemp("figures")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, installed here when missing."""
    return debian_program("chromium", "chromium")


@pytest.fixture(scope="session")
def libreoffice():
    """Debian's LibreOffice Impress (soffice), installed here when missing."""
    return debian_program("soffice", "libreoffice-impress", recommends=False)


# Property-based tests (hypothesis). `make fuzz` keeps the failures it finds in .hypothesis/ (ignored
# by git) and replays them on its next run on the same machine; every failure prints the
# @reproduce_failure line that replays it anywhere, to be kept as a fixed case (test_validate.FOUND). `make fuzz` sets NNTOPO_FUZZ=nightly: many more
# examples per test (FUZZ_SCALE), the same properties, drawn afresh each run.
import os  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

FUZZ_PROFILE = os.environ.get("NNTOPO_FUZZ", "ci")
FUZZ_SCALE = {"ci": 1, "medium": 5, "nightly": 40}[FUZZ_PROFILE]
# `make test` draws the same examples on every run and machine (derandomize): a property that holds
# there holds every time, and the suite takes the same time; `make fuzz` explores afresh each run.
CI = FUZZ_PROFILE == "ci"
settings.register_profile(
    "nntopo", deadline=None, print_blob=True, derandomize=CI,
    database=None if CI else DirectoryBasedExampleDatabase(Path(__file__).parent.parent / ".hypothesis" / "examples"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile("nntopo")


@pytest.fixture(scope="session")
def recordings_to_damage(tmp_path_factory, tiny_recording):
    """Real recordings of every kind, saved once: dense, vector-field, 3D, the user's own model
    (no history; and one with three classes), a format 1 file, residual blocks and an augmented
    neural ODE (indices 0 ... 7)."""
    import json

    import numpy as np
    import torch

    from nntopo.yourmodel import record as usermodel
    from nntopo.data.datasets import make_dataset

    folder = tmp_path_factory.mktemp("to-damage")
    quick = TrainConfig(steps=20, restarts=1, snapshot_every=10)
    recs = {
        "dense": tiny_recording,
        "field": trained("curves", NetConfig(2, 2, 2, "tanh", ("vector-field", "dense"), anchors=4), quick,
                        seed=1, n_per_class=20),
        "3d": trained("circles", NetConfig(2, 1, 3, "tanh"), quick, seed=0, n_per_class=20),
    }
    X, y = make_dataset("circles", 20, 0)
    torch.manual_seed(0)
    recs["user"] = usermodel.record(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.3),
                                                        torch.nn.Linear(2, 1)), X, y)
    recs["three"] = usermodel.record(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                                         torch.nn.Linear(3, 3)), X, np.arange(len(X)) % 3)
    paths = [rec.save(folder / f"{name}.npz") for name, rec in recs.items()]
    with np.load(paths[0]) as z:  # format 1: one activation, a one-logit head of shape (k,)
        a = {k: z[k] for k in z.files}
    meta = json.loads(str(a["meta"]))
    del meta["net"]["hidden"], meta["classes"], meta["net"]["layer_types"]
    a.update(format=np.array(1), meta=np.array(json.dumps(meta)), head_w=a["head_w"][0], head_b=a["head_b"][0],
             snap_head_w=a["snap_head_w"][:, 0], snap_head_b=a["snap_head_b"][:, 0])
    np.savez(folder / "format1.npz", **a)
    # format 4: residual blocks (and a dense layer), and an augmented neural ODE
    blocks = {"residual": trained("curves", NetConfig(2, 2, 3, "tanh", ("residual", "dense")), quick, seed=1,
                                  n_per_class=20),
              "ode": trained("circles", NetConfig(2, 1, 4, "tanh", ("ode",), augment=1),
                             TrainConfig(steps=5, restarts=1, snapshot_every=5), seed=0, n_per_class=20)}
    return paths + [folder / "format1.npz"] + [rec.save(folder / f"{name}.npz") for name, rec in blocks.items()]
