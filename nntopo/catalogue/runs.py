"""A figure's recipes: each run's data, network, training, seed and scene (Run, or KnnRun for a
conv net on digits), hashed into the key of its cached recording, and the Figure that holds the
runs with the claim its numbers must show.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..config import DataConfig, NetConfig, TrainConfig
from ..data.datasets import dim_of
from ..recording import FORMAT_VERSION
from ..version import __version__

CACHE_VERSION = 2  # 2: recordings measure whether every layer is a homeomorphism

# What a run's part of the video shows: every layer's stages (the render's "layers" scene), the
# input plane only, the last representation while it trains; a conv net's representation of digits
RUN_SCENES = ("layers", "input", "training", "knn")


@dataclass(frozen=True)
class Run:
    dataset: str  # a name of datasets.NAMES (synthetic or real)
    layers: int  # hidden layers
    width: int  # units per hidden layer
    seed: int = 0  # seed of the data and the initialisations
    train: TrainConfig = field(default_factory=TrainConfig)  # the training recipe
    scene: str = "layers"  # one of RUN_SCENES
    title: str = ""  # title card before this run, in a figure of several runs
    points: int = DataConfig.points  # data points per class (a real dataset's training points, at most)
    heat: bool = True  # draw the classification heat map
    stage_seconds: float = 1.2  # seconds per stage (linear, translate, activate)
    overlay: bool = False  # show each stage's measured numbers (nntopo inspect) as it plays
    layer_type: str = "dense"  # of every hidden layer: "dense" (tanh), "vector-field", "residual" or "ode"
    anchors: int = NetConfig.anchors  # vector-field layers: Gaussians per step
    augment: int = 0  # ode layers: zeros appended to the state (an augmented neural ODE)

    def net(self) -> NetConfig:
        return NetConfig(dim_of(self.dataset), self.layers, self.width, "tanh",
                         (self.layer_type,), self.anchors, augment=self.augment)

    def data(self) -> DataConfig:
        return DataConfig(self.dataset, points=self.points, seed=self.seed)

    def key(self) -> str:
        """A hash of everything that decides the recording: the cache file's name."""
        recipe = asdict(self)
        recipe = {k: recipe[k] for k in ("dataset", "layers", "width", "seed", "train", "points",
                                         "layer_type", "anchors", "augment")}
        # (drawing options - scene, title, heat, timing, overlay - do not change the recording)
        recipe["versions"] = [__version__, FORMAT_VERSION, CACHE_VERSION]
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]

    def work(self) -> int:
        """Units of progress training reports: optimiser steps over all restarts."""
        return self.train.restarts * self.train.steps


@dataclass(frozen=True)
class KnnRun:
    """A small conv net on real digits with a 2-unit representation, drawn while it trains."""

    dataset: str  # a key of knn.DIGITS
    loss: str  # "knn" (the essay's k-NN loss) or "softmax"
    seed: int = 0  # seed of the initialisation and the batches
    epochs: int = 120  # passes over the training images
    title: str = ""  # title card before this run
    points: int = 50  # held-out images per class drawn
    scene: str = "knn"

    def config(self):
        """The knn.KnnConfig of this run."""
        from ..knn import KnnConfig

        return KnnConfig(epochs=self.epochs, rep_dim=2)

    def key(self) -> str:
        from ..knn import FORMAT_VERSION as TRAJECTORY_FORMAT

        recipe = {"run": asdict(self), "config": asdict(self.config()),
                  "versions": [__version__, TRAJECTORY_FORMAT]}
        recipe["run"].pop("title")
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]

    def work(self) -> int:
        return self.epochs


@dataclass(frozen=True)
class Figure:
    name: str
    claim: str  # the essay's claim, as `nntopo figures` lists it
    runs: tuple[Run | KnnRun, ...]
    check: Callable[[list], bool]  # the runs' metrics (recording.Metrics, knn's dicts) -> does the claim hold?
