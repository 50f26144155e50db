"""The CLI's options, shared by its commands: fixed choices straight from the registries, each
option's flag and help as a Typer `Annotated` type, its default read from the config objects,
and the few functions that turn parsed options into those objects (which check them)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..nets.activations import ACTIVATIONS
from ..config import (ASPECTS, BACKGROUNDS, FORMATS, LAYER_TYPES, PER, QUALITIES, SCENES, VIEWS, DataConfig, ModelFile,
                      MAX_DIM, NetConfig, RenderOptions, TrainConfig, RANGES, range_text)
from ..errors import NntopoError
from ..data.datasets import DEFAULT_CLASSES, NAMES
from ..catalogue.figures import FIGURES
from ..knn.digits import DIGITS


def _choices(name: str, keys) -> type[enum.Enum]:
    """Fixed choices, straight from a registry."""
    return enum.Enum(name, {k: k for k in keys}, type=str)


DatasetName = _choices("DatasetName", NAMES)
ActivationName = _choices("ActivationName", ACTIVATIONS)
LayerType = _choices("LayerType", LAYER_TYPES)
Quality = _choices("Quality", QUALITIES)
Format = _choices("Format", FORMATS)
Background = _choices("Background", BACKGROUNDS)
Aspect = _choices("Aspect", ASPECTS)
Scene = _choices("Scene", SCENES)
View = _choices("View", VIEWS)
Per = _choices("Per", PER)
FigureName = _choices("FigureName", FIGURES)
KnnDataset = _choices("KnnDataset", [*DIGITS, "all"])

DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", help="Your own points instead of a dataset: a CSV of rows of numbers and a label (the last "
    "column, or --label); a header line names the columns. 1 to 1024 features.")]
LabelOpt = Annotated[Optional[str], typer.Option(
    "--label", help="With --data: the label column, by its name in the header (default: the last column).")]
ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", help="Your own trained network: a .pt2 (torch.export.save) or TorchScript file, "
    "rendered on the points of --data (never a torch.save pickle).")]
LayersOpt = Annotated[int, typer.Option("--layers", help=f"Hidden layers (0: a linear classifier only; {range_text('layers')}).")]
WidthOpt = Annotated[int, typer.Option("--width", help=f"Units per dense hidden layer, and f's hidden units in a residual or ode "
                                      f"layer ({range_text('width')}; wider than 3: projected, see --view).")]
ActOpt = Annotated[ActivationName, typer.Option("--activation", help="Activation of the hidden layers.")]
LayerTypeOpt = Annotated[Optional[list[LayerType]], typer.Option(
    "--layer-type", help="dense (act(W x + b)), vector-field (x + F(x), the essay's proposed layer), "
    "residual (x + f(x), f = Linear-tanh-Linear of hidden width --width) or ode (a neural ODE: the "
    "flow of dy/dt = f(y) over [0, 1], dopri5). Once: every hidden layer; repeated once per layer: "
    "mixed, in order.")]
AugmentOpt = Annotated[int, typer.Option(
    "--augment", help=f"ode layers: zeros appended to the state they integrate (an augmented ODE; "
    f"0 to {MAX_DIM} minus the layer's input dimension).")]
AnchorsOpt = Annotated[int, typer.Option(
    "--anchors", help=f"Vector-field layers: Gaussians per layer, centred on training points ({range_text('anchors')}).")]
FieldWidthOpt = Annotated[float, typer.Option(
    "--field-width", help=f"Vector-field layers: the Gaussians' initial standard deviation ({range_text('field_width')}).")]
FixedWidthsOpt = Annotated[bool, typer.Option(
    "--fixed-widths", help="Vector-field layers: keep the widths fixed (default: learned).")]
SeedOpt = Annotated[int, typer.Option("--seed", help=f"Seed of the data and the initialisations ({range_text('seed')}).")]
StepsOpt = Annotated[int, typer.Option("--steps", help=f"Full-batch training steps per restart ({range_text('steps')}).")]
ClassesOpt = Annotated[Optional[int], typer.Option(
    "--classes", help=f"blobs: how many classes ({range_text('classes')}; default {DEFAULT_CLASSES}). Other "
    f"datasets have their own number; a --data CSV's classes are its labels (up to {RANGES['classes'][1]}).")]
PointsOpt = Annotated[int, typer.Option("--points", help=f"Data points per class ({range_text('points')}; a real "
                                        "dataset: its training points per class, at most).")]
QualityOpt = Annotated[Quality, typer.Option("--quality", help="Size: low 480p15, medium 720p30, high 1080p60, 4k.")]
JobsOpt = Annotated[Optional[int], typer.Option(
    "--jobs", help=f"Processes drawing the frames (default 1: drawn in this process; {range_text('jobs')}).")]
FpsOpt = Annotated[Optional[int], typer.Option("--fps", help=f"Frames per second (default: by quality; {range_text('fps')}).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Show manim's own logging.")]
FormatOpt = Annotated[Format, typer.Option(
    "--format", help="mp4 (H.264, plays everywhere), gif (loops; READMEs), webm (VP9; alpha with "
    "--transparent), png (the last frame; every frame with --frames).")]
BackgroundOpt = Annotated[Background, typer.Option(
    "--background", help="light (white), dark (for dark slides) or transparent (webm, png).")]
TransparentOpt = Annotated[bool, typer.Option(
    "--transparent", help="No background: an alpha channel (webm and png only).")]
FramesOpt = Annotated[bool, typer.Option(
    "--frames", help="With --format png: every frame, into a folder of numbered PNGs.")]
AspectOpt = Annotated[Aspect, typer.Option(
    "--aspect", help="Frame shape: 16:9 (the side panel), 4:3, or 1:1 (numbers under the plot).")]
LoopOpt = Annotated[bool, typer.Option(
    "--loop", help="End by rewinding to the first frame, so the video loops seamlessly.")]
NoOverwriteOpt = Annotated[bool, typer.Option(
    "--no-overwrite", help="Refuse to replace an existing output (default: replace atomically).")]
SceneOpt = Annotated[Scene, typer.Option(
    "--scene", help="layers (every layer's stages) or training (the last representation while the "
    "network trains: needs a recording with training snapshots, hidden layers of width 2).")]
ViewOpt = Annotated[View, typer.Option(
    "--view", help="How a representation wider than the picture is seen: 3d (projected to 3 "
    "dimensions, a turning camera) or 2d (projected to the plane); the projection ends on the "
    "classifier's normal.")]
OverlayOpt = Annotated[bool, typer.Option("--overlay", help="Show each stage's numbers (as `nntopo inspect`).")]


NET, TRAIN, RENDER = NetConfig(), TrainConfig(), RenderOptions()  # the defaults (DataConfig's: its fields)


def net_config(layers, width, activation, layer_type, anchors, field_width, fixed_widths,
               augment=NetConfig.augment) -> NetConfig:
    return NetConfig(NET.in_dim, layers, width, activation.value, tuple(t.value for t in layer_type or ()),
                     anchors, field_width, not fixed_widths, augment)


def render_options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop=RENDER.loop,
                   overlay=RENDER.overlay, scene=None, view=None, jobs=RENDER.jobs) -> RenderOptions:
    return RenderOptions(quality.value, fps, verbose, fmt.value, transparent, all_frames, background.value,
                         aspect.value, loop, overlay, scene.value if scene else RENDER.scene,
                         view.value if view else RENDER.view, jobs)


def source_of(dataset, data: Path | None, from_file: Path | None = None, model: Path | None = None,
              points: int = DataConfig.points, classes: int | None = None, seed: int = DataConfig.seed, figure=None,
              offered: tuple[str, ...] = ("dataset", "data", "from_file"), label: str | None = None):
    """What a command works on, from its options: exactly one of those it `offered` (a DATASET,
    --data, --from, --figure); --model takes --data as its points."""
    if model is not None and data is None:
        raise NntopoError("--model needs --data: the points (a CSV of features and a label) to carry through it")
    if label is not None and data is None:
        raise NntopoError("--label names the label column of a --data CSV; give --data")
    given = {"dataset": dataset, "data": data, "from_file": from_file, "figure": figure}
    if sum(given[k] is not None for k in offered) != 1:
        names = [{"dataset": "a DATASET", "data": "--data CSV", "from_file": "--from RECORDING",
                  "figure": "--figure NAME"}[k] for k in offered]
        raise NntopoError("give exactly one of " + ", ".join(names[:-1]) + f" or {names[-1]}")
    if from_file is not None:
        return from_file
    if figure is not None:
        return figure.value
    if model is not None:
        DataConfig(csv=str(data), classes=classes)  # the rule for --classes on a CSV, said once
        return ModelFile(str(model), str(data), label)
    if data is not None:
        return DataConfig(csv=str(data), label=label, points=points, classes=classes, seed=seed)
    return DataConfig(dataset.value, points=points, classes=classes, seed=seed)


def output_path(output: Path | None, name: str, folder: str, opts: RenderOptions) -> Path:
    """The output path: as given, or folder/NAME.ext (a folder of frames with --frames)."""
    if output is not None:
        return output
    output = Path(folder) / (name if opts.all_frames else f"{name}.{opts.format}")
    output.parent.mkdir(exist_ok=True)
    return output


def name_of(dataset, data: Path | None, from_file: Path | None, model: Path | None) -> str:
    return dataset.value if dataset is not None else (model or data or from_file).stem
