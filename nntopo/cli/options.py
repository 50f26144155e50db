"""The CLI's options, shared by its commands: fixed choices straight from the registries, and each
option's flag and help as a Typer `Annotated` type. Their ranges are checked by the config objects."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..nets.activations import ACTIVATIONS
from ..config import ASPECTS, BACKGROUNDS, FORMATS, LAYER_TYPES, QUALITIES, SCENES, VIEWS, PER, range_text
from ..data.datasets import DATASETS
from ..catalogue.figures import FIGURES
from ..knn.digits import DIGITS


def _choices(name: str, keys) -> type[enum.Enum]:
    """Fixed choices, straight from a registry."""
    return enum.Enum(name, {k: k for k in keys}, type=str)


DatasetName = _choices("DatasetName", DATASETS)
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
    "--data", help="Your own points instead of a dataset: a CSV of x, y[, z], label rows.")]
ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", help="Your own trained network: a .pt2 (torch.export.save) or TorchScript file, "
    "rendered on the points of --data (never a torch.save pickle).")]
LayersOpt = Annotated[int, typer.Option("--layers", help=f"Hidden layers (0: a linear classifier only; {range_text('layers')}).")]
WidthOpt = Annotated[int, typer.Option("--width", help=f"Units per hidden layer ({range_text('width')}; wider than 3: projected, see --view).")]
ActOpt = Annotated[ActivationName, typer.Option("--activation", help="Activation of the hidden layers.")]
LayerTypeOpt = Annotated[Optional[list[LayerType]], typer.Option(
    "--layer-type", help="dense (act(W x + b)) or vector-field (x + F(x), the essay's proposed "
    "layer). Once: every hidden layer; repeated once per layer: mixed, in order.")]
AnchorsOpt = Annotated[int, typer.Option(
    "--anchors", help=f"Vector-field layers: Gaussians per layer, centred on training points ({range_text('anchors')}).")]
FieldWidthOpt = Annotated[float, typer.Option(
    "--field-width", help=f"Vector-field layers: the Gaussians' initial standard deviation ({range_text('field_width')}).")]
FixedWidthsOpt = Annotated[bool, typer.Option(
    "--fixed-widths", help="Vector-field layers: keep the widths fixed (default: learned).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the data and the initialisations (0 to 2^32-1).")]
StepsOpt = Annotated[int, typer.Option("--steps", help=f"Full-batch training steps per restart ({range_text('steps')}).")]
ClassesOpt = Annotated[Optional[int], typer.Option(
    "--classes", help=f"blobs: how many classes ({range_text('classes')}; default 3). Other datasets "
    "have their own number; a --data CSV's classes are its labels (up to 10).")]
PointsOpt = Annotated[int, typer.Option("--points", help=f"Data points per class ({range_text('points')}).")]
QualityOpt = Annotated[Quality, typer.Option("--quality", help="Size: low 480p15, medium 720p30, high 1080p60, 4k.")]
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


