"""A recording of nntopo's own training: sample the data (or read the user's CSV), fit the MLP
(loop.fit), measure it, and describe everything in a Recording (recording/meta.py).

    rec = train_recording(DataConfig("spirals"), NetConfig(layers=4, width=2), TrainConfig())
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import torch

from ..analysis import metrics
from ..config import DataConfig, NetConfig, Progress, TrainConfig
from ..data.datasets import DATASETS, EXTENT, make_dataset
from ..data.real import HELD_OUT, REAL, split
from ..data.userdata import Table, load_table, normalize, scale_of
from ..recording import Data, Meta, Metrics, NetSource, Recording, versions
from .loop import fit, network, snapshots


def train_recording(data: DataConfig, net: NetConfig, cfg: TrainConfig, progress: Progress | None = None,
                    table: Table | None = None) -> Recording:
    """Train on `data` (a synthetic dataset's seeded sample, a real dataset's seeded training part,
    or the user's CSV) and record; net's in_dim is the data's own. table: the CSV, already read by
    userdata.load_table (so that a caller can refuse a bad file before it starts a progress bar)."""
    test = None
    if data.dataset in REAL:
        r = REAL[data.dataset]
        part = split(data.dataset, data.seed, data.points)
        X, center, scale = normalize(part.X_train, per_column=r.per_column)
        y = part.y_train
        test = ((part.X_test - center) / scale, part.y_test)
        names = part.classes
        described = Data(data.dataset, "dataset", EXTENT, {"held_out": HELD_OUT}, n_per_class=data.points,
                         n_points=len(X), center=tuple(center.tolist()), scale=scale_of(scale),
                         labels=names, features=part.features)
    elif data.dataset is not None:
        d = DATASETS[data.dataset]
        C = data.n_classes
        X, y = make_dataset(data.dataset, data.points, data.seed, C)
        params = json.loads(json.dumps(d.params if d.classes else {**d.params, "classes": C}))  # as read back
        names = tuple(chr(ord("A") + c) for c in range(C)) if C > 2 else ()  # two: A and B, the default
        described = Data(data.dataset, "dataset", d.extent, params, n_per_class=data.points, labels=names or None)
    else:
        table = table if table is not None else load_table(data.csv, label=data.label)
        X, y = table.X, table.y
        described = Data(data.name, "csv", EXTENT, n_points=len(X), path=data.csv, sha256=table.sha256,
                         center=tuple(table.center.tolist()), scale=scale_of(table.scale), labels=table.labels,
                         features=table.features)
        names = table.labels
    return train_points(X, y, described, names, replace(net, in_dim=X.shape[1]), cfg, data.seed, progress, test)


def train_points(X: np.ndarray, y: np.ndarray, data: Data, classes: tuple[str, ...], net_cfg: NetConfig,
                 cfg: TrainConfig, seed: int, progress: Progress | None = None,
                 test: tuple[np.ndarray, np.ndarray] | None = None) -> Recording:
    """Train on given points X (N, d), y (N,) and record; `data` says where they came from.

    The test accuracy is measured on a dense fresh sample for a synthetic dataset (its true sets
    can be sampled afresh), on `test` (X (M, d), y (M,): a real dataset's held-out part) when it
    is given; the user's own points have neither."""
    res = fit(X, y, net_cfg, cfg, seed, progress)
    net = network(res.net)
    # The accuracy is recomputed from the recorded (float64) parameters, so it is the one the
    # recording itself reproduces.
    stretch = metrics.stretch(net, X)
    steps = metrics.field_steps(net, X, data.extent)
    sampled = data.sampleable
    if sampled:
        tested = (metrics.dense_test_accuracy(net, data.name, seed), net.classes * metrics.DENSE_PER_CLASS, "fresh")
    elif test is not None:
        tested = (metrics.accuracy(net, *test), len(test[1]), "held-out")
    else:
        tested = (None, None, None)
    measured = Metrics(
        train_accuracy=metrics.accuracy(net, X, y),
        test_accuracy=tested[0],
        test_points=tested[1],
        test=tested[2],
        max_stretch=float(stretch.max()),  # largest singular value of the Jacobian
        p99_stretch=float(np.percentile(stretch, 99)),
        loss=res.loss,
        parameters=sum(p.numel() for p in res.net.parameters()),  # trained numbers
        restart=res.restart,
        restart_accuracies=res.restart_accuracies,
        field_steps=steps,  # per vector-field step and residual block, on the window and the data carried to it
        flows=metrics.flows(net, X, data.extent),  # per neural ODE: its flow's det, stretch and evaluations
        homeomorphism=metrics.homeomorphism(net, steps),  # every hidden layer is one
        class_accuracy=tuple(metrics.class_accuracy(net, X, y)) if net.classes > 2 else None,
    )
    explicit = replace(net_cfg, layer_types=net_cfg.types())  # one type per layer, as it is read back
    meta = Meta(data=data, net=NetSource(config=explicit), metrics=measured, seed=seed, train=cfg,
                classes=tuple(classes), versions=versions(torch=torch.__version__))
    return Recording(meta, X, y, net, snapshots(res, net))

