"""What a run is made of: the data, the network, the training recipe and the render options,
each checked once, here, when it is made, with its defaults written once (the CLI's options read
them). The CLI and the Python API build these same objects, so both refuse the same things with
the same words (errors.ConfigError).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

from .data.datasets import NAMES, classes_of
from .errors import ConfigError, NntopoError
from .nets.activations import ACTIVATIONS
from .ranges import MAX_DIM, RANGES, in_range, one_of, range_text

__all__ = ["ASPECTS", "BACKGROUNDS", "FORMATS", "LAYER_TYPES", "MAX_DIM", "PER", "QUALITIES", "RANGES", "SCENES",
           "SNAPSHOT_TYPES", "VIEWS", "DataConfig", "GridConfig", "KnnStudy", "ModelFile", "NetConfig", "Progress", "RenderOptions", "TrainConfig",
           "check_kinds", "check_scene", "in_range", "one_of", "range_text"]

LAYER_TYPES = ("dense", "vector-field", "residual", "ode")  # the kinds of hidden layer (network.LAYERS)
# The kinds the training scene can show: their parameters are what training snapshots hold
# (a residual block's or a neural ODE's are not: network.Residual.trained, ODE.trained).
SNAPSHOT_TYPES = ("dense", "vector-field")
# name -> (width, height, default frames per second)
QUALITIES: dict[str, tuple[int, int, int]] = {
    "low": (854, 480, 15),
    "medium": (1280, 720, 30),
    "high": (1920, 1080, 60),
    "4k": (3840, 2160, 60),
}
FORMATS = ("mp4", "gif", "webm", "png")
# What a render shows: every layer's stages, or the last representation while the network trains
SCENES = ("layers", "training")
BACKGROUNDS = ("light", "dark", "transparent")
# How a representation wider than the picture is seen: its dimensions (storyboard/projection.py)
VIEWS: dict[str, int] = {"3d": 3, "2d": 2}
PER = ("stage", "layer")  # a deck's slides: one per stage (W, +b, activation), or per layer
ASPECTS: dict[str, float] = {"16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0}  # width / height

# Long work reports progress by calling progress(n) after n more units of it are done
# (training steps, epochs, frames), so that the caller can draw a bar.
Progress = Callable[[int], None]


def check_kinds(scene: str, kinds) -> None:
    """The training scene replays training snapshots, which hold the parameters of dense and
    vector-field layers only (SNAPSHOT_TYPES): kinds, each hidden layer's, must be of them."""
    odd = [k for k in kinds if k not in SNAPSHOT_TYPES]
    if scene == "training" and odd:
        raise ConfigError("scene", None, f"the training scene shows {' and '.join(SNAPSHOT_TYPES)} networks; "
                          f"this one has {'an' if odd[0][0] in 'aeiou' else 'a'} {odd[0]} layer, whose parameters "
                          "training snapshots do not hold (use scene layers)")


def check_scene(scene: str, dims: list[int], snapshots: int | None = None, kinds: tuple[str, ...] = ()) -> None:
    """The training scene draws the last hidden representation in the plane while the network
    trains: it needs training snapshots (2 or more, where their number is known), every
    representation (dims, input first) at most 2 wide, at least one hidden layer, and hidden
    layers whose parameters snapshots hold (kinds: each hidden layer's, where known: check_kinds)."""
    check_kinds(scene, kinds)
    if scene == "training" and snapshots is not None and snapshots < 2:
        raise NntopoError("the training scene needs a recording with training snapshots (this one has "
                          f"{snapshots}); with your own model: nntopo.record(..., snapshots=[state_dict, ...])")
    if scene == "training" and (len(dims) < 2 or max(dims) > 2):
        raise ConfigError("scene", "training", "shows networks of 1 or more hidden layers, with the data "
                          "and every layer at most 2 wide")


@dataclass(frozen=True)
class DataConfig:
    """The data a network is trained on: a dataset of the registry, sampled with `seed`, or the
    user's CSV of points (userdata.py)."""

    dataset: str | None = None  # a name of datasets.NAMES (synthetic or real); None with csv
    csv: str | None = None  # the user's points (a CSV file), instead of a dataset
    label: str | None = None  # the CSV's label column, by its header's name (None: the last)
    # Points per class of a synthetic dataset's sample; a real dataset's training points per
    # class at most (of the part not held out: data/real.py)
    points: int = 250
    classes: int | None = None  # a dataset of any number of classes (blobs): how many; None: its own
    seed: int = 0  # of the sample and of the initialisations

    def __post_init__(self) -> None:
        if (self.dataset is None) == (self.csv is None):
            raise ConfigError("dataset", None, "give a dataset or a csv of points (one of them)")
        if self.csv is not None:
            object.__setattr__(self, "csv", str(self.csv))
            if self.classes is not None:
                raise ConfigError("classes", self.classes, "is for the blobs dataset; a CSV's classes are its labels")
        else:
            one_of("dataset", self.dataset, NAMES)
            classes_of(self.dataset, self.classes)
            if self.label is not None:
                raise ConfigError("label", self.label, "names a CSV's label column; a dataset has its own")  # the dataset's own number, or blobs' in range
        for name in ("points", "seed"):  # numbers of any integer type, kept as Python ints
            object.__setattr__(self, name, int(in_range(name, getattr(self, name))))

    @property
    def name(self) -> str:
        """The dataset's name, or the CSV's file name."""
        from pathlib import Path

        return self.dataset if self.dataset is not None else Path(self.csv).name

    @property
    def n_classes(self) -> int | None:
        """How many classes a dataset's sample has (None for a CSV: its labels, once read)."""
        return None if self.dataset is None else classes_of(self.dataset, self.classes)


