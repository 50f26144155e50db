"""A recording's description as typed data: where the data came from, what the network is, how it
was trained, what was measured, and with which versions. One definition writes it (`to_json`),
checks it (`from_json`: the file is untrusted) and is read by attribute everywhere.

The JSON layout is format 3's (recording/format.py), so files written before these classes existed
read the same, and every field a scene or report reads is checked for its type and range before
anything trusts it (a RecordingError names the field: "its metadata's metrics.train_accuracy
must be a number 0 ... 1; it is 'x'").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from ..config import NetConfig, TrainConfig
from ..data.datasets import DATASETS, EXTENT
from ..errors import NntopoError
from .validate import RecordingError

SOURCES = ("dataset", "csv", "torch")  # nntopo's sample of a dataset, the user's CSV, the user's model
# What a test accuracy is of: a dense fresh sample of a synthetic dataset's true sets, or the
# seeded, stratified part of a real dataset held out of training (data/real.py).
TESTS = ("fresh", "held-out")


@dataclass(frozen=True)
class Data:
    """Where the points came from, and the window they are drawn in."""

    name: str  # a dataset of the registry, the CSV's file name, or the user's own name for the data
    source: str = "dataset"  # one of SOURCES
    extent: float = EXTENT  # half-width of the input window (the grid and the heat map)
    params: dict = field(default_factory=dict)  # a dataset's parameters, as its sampler used them (provenance)
    n_per_class: int | None = None  # a dataset's points per class
    n_points: int | None = None  # the user's points (CSV or model)
    path: str | None = None  # the CSV as given
    sha256: str | None = None  # the CSV's content
    # The affine map that moved the user's points into the window: x_window = (x - center) / scale,
    # one factor for all axes (a number) or one per feature (a list, features in different units).
    center: tuple[float, ...] | None = None
    scale: float | tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None  # the CSV's labels, or a dataset's letters for C > 2 (as written)
    features: tuple[str, ...] | None = None  # the features' names (a CSV's header, a real dataset's)

    @property
    def sampleable(self) -> bool:
        """A dataset of the registry: fresh points of its true sets can be drawn."""
        return self.source == "dataset" and self.name in DATASETS


@dataclass(frozen=True)
class FieldStep:
    """A vector-field step's invertibility, measured on the window and the data carried to it."""

    layer: int  # 0-based index of the hidden layer
    lipschitz: float  # the largest ||J_F||_2 found
    folds: bool  # det(I + J_F) <= 0 somewhere: not invertible there
    invertible: bool  # the verdict: no fold and a Lipschitz constant below 1


@dataclass(frozen=True)
class Flow:
    """A neural ODE's flow, measured on the window and the data carried to it."""

    layer: int  # 0-based index of the hidden layer
    min_det: float  # the smallest det of the flow map's Jacobian found (a homeomorphism: positive)
    max_stretch: float  # the largest singular value of that Jacobian
    nfe: int  # evaluations of f the model's solver makes on the recorded data (one forward pass)


@dataclass(frozen=True)
class Metrics:
    """What was measured when the recording was made."""

    train_accuracy: float  # on the recorded points, recomputed from the recorded (float64) network
    test_accuracy: float | None = None  # on fresh points of a dataset's true sets, or held-out points
    test_points: int | None = None  # how many
    test: str | None = None  # which test: one of TESTS; None with a test_accuracy: "fresh" (older files)
    max_stretch: float | None = None  # the largest singular value of the network's Jacobian at the data
    p99_stretch: float | None = None  # its 99th percentile
    loss: float | None = None  # the training objective (or the cross-entropy of the user's model)
    parameters: int | None = None  # trained numbers
    restart: int | None = None  # which restart was kept (nntopo's training)
    restart_accuracies: tuple[float, ...] = ()  # every restart's final accuracy, in order
    field_steps: tuple[FieldStep, ...] = ()  # per vector-field step and residual block
    flows: tuple[Flow, ...] = ()  # per neural ODE
    homeomorphism: bool | None = None  # every hidden layer is one (as measured)
    class_accuracy: tuple[float, ...] | None = None  # C > 2: each class's training accuracy


@dataclass(frozen=True)
class NetSource:
    """The network's recipe: nntopo's NetConfig, or the user's model and what was read of it."""

    config: NetConfig | None = None  # nntopo's own network (None: the user's model)
    model: str | None = None  # the user's module class or file name
    read: tuple[str, ...] = ()  # what was read of it, in words (BatchNorm folded, Dropout dropped)


