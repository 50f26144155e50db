"""The recording: one self-describing `.npz` holding a trained network, its data and its history.

Layout (all plain arrays, read with ``allow_pickle=False``):

    format          ()  int      FORMAT_VERSION
    meta            ()  str      JSON of meta.Meta: dataset, seed, network, training, metrics, versions
    X               (N, d)       inputs
    y               (N,)         labels 0 ... C-1 (two classes: 0 = A, 1 = B)
    W{l}, b{l}      (m, n), (m,) dense hidden layer l, which computes act(W x + b)
    A{l}, V{l}, S{l} (K, d), (K, d), (K,)  vector-field layer l, x + F(x): anchors, vectors, widths
    F{l}W{j}, F{l}b{j}   (m, n), (m,) layer j of the chain f of residual block or neural ODE l
    head_w, head_b  (C, k), (C,) the classifier: one logit (C = 1) or C softmax scores
    snap_steps, snap_loss, snap_accuracy          (S,)   training snapshots (optional: S = 0)
    snap_W{l}, snap_b{l} (or snap_V{l}, snap_S{l}), snap_head_w, snap_head_b
                    (S, ...)     the trained parameters at each snapshot

Format 3 describes each hidden layer in ``meta["net"]["hidden"]``: ``{"kind": "dense",
"activation": "leaky-relu", "param": 0.3}`` or ``{"kind": "vector-field"}``, and names the
classes in ``meta["classes"]``. Format 4 adds residual blocks, ``{"kind": "residual", "h": 1.0,
"chain": [{"activation": "tanh", "param": null}, ...]}``, and neural ODEs, ``{"kind": "ode",
"chain": [...], "t0": 0.0, "t1": 1.0, "time": false, "augment": 1, "solver": {"method":
"dopri5", "rtol": 1e-7, "atol": 1e-9, "step_size": null}}``: f's dense layers, in order. Formats 1 and 2 (one activation for all dense layers in
``meta["net"]["activation"]``, the types in ``meta["net"]["layer_types"]``, a one-logit head of
shape (k,)) are read too.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import write_npz
from ..errors import NntopoError
from ..nets.activations import activation
from ..nets.network import ODE, Dense, Network, Residual, VectorField
from . import validate
from .meta import Meta, net_config

FORMAT_VERSION = 4  # 4: residual blocks, neural ODEs; 3: per-layer activations, C-way heads, class names; 2: vector-field layers
READS = (1, 2, 3, 4)
CHAINED = ("residual", "ode")  # the kinds whose layer is a chain f of dense layers (F{l}W{j}, F{l}b{j})


RecordingError = validate.RecordingError


# Array names in the file, per layer kind: each parameter's name there.
FILE_KEYS = {"dense": {"W": "W", "b": "b"}, "vector-field": {"anchors": "A", "vectors": "V", "widths": "S"},
             "residual": {}, "ode": {}}


@dataclass(frozen=True)
class Snapshots:
    steps: np.ndarray  # (S,) training step of each snapshot
    loss: np.ndarray  # (S,) objective at that step
    accuracy: np.ndarray  # (S,) training accuracy at that step
    # Per layer, its trained parameters stacked over snapshots: {"W": (S, out, in), "b": (S, out)}
    # for a dense layer, {"vectors": (S, K, d), "widths": (S, K)} for a vector-field one.
    params: tuple[dict[str, np.ndarray], ...]
    head_w: np.ndarray  # (S, C, k)
    head_b: np.ndarray  # (S, C)

    def __len__(self) -> int:
        return len(self.steps)

    def separators(self) -> tuple[np.ndarray, np.ndarray]:
        """Per snapshot, the binary decision v . h + c > 0: v (S, k), c (S,) (Network.separator)."""
        if self.head_b.shape[1] == 1:
            return self.head_w[:, 0], self.head_b[:, 0]
        return self.head_w[:, 1] - self.head_w[:, 0], self.head_b[:, 1] - self.head_b[:, 0]

    def network(self, i: int, final: Network) -> Network:
        """The network at snapshot i: `final` (the trained one) with snapshot i's parameters."""
        return final.with_params(tuple({k: v[i] for k, v in p.items()} for p in self.params),
                                 self.head_w[i], self.head_b[i])

    @staticmethod
    def none(net: Network) -> "Snapshots":
        """No training history (a network trained elsewhere)."""
        return Snapshots(np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                         tuple({k: np.zeros((0,) + getattr(layer, k).shape) for k in layer.trained}
                               for layer in net.layers),
                         np.zeros((0,) + net.head_w.shape), np.zeros((0,) + net.head_b.shape))


