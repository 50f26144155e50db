"""Recording the user's own trained torch network (yourmodel.read reads it) on the user's own points.

    rec = record(model, X, y)                 # an nn.Module, X (N, d), y (N,) labels 0 ... C-1
    rec = record_file(ModelFile("model.pt2", "points.csv"))   # `nntopo render --model --data`

The points are moved and scaled into the window the scenes draw (userdata.normalize) and the
same affine map is folded into the first layer, so the recorded network on the recorded points
gives exactly the model's outputs on the user's points. Snapshots are optional: a list of
state_dicts (or models) taken while the user trained, which then animate training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import metrics
from ..config import ModelFile
from ..data.datasets import EXTENT
from ..data.userdata import Table, normalize, scale_of
from ..errors import NntopoError
from ..ranges import MAX_INPUT, RANGES

MAX_CLASSES = RANGES["classes"][1]
from ..nets.network import Network
from ..recording import Data, Meta, Metrics, NetSource, Recording, Snapshots, versions
from .read import ModelError, read_file, read_module


def _array(a, what: str) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except Exception:
        raise NntopoError(f"{what} is not an array of numbers") from None


def check_arrays(X, y, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """X (N, d) finite numbers and y (N,) integer labels the head has an output for."""
    X, y = _array(X, "X"), _array(y, "y")
    if X.dtype.kind not in "biuf" or X.ndim != 2 or X.shape[1] < 1:
        raise NntopoError(f"X must be a 2-D array of numbers (N, d); got shape {X.shape}, dtype {X.dtype}")
    if X.shape[1] > MAX_INPUT:
        raise NntopoError(f"X has {X.shape[1]:,} columns; nntopo reads up to {MAX_INPUT} features")
    if outputs > MAX_CLASSES:
        raise NntopoError(f"the model's head has {outputs} outputs: {outputs} classes; nntopo draws up to "
                          f"{MAX_CLASSES} classes")
    X = X.astype(np.float64)
    bad = ~np.isfinite(X).all(1)
    if bad.any():
        raise NntopoError(f"X has {int(bad.sum())} row(s) with NaN or infinite numbers (the first: row "
                          f"{int(np.flatnonzero(bad)[0])})")
    if y.ndim != 1 or len(y) != len(X):
        raise NntopoError(f"y must have one label per row of X: X has {len(X)} rows, y has shape {y.shape}")
    if y.dtype.kind not in "biuf" or not np.all(np.round(y) == y):
        raise NntopoError("y must hold integer labels 0 ... C-1")
    y = y.astype(np.int64)
    classes = max(2, outputs)
    if len(y) and not 0 <= y.min() <= y.max() < classes:
        raise NntopoError(f"y has label {int(y.max() if y.max() >= classes else y.min())}, but the model's "
                          f"head has {outputs} output{'s' * (outputs != 1)} (labels 0 ... {classes - 1})")
    if len(np.unique(y)) < 2:
        raise NntopoError("y has one class only: two are needed to separate")
    return X, y


def _rescaled(net: Network, center: np.ndarray, scale: float) -> Network:
    """The network that reads points (x - center) / scale as `net` reads x: the first affine map
    absorbs the change of coordinates."""
    from dataclasses import replace

    if net.layers:
        first = net.layers[0]
        return Network((replace(first, W=first.W * scale, b=first.W @ center + first.b),) + net.layers[1:],
                       net.head_w, net.head_b)
    return Network((), net.head_w * scale, net.head_w @ center + net.head_b)


def _check_finite(net: Network) -> None:
    for i, layer in enumerate(net.layers):
        if not (np.isfinite(layer.W).all() and np.isfinite(layer.b).all()):
            raise NntopoError(f"the model's layer {i + 1} has non-finite weights (NaN or infinity)")
    if not (np.isfinite(net.head_w).all() and np.isfinite(net.head_b).all()):
        raise NntopoError("the model's last Linear (the classifier) has non-finite weights (NaN or infinity)")


def _loss(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """The cross-entropy of the head's outputs: binary for one logit, softmax for C."""
    out = net.outputs(X)
    if out.shape[1] == 1:
        z = out[:, 0]
        return float(np.mean(np.logaddexp(0.0, z) - y * z))
    z = out - out.max(1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]))