@dataclass(frozen=True)
class ModelFile:
    """The user's trained model, a file, and the CSV of points to carry through it."""

    model: str  # a .pt2 (torch.export.save) or TorchScript file; never a torch.save pickle
    csv: str  # the points (userdata.py); the labels in sorted order are the head's outputs 0, 1, ...
    label: str | None = None  # the CSV's label column, by its header's name (None: the last)

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", str(self.model))
        object.__setattr__(self, "csv", str(self.csv))


@dataclass(frozen=True)
class NetConfig:
    in_dim: int = 2  # dimension of the data (the data's own, once it is known)
    layers: int = 4  # number of hidden layers (0: the classifier acts on the raw data)
    width: int = 2  # units per dense hidden layer
    activation: str = "tanh"  # a key of ACTIVATIONS, for the dense layers
    # The type of each hidden layer (LAYER_TYPES), or one type for all; () means all dense.
    # A residual block x + f(x) and a neural ODE's field f are Linear(D, width) - tanh -
    # Linear(width, D) on the dimension D they carry.
    layer_types: tuple[str, ...] = ()
    anchors: int = 8  # vector-field layers: Gaussians per layer, centred on training points
    field_width: float = 0.5  # vector-field layers: their initial standard deviation
    learn_widths: bool = True  # vector-field layers: train the widths too (else fixed)
    augment: int = 0  # ode layers: zeros appended to the state each integrates (ANODE)

    def __post_init__(self) -> None:
        # one type as a word, as the API's keyword reads naturally (layer_types="ode")
        types = (self.layer_types,) if isinstance(self.layer_types, str) else tuple(self.layer_types)
        object.__setattr__(self, "layer_types", types)
        in_range("layers", self.layers)
        in_range("width", self.width)
        one_of("activation", self.activation, ACTIVATIONS)
        for t in self.layer_types:
            one_of("layer_types", t, LAYER_TYPES)
        if len(self.layer_types) not in (0, 1, self.layers):
            raise ConfigError("layer_types", None, f"given {len(self.layer_types)} times: give it "
                              f"once (all layers) or once per layer (layers {self.layers})")
        in_range("anchors", self.anchors)
        in_range("field_width", self.field_width)
        in_range("in_dim", self.in_dim)
        if self.layers and max(self.dims(augment=0)[1:]) > MAX_DIM:  # these steps keep their input's width
            raise ConfigError("in_dim", self.in_dim, f"a vector-field, residual or ode layer keeps the data's "
                              f"dimension; the videos show representations of up to {MAX_DIM} (a dense first "
                              "layer narrows it)")
        self._check_augment()

    def _check_augment(self) -> None:
        """augment: a whole number; with an ode layer, 0 up to what keeps every state at most
        MAX_DIM wide (MAX_DIM - d for one ode layer given d dimensions); without one, 0."""
        k = self.augment
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            in_range("augment", k)  # says what it must be
        k = int(k)  # numbers of any integer type, kept as a Python int
        object.__setattr__(self, "augment", k)
        if "ode" not in self.types():
            in_range("augment", k)
            if k:
                has = ", ".join(dict.fromkeys(self.types())) or "no hidden layer"
                raise ConfigError("augment", k, "is for ode layers (zeros appended to the state they "
                                  f"integrate); this network has none ({has}), so only 0 is valid")
            return
        top = max(j for j in range(RANGES["augment"][1] + 1) if max(self.dims(augment=j)) <= MAX_DIM)
        if not 0 <= k <= top:
            raise ConfigError("augment", k, f"must be between 0 and {top}" + (
                "" if top == RANGES["augment"][1] else f" here (an ode layer's state, its input and the "
                f"zeros, is at most {MAX_DIM} wide)"))

    def types(self) -> tuple[str, ...]:
        """The type of every hidden layer: (layers,)."""
        t = self.layer_types or ("dense",)
        return t * self.layers if len(t) == 1 else t

    def dims(self, augment: int | None = None) -> list[int]:
        """Dimension of every representation, input first: a dense layer has `width` units, a
        vector-field step and a residual block keep the dimension they are given, an ode layer
        adds `augment` to it (this config's, or the one given)."""
        k = self.augment if augment is None else augment
        dims = [self.in_dim]
        for t in self.types():
            dims.append(self.width if t == "dense" else dims[-1] + (k if t == "ode" else 0))
        return dims


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 3000  # full-batch optimiser steps per restart
    lr: float = 0.02  # Adam learning rate
    identity_l2: float = 1e-3  # weight of sum ||W - I||^2 pulling hidden layers to the identity
    restarts: int = 4  # independent initialisations at most; the best run is kept
    # Restarts stop early once a run reaches this training accuracy (1.0: perfect fit).
    good_enough: float = 1.0
    snapshot_every: int = 50  # record all parameters every this many steps (for training figures)
    init_scale: float = 0.5  # std of the noise added to the identity at initialisation
    contractive: float = 0.0  # weight of the contractive penalty (mean ||J_l||_F^2 at the data)
    # Vector-field steps and residual blocks: weight of the penalty mean relu(||J_F||_F - lipschitz_target)^2 at the
    # points each step acts on, which keeps x + F(x) invertible there (0: let the steps fold).
    lipschitz: float = 10.0
    lipschitz_target: float = 0.9

    def __post_init__(self) -> None:
        for name in ("steps", "restarts", "snapshot_every", "lr", "identity_l2", "init_scale",
                     "contractive", "lipschitz", "lipschitz_target", "good_enough"):
            in_range(name, getattr(self, name))