@dataclass(frozen=True)
class Recording:
    meta: Meta  # the description: data, network, training, metrics, versions (meta.py)
    X: np.ndarray  # (N, d)
    y: np.ndarray  # (N,)
    net: Network
    snapshots: Snapshots

    def __post_init__(self) -> None:
        if not self.meta.classes:  # the default names: A and B, or 0 ... C-1
            default = ("A", "B") if self.net.classes == 2 else tuple(str(c) for c in range(self.net.classes))
            object.__setattr__(self, "meta", self.meta.with_classes(default))

    @property
    def dataset(self) -> str:
        return self.meta.data.name

    @property
    def accuracy(self) -> float:
        return self.meta.metrics.train_accuracy

    @property
    def sampled(self) -> bool:
        """The data was sampled from a built-in dataset (so fresh points can be drawn again)."""
        return self.meta.sampled

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes' names, label 0 first."""
        return self.meta.classes

    def save(self, path: str | os.PathLike) -> Path:
        return save(self, path)


def save(rec: Recording, path: str | os.PathLike) -> Path:
    """Write `rec` to `path` atomically: a temporary file beside it, renamed into place."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT_VERSION),
        "meta": np.array(json.dumps(rec.meta.to_json(describe(rec.net)), sort_keys=True)),
        "X": rec.X,
        "y": rec.y,
        "head_w": rec.net.head_w,
        "head_b": np.array(rec.net.head_b),
    }
    snaps = len(rec.snapshots) > 0  # no history: no snap_ arrays at all
    if snaps:
        arrays.update(snap_steps=rec.snapshots.steps, snap_loss=rec.snapshots.loss,
                      snap_accuracy=rec.snapshots.accuracy, snap_head_w=rec.snapshots.head_w,
                      snap_head_b=rec.snapshots.head_b)
    for i, (layer, snap) in enumerate(zip(rec.net.layers, rec.snapshots.params)):
        for name, key in FILE_KEYS[layer.kind].items():
            arrays[f"{key}{i}"] = getattr(layer, name)
        for j, d in enumerate(getattr(layer, "f", ())):
            arrays[f"F{i}W{j}"], arrays[f"F{i}b{j}"] = d.W, d.b
        for name, a in snap.items() if snaps else ():
            arrays[f"snap_{FILE_KEYS[layer.kind][name]}{i}"] = a
    return write_npz(path, arrays)


def describe(net: Network) -> list[dict]:
    """Each hidden layer as format 4 describes it in meta["net"]["hidden"]."""
    out = []
    for layer in net.layers:
        if layer.kind == "dense":
            out.append({"kind": "dense", "activation": layer.activation, "param": layer.param})
            continue
        h: dict = {"kind": layer.kind}
        if layer.kind in CHAINED:
            h["chain"] = [{"activation": d.activation, "param": d.param} for d in layer.f]
        if layer.kind == "residual":
            h["h"] = layer.h
        if layer.kind == "ode":
            s = layer.solver
            h |= {"t0": layer.t0, "t1": layer.t1, "time": layer.time, "augment": layer.augment,
                  "solver": {"method": s.method, "rtol": s.rtol, "atol": s.atol, "step_size": s.step_size}}
        out.append(h)
    return out


def _number(h: dict, key: str, positive: bool = False) -> float:
    v = h[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (positive and v <= 0):
        raise ValueError(f"{key} {v!r}")
    return float(v)


def _chained(h: dict) -> None:
    """A residual block's or neural ODE's description: a chain of 1 to MAX_LAYERS activations,
    finite numbers, a solver torchdiffeq has and nntopo replays, an interval of positive length."""
    from ..nets.solvers import METHODS

    chain = h["chain"]
    if not isinstance(chain, list) or not 1 <= len(chain) <= validate.MAX_LAYERS or \
            not all(isinstance(c, dict) and isinstance(c.get("activation"), str) for c in chain):
        raise ValueError("chain")
    if h["kind"] == "residual":
        _number(h, "h")
        return
    t0, t1 = _number(h, "t0"), _number(h, "t1")
    if t0 == t1:
        raise ValueError("integration interval of length 0")
    if not isinstance(h["time"], bool):
        raise ValueError("time")
    if isinstance(h["augment"], bool) or not isinstance(h["augment"], int) or not 0 <= h["augment"] <= validate.MAX_WIDTH:
        raise ValueError("augment")
    s = h["solver"]
    if not isinstance(s, dict) or s.get("method") not in METHODS:
        raise ValueError(f"solver {s.get('method') if isinstance(s, dict) else s!r}")
    _number(s, "rtol", positive=True), _number(s, "atol", positive=True)
    if s.get("step_size") is not None:
        _number(s, "step_size", positive=True)


def _chain_layer(h: dict, i: int, data: dict):
    """The residual block or neural ODE layer i from its description and its F{i}W{j}, F{i}b{j}."""
    from ..nets.solvers import Solver

    f = []
    for j, c in enumerate(h["chain"]):
        act = activation(c["activation"], c.get("param"))
        f.append(Dense(data[f"F{i}W{j}"], data[f"F{i}b{j}"], act.name,
                       act.param if act.param_name and c.get("param") is not None else None))
    if h["kind"] == "residual":
        return Residual(tuple(f), float(h["h"]))
    s = h["solver"]
    return ODE(tuple(f), float(h["t0"]), float(h["t1"]),
               Solver(s["method"], float(s["rtol"]), float(s["atol"]),
                      None if s.get("step_size") is None else float(s["step_size"])),
               bool(h["time"]), int(h["augment"]))


def _hidden(meta: dict, version: int) -> list[dict]:
    """meta["net"]["hidden"], or what a format 1 or 2 file says in its place."""
    if version >= 3:
        hidden = meta["net"]["hidden"]
        if not isinstance(hidden, list) or not all(isinstance(h, dict) for h in hidden):
            raise ValueError("net.hidden")
        for h in hidden:
            if h.get("kind") not in FILE_KEYS or (version < 4 and h["kind"] in CHAINED):
                raise ValueError(f"layer kind {h.get('kind')!r}")
            if h["kind"] in CHAINED:
                _chained(h)
        return hidden
    for key in ("in_dim", "layers", "width", "activation"):  # format 1 and 2 describe the network here
        meta["net"][key]  # (a KeyError: damaged)
    cfg = net_config(meta["net"])  # one activation for all dense layers
    return [{"kind": t, "activation": cfg.activation, "param": None} for t in cfg.types()]


def _read(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    with zf.open(f"{name}.npy") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def load(path: str | os.PathLike) -> Recording:
    """Read a recording; anything that is not a readable one of this format raises RecordingError.

    The file is untrusted input (validate.py): its headers and metadata are checked before any
    array is read, so no declared size is allocated that its own network does not imply."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            heads = validate.headers(zf)
            if "format" not in heads or "meta" not in heads:
                raise RecordingError("not an nntopo recording (no format version)")
            validate.check_small(heads, "format", "iu", 8)
            validate.check_small(heads, "meta", "U", 4 * validate.MAX_META)
            version = int(_read(zf, "format"))
            if version not in READS:
                raise RecordingError(f"recording format {version}, but this nntopo reads formats "
                                     f"{', '.join(map(str, READS))}")
            raw = json.loads(str(_read(zf, "meta")))
            meta = Meta.from_json(raw)
            try:
                hidden = _hidden(raw, version)
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise RecordingError(f"damaged nntopo recording (missing or bad {e})") from None
            validate.declared(heads, hidden, version)
            data = {name: _read(zf, name) for name in heads}
    except RecordingError as e:
        raise RecordingError(f"{path}: {e}") from None
    except json.JSONDecodeError as e:
        raise RecordingError(f"{path}: damaged nntopo recording (its metadata is not JSON: {e.msg})") from None
    except Exception as e:  # a damaged zip fails in many ways (zlib, CRC, struct, EOF): all unreadable
        raise RecordingError(f"{path}: not a readable .npz file ({type(e).__name__})") from None
    # NaN or infinite numbers would surface deep in a render (an SVD that does not converge):
    # refused here, naming the arrays.
    bad = sorted(k for k, a in data.items() if a.dtype.kind in "fc" and not np.isfinite(a).all())
    if bad:
        raise RecordingError(f"{path}: non-finite numbers (NaN or infinity) in {', '.join(bad)}")
    data = {k: a.astype(np.float64) if a.dtype.kind in "biuf" and k not in ("y", "format", "snap_steps") else a
            for k, a in data.items()}  # every number float64, whatever the file stored
    try:
        layers = []
        for i, h in enumerate(hidden):
            if h["kind"] == "dense":
                act = activation(h["activation"], h.get("param"))  # unknown names refused here
                layers.append(Dense(data[f"W{i}"], data[f"b{i}"], act.name, act.param
                                    if act.param_name and h.get("param") is not None else None))
            elif h["kind"] == "vector-field":
                layers.append(VectorField(data[f"A{i}"], data[f"V{i}"], data[f"S{i}"]))
            elif h["kind"] in CHAINED:
                layers.append(_chain_layer(h, i, data))
            else:
                raise ValueError(f"layer kind {h['kind']!r}")
        net = Network(tuple(layers), data["head_w"], data["head_b"])
        C = len(net.head_b)
        if "snap_steps" in data or version < 3:
            snaps = Snapshots(
                steps=data["snap_steps"],
                loss=data["snap_loss"],
                accuracy=data["snap_accuracy"],
                params=tuple({name: data[f"snap_{FILE_KEYS[layer.kind][name]}{i}"] for name in layer.trained}
                             for i, layer in enumerate(layers)),
                head_w=data["snap_head_w"].reshape(len(data["snap_steps"]), C, net.head_w.shape[1]),
                head_b=data["snap_head_b"].reshape(len(data["snap_steps"]), C),
            )
        else:
            snaps = Snapshots.none(net)
        rec = Recording(meta, data["X"], data["y"], net, snaps)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, json.JSONDecodeError) as e:
        raise RecordingError(f"{path}: damaged nntopo recording (missing or bad {e})") from None
    except NntopoError as e:  # an activation this nntopo does not know, or a bad parameter
        raise RecordingError(f"{path}: damaged nntopo recording ({e})") from None
    _check(rec, path)
    return rec


