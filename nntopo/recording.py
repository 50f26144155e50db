"""The recording: one self-describing `.npz` holding a trained network, its data and its history.

Layout (all plain arrays, read with ``allow_pickle=False``):

    format          ()  int      FORMAT_VERSION
    meta            ()  str      JSON: dataset, seed, architecture, training config, metrics, versions
    X               (N, d)       inputs
    y               (N,)         labels, 0 = A, 1 = B
    W{l}, b{l}      (m, n), (m,) dense hidden layer l, which computes act(W x + b)
    A{l}, V{l}, S{l} (K, d), (K, d), (K,)  vector-field layer l, x + F(x): anchors, vectors, widths
    head_w, head_b  (k,), ()     the classifier's logit v . h + c on the last representation
    snap_steps, snap_loss, snap_accuracy          (S,)   training snapshots
    snap_W{l}, snap_b{l} (or snap_V{l}, snap_S{l}), snap_head_w, snap_head_b
                    (S, ...)     the trained parameters at each snapshot

The type of each layer is in ``meta["net"]["layer_types"]`` ("dense" or "vector-field"; format 1
files have only dense layers), the activation of the dense ones in ``meta["net"]["activation"]``.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .atomic import write_npz
from .config import NetConfig
from .errors import NntopoError
from .network import Dense, Network, VectorField

FORMAT_VERSION = 2  # 2: vector-field layers (layer_types); format 1 files are read too
READS = (1, 2)


class RecordingError(NntopoError):
    pass


# Array names in the file, per layer kind: each parameter's name there.
FILE_KEYS = {"dense": {"W": "W", "b": "b"}, "vector-field": {"anchors": "A", "vectors": "V", "widths": "S"}}


@dataclass(frozen=True)
class Snapshots:
    steps: np.ndarray  # (S,) training step of each snapshot
    loss: np.ndarray  # (S,) objective at that step
    accuracy: np.ndarray  # (S,) training accuracy at that step
    # Per layer, its trained parameters stacked over snapshots: {"W": (S, out, in), "b": (S, out)}
    # for a dense layer, {"vectors": (S, K, d), "widths": (S, K)} for a vector-field one.
    params: tuple[dict[str, np.ndarray], ...]
    head_w: np.ndarray  # (S, k)
    head_b: np.ndarray  # (S,)

    def network(self, i: int, final: Network) -> Network:
        """The network at snapshot i: `final` (the trained one) with snapshot i's parameters."""
        return final.with_params(tuple({k: v[i] for k, v in p.items()} for p in self.params),
                                 self.head_w[i], float(self.head_b[i]))


@dataclass(frozen=True)
class Recording:
    meta: dict  # JSON-serialisable description: see module docstring
    X: np.ndarray  # (N, d)
    y: np.ndarray  # (N,)
    net: Network
    snapshots: Snapshots

    @property
    def dataset(self) -> str:
        return self.meta["dataset"]["name"]

    @property
    def accuracy(self) -> float:
        return float(self.meta["metrics"]["train_accuracy"])

    def save(self, path: str | os.PathLike) -> Path:
        return save(self, path)