@dataclass(frozen=True)
class Meta:
    data: Data
    net: NetSource
    metrics: Metrics
    seed: int | None = None  # of the data and the initialisations (None: trained by the user)
    train: TrainConfig | None = None  # nntopo's training recipe (None: trained by the user)
    classes: tuple[str, ...] = ()  # the classes' names, label 0 first (empty: the defaults)
    versions: dict = field(default_factory=dict)  # package -> version, at recording time

    @property
    def sampled(self) -> bool:
        """The points were sampled from a dataset of the registry, so fresh ones can be drawn."""
        return self.data.sampleable and self.seed is not None

    def to_json(self, hidden: list[dict]) -> dict:
        """The JSON object format 3 stores; hidden: each layer's description (format.describe)."""
        data = {k: v for k, v in asdict(self.data).items() if v is not None}
        if self.data.source == "dataset":
            del data["source"]  # as format 3 has always written it
        if not self.data.params:
            del data["params"]
        net = {"source": self.net.model, "read": list(self.net.read)} if self.net.config is None else {
            **{k: v for k, v in asdict(self.net.config).items() if k != "augment" or v},  # (0: unsaid)
            "layer_types": list(self.net.config.types())}
        metrics = {k: v for k, v in asdict(self.metrics).items() if v is not None}
        return {
            "dataset": data,
            "seed": self.seed,
            "net": {**net, "hidden": hidden},
            "train": None if self.train is None else asdict(self.train),
            "classes": list(self.classes),
            "metrics": {k: v for k, v in metrics.items() if k not in ("restart_accuracies", "flows") or v},  # (nntopo's runs only)
            "versions": dict(self.versions),
        }

    @staticmethod
    def from_json(obj) -> "Meta":
        """The metadata of a file, checked: every field a scene or report reads has the type and
        range it needs, or a RecordingError names it."""
        if not isinstance(obj, dict):
            raise RecordingError(f"its metadata is {type(obj).__name__}, not an object")
        top = _Fields(obj, ())
        d = _Fields(top.get("dataset", "an object", _is_dict, required=True), ("dataset",))
        source = d.get("source", f"one of {', '.join(SOURCES)}", lambda v: v in SOURCES) or "dataset"
        data = Data(
            name=d.get("name", "text", _is_text, required=True),
            source=source,
            extent=d.get("extent", "a positive number up to 1e6", lambda v: is_number(v) and 0 < v <= 1e6) or EXTENT,
            params=d.get("params", "an object", _is_dict) or {},
            n_per_class=d.get("n_per_class", "a whole number", _is_count),
            n_points=d.get("n_points", "a whole number", _is_count),
            path=d.get("path", "text", _is_text),
            sha256=d.get("sha256", "text", _is_text),
            center=_tuple(d.get("center", "a list of numbers", _numbers)),
            scale=_scale(d.get("scale", "a positive number or a list of them", lambda v: _positive(v) or (
                isinstance(v, list) and len(v) > 0 and all(map(_positive, v))))),
            labels=_texts(d.get("labels", "a list of text", _is_texts)),
            features=_texts(d.get("features", "a list of text", _is_texts)),
        )
        m = _Fields(top.get("metrics", "an object", _is_dict, required=True), ("metrics",))
        steps = m.get("field_steps", "a list of objects", lambda v: isinstance(v, list) and all(
            isinstance(s, dict) and _is_int(s.get("layer")) and isinstance(s.get("invertible"), bool)
            and is_number(s.get("lipschitz")) and isinstance(s.get("folds"), int) for s in v)) or []
        flows = m.get("flows", "a list of objects", lambda v: isinstance(v, list) and all(
            isinstance(s, dict) and _is_count(s.get("layer")) and _is_count(s.get("nfe"))
            and is_number(s.get("min_det")) and is_number(s.get("max_stretch")) for s in v)) or []
        metrics = Metrics(
            train_accuracy=m.get("train_accuracy", "a number 0 ... 1", _fraction, required=True),
            test_accuracy=m.get("test_accuracy", "a number 0 ... 1", _fraction),
            test_points=m.get("test_points", "a whole number", _is_count),
            test=m.get("test", f"one of {', '.join(TESTS)}", lambda v: v in TESTS),
            max_stretch=m.get("max_stretch", "a number", is_number),
            p99_stretch=m.get("p99_stretch", "a number", is_number),
            loss=m.get("loss", "a number", is_number),
            parameters=m.get("parameters", "a whole number", _is_count),
            restart=m.get("restart", "a whole number", _is_count),
            restart_accuracies=_tuple(m.get("restart_accuracies", "a list of numbers 0 ... 1",
                                            lambda v: isinstance(v, list) and all(map(_fraction, v)))) or (),
            field_steps=tuple(FieldStep(s["layer"], float(s["lipschitz"]), bool(s["folds"]), s["invertible"])
                              for s in steps),
            flows=tuple(Flow(s["layer"], float(s["min_det"]), float(s["max_stretch"]), s["nfe"]) for s in flows),
            homeomorphism=m.get("homeomorphism", "true or false", lambda v: isinstance(v, bool)),
            class_accuracy=_tuple(m.get("class_accuracy", "a list of numbers 0 ... 1",
                                        lambda v: isinstance(v, list) and all(map(_fraction, v)))),
        )
        net = top.get("net", "an object", _is_dict, required=True)
        train = top.get("train", "an object", _is_dict)
        return Meta(
            data=data,
            net=_net_source(net),
            metrics=metrics,
            seed=top.get("seed", "an integer 0 ... 2^32-1", lambda v: _is_int(v) and 0 <= v < 2**32),
            train=None if train is None else _train(train),
            classes=_texts(top.get("classes", "a list of text", _is_texts)) or (),
            versions={k: v for k, v in (top.get("versions", "an object", _is_dict) or {}).items()
                      if isinstance(k, str) and isinstance(v, str)},
        )

    def with_classes(self, classes: tuple[str, ...]) -> "Meta":
        return replace(self, classes=tuple(classes))


