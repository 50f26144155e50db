"""The recording: one self-describing `.npz` holding a trained network, its data and its history.

Layout (all plain arrays, read with ``allow_pickle=False``):

    format          ()  int      FORMAT_VERSION
    meta            ()  str      JSON: dataset, seed, architecture, training config, metrics, versions
    X               (N, d)       inputs
    y               (N,)         labels, 0 = A, 1 = B
    W{l}, b{l}      (m, n), (m,) hidden layer l, which computes act(W x + b)
    head_w, head_b  (k,), ()     the classifier's logit v . h + c on the last representation
    snap_steps, snap_loss, snap_accuracy          (S,)   training snapshots
    snap_W{l}, snap_b{l}, snap_head_w, snap_head_b (S, ...) the parameters at each snapshot

The activation of every layer is in ``meta["net"]["activation"]`` (one for all layers).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import NntopoError
from .model import ACTIVATIONS

FORMAT_VERSION = 1


class RecordingError(NntopoError):
    pass


@dataclass(frozen=True)
class Layer:
    W: np.ndarray  # (out, in)
    b: np.ndarray  # (out,)
    activation: str  # a key of ACTIVATIONS

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """act(W x + b) for points x (..., in) -> (..., out)."""
        return ACTIVATIONS[self.activation].numpy_fn(x @ self.W.T + self.b)


@dataclass(frozen=True)
class Network:
    layers: tuple[Layer, ...]
    head_w: np.ndarray  # (k,) classifier weights on the last representation
    head_b: float

    def representations(self, x: np.ndarray) -> list[np.ndarray]:
        """[x, h1, ..., hL] for points x (N, d): layers + 1 arrays of shape (N, d_l)."""
        reps = [x]
        for layer in self.layers:
            reps.append(layer(reps[-1]))
        return reps

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(N,) logits; positive means class B."""
        return self.representations(x)[-1] @ self.head_w + self.head_b

    def probability(self, x: np.ndarray) -> np.ndarray:
        """(N,) probability of class B."""
        return 0.5 * (1.0 + np.tanh(0.5 * self.logits(x)))


@dataclass(frozen=True)
class Snapshots:
    steps: np.ndarray  # (S,) training step of each snapshot
    loss: np.ndarray  # (S,) objective at that step
    accuracy: np.ndarray  # (S,) training accuracy at that step
    W: tuple[np.ndarray, ...]  # per layer (S, out, in)
    b: tuple[np.ndarray, ...]  # per layer (S, out)
    head_w: np.ndarray  # (S, k)
    head_b: np.ndarray  # (S,)

    def network(self, i: int, activation: str) -> Network:
        layers = tuple(Layer(W[i], b[i], activation) for W, b in zip(self.W, self.b))
        return Network(layers, self.head_w[i], float(self.head_b[i]))


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
    for i, layer in enumerate(rec.net.layers):
        arrays[f"W{i}"] = layer.W
        arrays[f"b{i}"] = layer.b
        arrays[f"snap_W{i}"] = rec.snapshots.W[i]
        arrays[f"snap_b{i}"] = rec.snapshots.b[i]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved file is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
    version = int(data["format"])
    if version != FORMAT_VERSION:
        raise RecordingError(
            f"{path}: recording format {version}, but this nntopo reads format {FORMAT_VERSION}"
        )
    try:
        meta = json.loads(str(data["meta"]))
        activation = meta["net"]["activation"]
        n_layers = int(meta["net"]["layers"])
        layers = tuple(Layer(data[f"W{i}"], data[f"b{i}"], activation) for i in range(n_layers))
        net = Network(layers, data["head_w"], float(data["head_b"]))
        snaps = Snapshots(
            steps=data["snap_steps"],
            loss=data["snap_loss"],
            accuracy=data["snap_accuracy"],
            W=tuple(data[f"snap_W{i}"] for i in range(n_layers)),
            b=tuple(data[f"snap_b{i}"] for i in range(n_layers)),
            head_w=data["snap_head_w"],
            head_b=data["snap_head_b"],
        )
        rec = Recording(meta, data["X"], data["y"], net, snaps)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
        raise RecordingError(f"{path}: damaged nntopo recording (missing or bad {e})") from None
    _check(rec, path)
    return rec


def _check(rec: Recording, path: Path) -> None:
    """Shapes must chain; a file that lies about them is refused here, not deep in a render."""
    problems = []
    if rec.meta["net"]["activation"] not in ACTIVATIONS:
        problems.append(f"unknown activation {rec.meta['net']['activation']!r}")
    if rec.X.ndim != 2 or rec.y.shape != (len(rec.X),):
        problems.append("X and y shapes disagree")
    dim = rec.X.shape[1] if rec.X.ndim == 2 else -1
    for i, layer in enumerate(rec.net.layers):
        if layer.W.ndim != 2 or layer.W.shape[1] != dim or layer.b.shape != (layer.W.shape[0],):
            problems.append(f"layer {i} shapes do not chain")
            break
        dim = layer.W.shape[0]
    if rec.net.head_w.shape != (dim,):
        problems.append("classifier shape does not match the last layer")
    S = len(rec.snapshots.steps)
    if S == 0 or any(len(a) != S for a in (rec.snapshots.loss, rec.snapshots.accuracy)):
        problems.append("snapshot arrays disagree")
    if problems:
        raise RecordingError(f"{path}: damaged nntopo recording ({'; '.join(problems)})")