def _snapshots(model, snapshots, steps, width, center, scale, final: Network, X, y) -> Snapshots:
    import copy

    import torch

    nets = []
    for k, s in enumerate(snapshots):
        if isinstance(s, torch.nn.Module):
            m = s
        else:
            m = copy.deepcopy(model)
            try:
                m.load_state_dict(s)
            except Exception as e:
                raise NntopoError(f"snapshot {k} does not fit the model: {str(e).splitlines()[0]}") from None
        net = _rescaled(read_module(m, width)[0], center, scale)
        _check_finite(net)
        if [(type(a), getattr(a, "W", np.zeros(0)).shape, getattr(a, "activation", None)) for a in net.layers] != \
                [(type(a), getattr(a, "W", np.zeros(0)).shape, getattr(a, "activation", None)) for a in final.layers] \
                or net.head_w.shape != final.head_w.shape:
            raise NntopoError(f"snapshot {k} is not the same architecture as the model")
        nets.append(net)
    S = len(nets)
    steps = np.arange(S) if steps is None else _array(steps, "steps").astype(np.int64)
    if steps.shape != (S,):
        raise NntopoError(f"steps must give one step per snapshot ({S}); got shape {steps.shape}")
    return Snapshots(
        steps=steps,
        loss=np.array([_loss(n, X, y) for n in nets]),
        accuracy=np.array([np.mean(n.predict(X) == y) for n in nets]),
        params=tuple({k: np.stack([getattr(n.layers[i], k) for n in nets]) for k in layer.trained}
                     for i, layer in enumerate(final.layers)),
        head_w=np.stack([n.head_w for n in nets]),
        head_b=np.stack([n.head_b for n in nets]),
    )


def record(model, X, y, *, classes=None, features=None, name: str | None = None, snapshots=None,
           steps=None) -> Recording:
    """Record the user's trained model on their points: a Recording like `nntopo train` writes.

    model: a torch nn.Module of Linear layers and elementwise activations (yourmodel.read), or the
    path of a .pt2 / TorchScript file. X (N, d), y (N,) labels 0 ... C-1 (numpy or torch).
    classes: C names (default '0', '1', ...); features: d names of X's columns (they travel with
    the recording). snapshots: state_dicts or models while training, with their training steps
    (default 0, 1, ...)."""
    X = _array(X, "X")
    width = X.shape[-1] if X.ndim == 2 else 0
    if isinstance(model, (str, Path)):
        raw, notes = read_file(model)
        source = Path(model).name
        if snapshots:
            raise NntopoError("snapshots are taken from a model object, not a file")
    else:
        raw, notes = read_module(model, width)
        source = type(model).__name__
    if raw.layers and raw.layers[0].in_dim != width:
        raise ModelError(f"the model's first Linear takes {raw.layers[0].in_dim} inputs, but X has {width} columns")
    _check_finite(raw)
    X, y = check_arrays(X, y, len(raw.head_b))
    Xn, center, scale = normalize(X)
    net = _rescaled(raw, center, scale)
    C = net.classes
    names = [str(c) for c in range(C)] if classes is None else [str(c) for c in classes]
    if len(names) != C:
        raise NntopoError(f"{len(names)} class names for a model with {C} classes")
    if features is not None:
        features = tuple(str(f) for f in features)
        if len(features) != X.shape[1]:
            raise NntopoError(f"{len(features)} feature names for X of {X.shape[1]} columns")
    snaps = (Snapshots.none(net) if not snapshots else
             _snapshots(model, snapshots, steps, width, center, scale, net, Xn, y))
    stretch = metrics.stretch(raw, X)  # in the user's own coordinates
    import torch

    measured = Metrics(
        train_accuracy=float(np.mean(net.predict(Xn) == y)),
        loss=_loss(net, Xn, y),
        max_stretch=float(stretch.max()),
        p99_stretch=float(np.percentile(stretch, 99)),
        parameters=int(sum(l.W.size + l.b.size for l in net.layers) + net.head_w.size + net.head_b.size),
        homeomorphism=metrics.homeomorphism(net, ()),
    )
    meta = Meta(
        data=Data(name or "your data", "torch", EXTENT, n_points=len(X), center=tuple(center.tolist()),
                  scale=scale_of(scale), features=features),
        net=NetSource(model=source, read=tuple(notes)),
        metrics=measured,
        classes=tuple(names),
        versions=versions(torch=torch.__version__),
    )
    return Recording(meta, Xn, y, net, snaps)


def record_file(job: ModelFile, table: Table | None = None) -> Recording:
    """A model file (.pt2 or TorchScript) on a CSV of points (userdata): the labels in sorted
    order (integers numerically) are the head's outputs 0, 1, ... table: the CSV, already read."""
    from ..data.userdata import load_table

    table = table if table is not None else load_table(job.csv, label=job.label)
    X = table.X * table.scale + table.center  # the file's own coordinates: what the model was trained on
    return record(job.model, X, table.y, classes=table.labels, features=table.features, name=Path(job.csv).name)