def save(rec: Recording, path: str | os.PathLike) -> Path:
    """Write `rec` to `path` atomically: a temporary file beside it, renamed into place."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT_VERSION),
        "meta": np.array(json.dumps(rec.meta, sort_keys=True)),
        "X": rec.X,
        "y": rec.y,
        "head_w": rec.net.head_w,
        "head_b": np.array(rec.net.head_b),
        "snap_steps": rec.snapshots.steps,
        "snap_loss": rec.snapshots.loss,
        "snap_accuracy": rec.snapshots.accuracy,
        "snap_head_w": rec.snapshots.head_w,
        "snap_head_b": rec.snapshots.head_b,
    }
    for i, (layer, snap) in enumerate(zip(rec.net.layers, rec.snapshots.params)):
        for name, key in FILE_KEYS[layer.kind].items():
            arrays[f"{key}{i}"] = getattr(layer, name)
        for name, a in snap.items():
            arrays[f"snap_{FILE_KEYS[layer.kind][name]}{i}"] = a
    return write_npz(path, arrays)


def load(path: str | os.PathLike) -> Recording:
    """Read a recording; anything that is not a readable one of this format raises RecordingError."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise RecordingError(f"{path}: not a readable .npz file ({type(e).__name__})") from None
    if "format" not in data or "meta" not in data:
        raise RecordingError(f"{path}: not an nntopo recording (no format version)")
    # NaN or infinite numbers would surface deep in a render (an SVD that does not converge):
    # refused here, naming the arrays.
    bad = sorted(k for k, a in data.items() if a.dtype.kind in "fc" and not np.isfinite(a).all())
    if bad:
        raise RecordingError(f"{path}: non-finite numbers (NaN or infinity) in {', '.join(bad)}")
    version = int(data["format"])
    if version not in READS:
        raise RecordingError(
            f"{path}: recording format {version}, but this nntopo reads formats "
            f"{', '.join(map(str, READS))}"
        )
    try:
        meta = json.loads(str(data["meta"]))
        meta["net"].setdefault("layer_types", [])  # format 1: all dense
        types = net_config(meta).types()
        layers, params = [], []
        for i, t in enumerate(types):
            if t == "dense":
                layer = Dense(data[f"W{i}"], data[f"b{i}"], meta["net"]["activation"])
            else:
                layer = VectorField(data[f"A{i}"], data[f"V{i}"], data[f"S{i}"])
            keys = FILE_KEYS[layer.kind]
            layers.append(layer)
            params.append({name: data[f"snap_{keys[name]}{i}"] for name in layer.trained})
        net = Network(tuple(layers), data["head_w"], float(data["head_b"]))
        snaps = Snapshots(
            steps=data["snap_steps"],
            loss=data["snap_loss"],
            accuracy=data["snap_accuracy"],
            params=tuple(params),
            head_w=data["snap_head_w"],
            head_b=data["snap_head_b"],
        )
        rec = Recording(meta, data["X"], data["y"], net, snaps)
    except (KeyError, TypeError, ValueError, IndexError, json.JSONDecodeError) as e:
        raise RecordingError(f"{path}: damaged nntopo recording (missing or bad {e})") from None
    _check(rec, path)
    return rec


def net_config(meta: dict) -> NetConfig:
    """The NetConfig a recording's meta describes (the file describes itself, as nanoGPT's do)."""
    n = dict(meta["net"])
    n["layer_types"] = tuple(n.get("layer_types", ()))
    try:
        return NetConfig(**n)
    except NntopoError as e:  # a file that lies about its network
        raise ValueError(f"network: {e}") from None


def _check(rec: Recording, path: Path) -> None:
    """Shapes must chain; a file that lies about them is refused here, not deep in a render."""
    problems = []
    if rec.meta["net"]["activation"] not in ACTIVATIONS:
        problems.append(f"unknown activation {rec.meta['net']['activation']!r}")
    if rec.X.ndim != 2 or rec.y.shape != (len(rec.X),):
        problems.append("X and y shapes disagree")
    dim = rec.X.shape[1] if rec.X.ndim == 2 else -1
    for i, layer in enumerate(rec.net.layers):
        if layer.kind == "dense":
            ok = layer.W.ndim == 2 and layer.W.shape[1] == dim and layer.b.shape == (layer.W.shape[0],)
        else:
            K = len(layer.anchors)
            ok = (layer.anchors.ndim == 2 and layer.anchors.shape[1] == dim
                  and layer.vectors.shape == layer.anchors.shape and layer.widths.shape == (K,)
                  and bool((layer.widths > 0).all()))
        if not ok:
            problems.append(f"layer {i} shapes do not chain")
            break
        dim = layer.out_dim
    if rec.net.head_w.shape != (dim,):
        problems.append("classifier shape does not match the last layer")
    S = len(rec.snapshots.steps)
    stacked = [rec.snapshots.loss, rec.snapshots.accuracy] + [a for p in rec.snapshots.params for a in p.values()]
    if S == 0 or any(len(a) != S for a in stacked):
        problems.append("snapshot arrays disagree")
    if problems:
        raise RecordingError(f"{path}: damaged nntopo recording ({'; '.join(problems)})")