def _check(rec: Recording, path: Path) -> None:
    """What the numbers must be (validate.declared has already made every shape chain): labels
    the head has outputs for, a name per class, positive field widths."""
    problems = []
    if rec.y.dtype.kind not in "iub" or len(rec.y) and not 0 <= rec.y.min() <= rec.y.max() < rec.net.classes:
        problems.append(f"labels are not 0 ... {rec.net.classes - 1}")
    if len(rec.classes) != rec.net.classes:
        problems.append(f"{len(rec.classes)} class names for {rec.net.classes} classes")
    for i, layer in enumerate(rec.net.layers):
        if layer.kind == "vector-field" and not (layer.widths > 0).all():
            problems.append(f"layer {i} has field widths that are not positive")
    if problems:
        raise RecordingError(f"{path}: damaged nntopo recording ({'; '.join(problems)})")
    # Finite numbers can still overflow (1e300 in a weight): every value the pictures compute
    # (each stage of each layer, and their squares) must stay finite on the data and the window.
    e = rec.meta.data.extent
    dim0 = rec.X.shape[1]
    k = min(dim0, 3)
    corners = np.stack(np.meshgrid(*[np.linspace(-e, e, 5)] * k), -1).reshape(-1, k)
    probe = np.concatenate([rec.X, np.pad(corners, ((0, 0), (0, dim0 - k)))])
    with np.errstate(all="ignore"):
        values = [probe]
        for layer in rec.net.layers:
            if layer.kind == "dense":
                values.append(values[-1] @ layer.W.T + layer.b)  # the linear and translate stages
                values.append(layer.act.numpy_fn(values[-1]))
            else:
                values.append(layer(values[-1]))
        values.append(values[-1] @ rec.net.head_w.T + rec.net.head_b)
        largest = max(float(np.abs(v).max()) if v.size else 0.0 for v in values)
    if not largest <= validate.MAX_VALUE:
        raise RecordingError(f"{path}: its network reaches values of {largest:.3g} on its own data or window "
                             f"(at most {validate.MAX_VALUE:.0e} can be drawn)")
