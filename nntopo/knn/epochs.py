"""The `knn` figure's data: a 2-unit representation of held-out digits at every epoch of one
training run, saved as a plain .npz (JSON meta, no pickle)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_npz
from ..config import Progress
from ..version import __version__
from .digits import load_digits
from .net import ConvNet, KnnConfig, knn_predict, representations, train_net

FORMAT_VERSION = 1  # of a saved Trajectory


def spread(z: np.ndarray, y: np.ndarray) -> float:
    """How tight the classes are relative to how far apart, scale-free: the mean distance of the
    points z (N, r) to their class's centroid over the mean distance between class centroids.
    It falls as classes contract and the space between them inflates."""
    classes = np.unique(y)
    cent = np.stack([z[y == c].mean(0) for c in classes])  # (C, r)
    within = np.mean([np.linalg.norm(z[y == c] - cent[i], axis=1).mean() for i, c in enumerate(classes)])
    between = np.linalg.norm(cent[:, None] - cent[None], axis=-1)[np.triu_indices(len(classes), 1)].mean()
    return float(within / between)


@dataclass(frozen=True)
class Trajectory:
    """A 2-unit representation of held-out digits at every epoch of one training run."""

    meta: dict  # dataset, loss, seed, config, metrics (the final numbers), versions
    epochs: np.ndarray  # (S,) 0 (before training) .. epochs
    z: np.ndarray  # (S, M, 2) the representation of M test images at each snapshot
    y: np.ndarray  # (M,) their labels
    test_error: np.ndarray  # (S,) k-NN test error (all test images) at each snapshot
    spread: np.ndarray  # (S,) `spread` of the shown images at each snapshot
    wrong: np.ndarray  # (M,) bool: the final k-NN gets this shown image wrong


def trajectory(name: str, loss: str, cfg: KnnConfig, seed: int, per_class: int, k: int = 5,
               progress: Progress | None = None) -> Trajectory:
    """Train a ConvNet with a cfg.rep_dim-unit representation on dataset `name` and record the
    representation of `per_class` test images per class after every epoch."""
    split = load_digits(name)
    rng = np.random.default_rng(seed)
    shown = np.concatenate([rng.permutation(np.flatnonzero(split.y_test == c))[:per_class] for c in range(10)])
    zs, errors, spreads = [], [], []
    final = {}

    def snapshot(epoch: int, net: ConvNet) -> None:
        tr, te = representations(net, split.X_train), representations(net, split.X_test)
        pred = knn_predict(tr, split.y_train, te, k)
        errors.append(float((pred != split.y_test).mean()))
        zs.append(te[shown])
        spreads.append(spread(te[shown], split.y_test[shown]))
        final["wrong"] = pred[shown] != split.y_test[shown]
        final["train_error"] = float((knn_predict(tr, split.y_train, tr, k, leave_one_out=True)
                                      != split.y_train).mean())

    train_net(split, loss, cfg, seed, progress, snapshot)
    meta = {
        "dataset": name, "loss": loss, "seed": seed, "k": k, "config": asdict(cfg),
        "n_train": len(split.y_train), "n_test": len(split.y_test), "shown": len(shown),
        # named as a recording's metrics are, so the figures' checks and the gallery read both
        "metrics": {"train_accuracy": 1.0 - final["train_error"], "test_accuracy": 1.0 - errors[-1],
                    "test_points": len(split.y_test), "knn_test_error": errors[-1],
                    "spread_start": spreads[0], "spread_end": spreads[-1]},
        "versions": {"nntopo": __version__, "torch": torch.__version__},
    }
    return Trajectory(meta, np.arange(len(zs)), np.stack(zs), split.y_test[shown], np.array(errors),
                      np.array(spreads), final["wrong"])


def save_trajectory(tr: Trajectory, path: str | Path) -> Path:
    """Write `tr` as an .npz (plain arrays, JSON meta), atomically."""
    return write_npz(Path(path), dict(
        format=np.array(FORMAT_VERSION), meta=np.array(json.dumps(tr.meta)), epochs=tr.epochs, z=tr.z,
        y=tr.y, test_error=tr.test_error, spread=tr.spread, wrong=tr.wrong))


def load_trajectory(path) -> Trajectory:
    """Read a saved Trajectory; ValueError if the file is not one."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        version = int(data["format"])
        meta = json.loads(str(data["meta"]))
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: not a k-NN trajectory ({type(e).__name__})") from None
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: k-NN trajectory format {version}, this nntopo reads {FORMAT_VERSION}")
    try:
        return Trajectory(meta, data["epochs"], data["z"], data["y"], data["test_error"], data["spread"],
                          data["wrong"])
    except KeyError as e:
        raise ValueError(f"{path}: not a k-NN trajectory (no {e})") from None