def versions(**more: str) -> dict[str, str]:
    """The versions a recording is made with (more: torch's, where it was used)."""
    import platform

    import numpy as np

    from ..version import __version__

    return {"nntopo": __version__, "numpy": np.__version__, "python": platform.python_version(), **more}


def net_config(net: dict) -> NetConfig:
    """The NetConfig a file's `net` object describes (the file describes itself, as nanoGPT's do);
    a RecordingError where it describes none or lies."""
    n = {f.name: net[f.name] for f in fields(NetConfig) if f.name in net}
    n["layer_types"] = tuple(n.get("layer_types") or ())
    try:
        return NetConfig(**n)
    except (NntopoError, TypeError) as e:  # a file that lies about its network
        raise RecordingError(f"its metadata's net does not describe a network ({e})") from None


def _net_source(net: dict) -> NetSource:
    if "layers" in net and "width" in net:  # nntopo's own recipe
        return NetSource(config=net_config(net))
    f = _Fields(net, ("net",))
    return NetSource(model=f.get("source", "text", _is_text), read=_texts(f.get("read", "a list of text", _is_texts)) or ())


def _train(train: dict) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    try:
        return TrainConfig(**{k: v for k, v in train.items() if k in known})
    except (NntopoError, TypeError) as e:
        raise RecordingError(f"its metadata's train is not a training recipe ({e})") from None


class _Fields:
    """The fields of one JSON object at `path`, each read with its rule."""

    def __init__(self, obj: dict, path: tuple[str, ...]):
        self.obj, self.path = obj, path

    def get(self, key: str, what: str, ok, required: bool = False):
        value = self.obj.get(key)
        name = ".".join(self.path + (key,))
        if value is None:
            if required:
                raise RecordingError(f"its metadata has no {name}")
            return None
        if not ok(value):
            raise RecordingError(f"its metadata's {name} must be {what}; it is {str(value)[:40]!r}")
        return value


def is_number(v) -> bool:
    """A finite int or float from JSON (not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_count(v) -> bool:
    return _is_int(v) and v >= 0


def _is_text(v) -> bool:
    return isinstance(v, str)


def _is_texts(v) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


def _texts(v) -> tuple[str, ...] | None:
    return None if v is None else tuple(v)


def _is_dict(v) -> bool:
    return isinstance(v, dict)


def _fraction(v) -> bool:
    return is_number(v) and 0 <= v <= 1


def _positive(v) -> bool:
    return is_number(v) and v > 0


def _scale(v):
    return v if v is None or not isinstance(v, list) else tuple(float(x) for x in v)


def _numbers(v) -> bool:
    return isinstance(v, list) and all(map(is_number, v))


def _tuple(v):
    return None if v is None else tuple(float(x) if not isinstance(x, bool) else x for x in v)
