"""The conv net, the k-NN classifier in its representation, and the essay's k-NN loss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..config import Progress
from .digits import Split

EPS = 1e-6  # added to distances: a neighbour at distance 0 gets a large, finite weight


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


@dataclass(frozen=True)
class KnnConfig:
    epochs: int = 30  # passes over the training set
    batch: int = 128  # images per step (k-NN training: two halves, each classified by the other)
    lr: float = 1e-3  # Adam learning rate
    rep_dim: int = 64  # units of the representation layer
    train_k: int | None = None  # k-NN loss: neighbours counted (None: the whole other half-batch)
    ks: tuple[int, ...] = (1, 5, 15)  # k of the test-time k-NN


def train_net(split: Split, loss: str, cfg: KnnConfig, seed: int, progress: Progress | None = None,
              snapshot: Callable[[int, ConvNet], None] | None = None) -> ConvNet:
    """Train a ConvNet on split's training images with loss "softmax" or "knn"; deterministic for
    a seed. snapshot(step, net) is called before training and after every epoch."""
    torch.set_num_threads(1)  # 2 gain 15% alone, and beside other work (make figures, make test) lose several times that
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
            progress(1)
        if snapshot:
            snapshot(epoch + 1, net)
    return net


def representations(net: ConvNet, X: np.ndarray) -> np.ndarray:
    """The representation (N, rep_dim) of images X (N, 1, side, side), in batches, float64."""
    with torch.no_grad():
        return np.concatenate([net.representation(torch.as_tensor(X[i : i + 500])).numpy()
                               for i in range(0, len(X), 500)]).astype(np.float64)