@dataclass(frozen=True)
class GridConfig:
    """A sweep's axes as the command writes them: lists and ranges ("1-8", "2,3", "tanh,relu")."""

    layers: str = "1-4"  # depths
    width: str = str(NetConfig.width)  # units per dense layer
    activation: str = NetConfig.activation  # of the dense layers
    layer_type: str = "dense"  # of every hidden layer (LAYER_TYPES)
    augment: str = str(NetConfig.augment)  # zeros appended by ode layers, like 0,1 (other types: 0 only)
    seeds: str = "0-2"  # of the data and the initialisations


@dataclass(frozen=True)
class KnnStudy:
    """`nntopo knn`: softmax against k-NN on the digits."""

    seeds: int = 3  # seeds 0 ... N-1: the spread of the errors
    epochs: int = 30  # training epochs per network
    ks: str = "1,5,15"  # the k of the test-time k-NN, comma-separated


@dataclass(frozen=True)
class RenderOptions:
    quality: str = "low"  # a key of QUALITIES
    fps: int | None = None  # frames per second; None takes the quality's default
    verbose: bool = False  # show manim's own logging
    format: str = "mp4"  # one of FORMATS
    transparent: bool = False  # no background: an alpha channel (webm and png only)
    all_frames: bool = False  # png only: every frame into a folder, not just the last
    background: str = "light"  # one of BACKGROUNDS; "transparent" is transparent=True
    aspect: str = "16:9"  # a key of ASPECTS: the frame's shape (the height is kept)
    loop: bool = False  # end by rewinding to the first frame, so the video loops seamlessly
    overlay: bool = False  # show each stage's measured numbers (nntopo inspect) as it plays
    scene: str = "layers"  # one of SCENES; "training" needs a recording with snapshots
    view: str = "3d"  # a key of VIEWS: a representation wider than this is projected to it
    jobs: int | None = None  # processes drawing the frames; None: one per core (drawers.jobs_for)

    def __post_init__(self) -> None:
        one_of("quality", self.quality, QUALITIES)
        one_of("format", self.format, FORMATS)
        one_of("background", self.background, BACKGROUNDS)
        one_of("aspect", self.aspect, ASPECTS)
        one_of("scene", self.scene, SCENES)
        one_of("view", self.view, VIEWS)
        if self.overlay and self.scene != "layers":
            raise ConfigError("overlay", None, "shows each stage's numbers: only with scene layers")
        if self.fps is not None:
            in_range("fps", self.fps)
        if self.jobs is not None:
            in_range("jobs", self.jobs)
        if self.background == "transparent":
            object.__setattr__(self, "transparent", True)
        if self.transparent and self.format not in ("webm", "png"):
            raise ConfigError("transparent", None, f"{self.format} has no alpha channel; use format "
                              "webm or png")
        if self.all_frames and self.format != "png":
            raise ConfigError("all_frames", None, "only with format png")

    @property
    def theme(self) -> str:
        """The palette: dark ink on white ("light"), or light ink on near-black ("dark")."""
        return "dark" if self.background == "dark" else "light"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels: the quality's height, the aspect's width, both even."""
        height = QUALITIES[self.quality][1]
        return 2 * round(height * ASPECTS[self.aspect] / 2), height

    @property
    def frame_rate(self) -> int:
        return self.fps or QUALITIES[self.quality][2]
