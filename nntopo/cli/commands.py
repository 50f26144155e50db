"""The `nntopo` command: thin Typer commands, each parsing its options into the config objects
(which check them), calling the one library function the Python API calls too (api.py) and
printing what it made.

Nothing heavy is imported here: torch, manim, av, scikit-learn and ripser load inside the
functions that use them, so `--help`, `datasets`, `figures` and every refused option answer at
once. Errors are one line (console.OneLineErrors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import api
from ..catalogue.figures import FIGURES
from ..config import DataConfig, GridConfig, KnnStudy, RenderOptions, TrainConfig, check_kinds
from ..deck import QUALITY as DECK_QUALITY
from ..data.datasets import DATASETS, REAL
from ..errors import NntopoError
from .console import Bars, OneLineErrors, say
from .options import (NET, RENDER, TRAIN, ActivationName, ActOpt, AnchorsOpt, Aspect, AugmentOpt, AspectOpt, Background,
                      BackgroundOpt, ClassesOpt, DataOpt, LabelOpt, DatasetName, FieldWidthOpt, FigureName, FixedWidthsOpt,
                      Format, FormatOpt, FpsOpt, FramesOpt, JobsOpt, KnnDataset, LayersOpt, LayerTypeOpt, LoopOpt, ModelOpt,
                      NoOverwriteOpt, OverlayOpt, Per, PointsOpt, Quality, QualityOpt, Scene, SceneOpt, SeedOpt,
                      StepsOpt, TransparentOpt, VerboseOpt, View, ViewOpt, WidthOpt, name_of, net_config,
                      output_path, render_options, source_of)

app = typer.Typer(
    cls=OneLineErrors,
    help="Train small networks on the datasets of Olah's 'Neural Networks, Manifolds, and "
    "Topology' and render what every layer does to the plane.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
@app.command()
def datasets() -> None:
    """List the datasets, one line each: the synthetic ones (sampled afresh), then the real ones
    (shipped inside packages; tested on a held-out part)."""
    for d in DATASETS.values():
        typer.echo(f"{d.name:<14}{d.dim:>4}D  {d.summary}")
    for r in REAL.values():
        extra = f" (pip install 'nntopo[{r.extra}]')" if r.extra else ""
        typer.echo(f"{r.name:<14}{r.dim:>4}D  {r.summary}; {r.classes} classes, {r.size:,} points{extra}")


@app.command()
def train(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Which dataset (or --data).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Recording to write (.npz).")] = None,
    data: DataOpt = None, label: LabelOpt = None, layers: LayersOpt = NET.layers, width: WidthOpt = NET.width,
    activation: ActOpt = ActivationName[NET.activation], layer_type: LayerTypeOpt = None,
    anchors: AnchorsOpt = NET.anchors, field_width: FieldWidthOpt = NET.field_width,
    fixed_widths: FixedWidthsOpt = not NET.learn_widths, augment: AugmentOpt = NET.augment, seed: SeedOpt = DataConfig.seed,
    steps: StepsOpt = TRAIN.steps, points: PointsOpt = DataConfig.points, classes: ClassesOpt = None,
) -> None:
    """Train a network and write its recording (.npz) without rendering."""
    from ..atomic import check_output

    source = source_of(dataset, data, points=points, classes=classes, seed=seed, offered=("dataset", "data"),
                       label=label)
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the recording (.npz)")
    check_output(output, ".npz")
    net = net_config(layers, width, activation, layer_type, anchors, field_width, fixed_widths, augment)
    with Bars(source.name) as bars:
        rec = api.train(source, net, TrainConfig(steps=steps), progress=bars.advance, on_start=bars.start,
                        say=say, child=True)
    typer.echo(rec.save(output))


@app.command()
def render(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Dataset to train on (omit with --from).")] = None,
    layers: LayersOpt = NET.layers, width: WidthOpt = NET.width, activation: ActOpt = ActivationName[NET.activation],
    layer_type: LayerTypeOpt = None, anchors: AnchorsOpt = NET.anchors, field_width: FieldWidthOpt = NET.field_width,
    fixed_widths: FixedWidthsOpt = not NET.learn_widths, augment: AugmentOpt = NET.augment, seed: SeedOpt = DataConfig.seed,
    steps: StepsOpt = TRAIN.steps, points: PointsOpt = DataConfig.points, classes: ClassesOpt = None,
    data: DataOpt = None, label: LabelOpt = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="Render this recording instead of training.")] = None,
    quality: QualityOpt = Quality[RENDER.quality], fps: FpsOpt = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write (default renders/NAME.mp4).")] = None,
    fmt: FormatOpt = Format[RENDER.format], background: BackgroundOpt = Background[RENDER.background],
    transparent: TransparentOpt = RENDER.transparent, all_frames: FramesOpt = RENDER.all_frames,
    aspect: AspectOpt = Aspect[RENDER.aspect], loop: LoopOpt = RENDER.loop, no_overwrite: NoOverwriteOpt = False,
    verbose: VerboseOpt = RENDER.verbose, overlay: OverlayOpt = RENDER.overlay, model: ModelOpt = None,
    scene: SceneOpt = Scene[RENDER.scene], view: ViewOpt = View[RENDER.view], jobs: JobsOpt = RENDER.jobs,
) -> None:
    """Train (or load, or read your --model), then render the layer-by-layer video and print its
    path.

    Videos get a poster beside them: their last frame as NAME.png.
    """
    source = source_of(dataset, data, from_file, model, points, classes, seed, label=label)
    opts = render_options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop, overlay,
                          scene, view, jobs)
    net = net_config(layers, width, activation, layer_type, anchors, field_width, fixed_widths, augment)
    training = TrainConfig(steps=steps)  # every option checked before the default folder is made
    if isinstance(source, DataConfig):
        check_kinds(opts.scene, net.types())  # (api.render checks it too, for its own callers)
    output = output_path(output, name_of(dataset, data, from_file, model), "renders", opts)
    with Bars(output.name) as bars:
        api.render(source, output, opts, bars.advance, net=net, training=training,
                   on_start=bars.start, say=say, child=True, no_overwrite=no_overwrite)
    typer.echo(output)


@app.command()
def knn(
    dataset: Annotated[KnnDataset, typer.Argument(help="mnist5k, digits, or all.")] = KnnDataset["all"],
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds 0..N-1: the spread of the errors.")] = KnnStudy.seeds,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs per network.")] = KnnStudy.epochs,
    ks: Annotated[str, typer.Option("--k", help="Comma-separated k of the test-time k-NN.")] = KnnStudy.ks,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the full results as JSON.")] = None,
    md_out: Annotated[Optional[Path], typer.Option("--markdown", help="Also write the table as Markdown.")] = None,
) -> None:
    """Softmax vs k-NN on real digits: test-time k-NN on a softmax net, and a net trained for k-NN.

    Prints the Markdown table: test error in %, mean over seeds [min-max].
    """
    with Bars("conv nets") as bars:
        table = api.knn(dataset.value, seeds, epochs, ks, json_out, md_out, bars.advance, bars.start)
    typer.echo(table, nl=False)


@app.command("inspect")
def inspect_recording(
    path: Annotated[Path, typer.Argument(help="A recording made by `nntopo train`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead.")] = False,
) -> None:
    """Per layer and stage: det W, homeomorphism, linear separability, Betti numbers, stretch."""
    from ..analysis import report
    from ..analysis.inspect import inspect
    from ..recording import load

    rep = inspect(load(path))
    if as_json:
        typer.echo(report.as_json(rep))
    else:
        report.print_table(rep, path)


@app.command("slides")
def slides(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Dataset to train on (or --from, --figure).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="The deck: .pptx (PowerPoint), .html (reveal.js, offline) or .pdf (a handout).")] = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="Make the deck of this recording.")] = None,
    figure: Annotated[Optional[FigureName], typer.Option("--figure", help="Make the deck of a figure of the catalogue.")] = None,
    per: Annotated[Per, typer.Option("--per", help="A slide per stage (W, +b, activation) or per layer.")] = Per["stage"],
    layers: LayersOpt = NET.layers, width: WidthOpt = NET.width, activation: ActOpt = ActivationName[NET.activation],
    layer_type: LayerTypeOpt = None, anchors: AnchorsOpt = NET.anchors, field_width: FieldWidthOpt = NET.field_width,
    fixed_widths: FixedWidthsOpt = not NET.learn_widths, augment: AugmentOpt = NET.augment, seed: SeedOpt = DataConfig.seed,
    steps: StepsOpt = TRAIN.steps, points: PointsOpt = DataConfig.points, classes: ClassesOpt = None,
    data: DataOpt = None, label: LabelOpt = None, model: ModelOpt = None,
    quality: Annotated[Quality, typer.Option(
        "--quality", help="The clips' size: low 480p15, medium 720p30 (default), high 1080p60.")] = Quality[DECK_QUALITY],
    fps: FpsOpt = None, background: BackgroundOpt = Background[RENDER.background], view: ViewOpt = View[RENDER.view],
    verbose: VerboseOpt = RENDER.verbose, jobs: JobsOpt = RENDER.jobs,
) -> None:
    """Make a deck for a talk: the layer-by-layer video cut at every stage, a clip per slide that
    plays when the slide opens, each stage's numbers as speaker notes; print its path."""
    source = source_of(dataset, data, from_file, model, points, classes, seed, figure,
                       ("dataset", "data", "from_file", "figure"), label)
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the deck (.pptx, .html or .pdf)")
    opts = RenderOptions(quality.value, fps, verbose, view=view.value, jobs=jobs)
    net = net_config(layers, width, activation, layer_type, anchors, field_width, fixed_widths, augment)
    with Bars(output.name) as bars:
        api.slides(source, output, opts, per.value, bars.advance, net=net, training=TrainConfig(steps=steps),
                   on_start=bars.start, say=say, child=True, background=background.value)
    typer.echo(output)


@app.command("explore")
def explore(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Dataset to train on (or --from, --figure).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="The page (.html; default renders/NAME.html, figures/NAME.html for --figure).")] = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="Explore this recording instead of training.")] = None,
    figure: Annotated[Optional[FigureName], typer.Option("--figure", help="Explore a figure of the catalogue.")] = None,
    layers: LayersOpt = NET.layers, width: WidthOpt = NET.width, activation: ActOpt = ActivationName[NET.activation],
    layer_type: LayerTypeOpt = None, anchors: AnchorsOpt = NET.anchors, field_width: FieldWidthOpt = NET.field_width,
    fixed_widths: FixedWidthsOpt = not NET.learn_widths, augment: AugmentOpt = NET.augment, seed: SeedOpt = DataConfig.seed,
    steps: StepsOpt = TRAIN.steps, points: PointsOpt = DataConfig.points, classes: ClassesOpt = None,
    data: DataOpt = None, label: LabelOpt = None, model: ModelOpt = None,
    quality: QualityOpt = Quality[RENDER.quality], fps: FpsOpt = None,
    background: BackgroundOpt = Background[RENDER.background], aspect: AspectOpt = Aspect[RENDER.aspect],
    overlay: OverlayOpt = RENDER.overlay, view: ViewOpt = View[RENDER.view], scene: SceneOpt = Scene[RENDER.scene],
) -> None:
    """Write the video as one offline page to scrub, play, turn and question (the video's own
    frames: its scene, its quality's frame rate, background, aspect, view, overlay); print its path."""
    source = source_of(dataset, data, from_file, model, points, classes, seed, figure,
                       ("dataset", "data", "from_file", "figure"), label)
    if background.value == "transparent":
        raise NntopoError("--background transparent: a page has a background: light or dark")
    if figure is not None and scene.value != RENDER.scene:
        raise NntopoError(f"--scene {scene.value}: a figure's page shows each run in the figure's own scene")
    opts = RenderOptions(quality.value, fps, background=background.value, aspect=aspect.value, overlay=overlay,
                         view=view.value, scene=scene.value)
    net = net_config(layers, width, activation, layer_type, anchors, field_width, fixed_widths, augment)
    training = TrainConfig(steps=steps)
    if isinstance(source, DataConfig):
        check_kinds(opts.scene, net.types())
    name = figure.value if figure is not None else name_of(dataset, data, from_file, model)
    if output is None:
        output = Path("figures" if figure is not None else "renders") / f"{name}.html"
        output.parent.mkdir(exist_ok=True)
    with Bars(output.name) as bars:
        if figure is not None:
            api.explore(None, output, opts, bars.advance, figure=figure.value, on_start=bars.start)
        else:
            api.explore(source, output, opts, bars.advance, net=net, training=training, on_start=bars.start,
                        say=say, child=True)
    typer.echo(output)


@app.command("sweep")
def sweep_grid(
    datasets: Annotated[Optional[list[DatasetName]], typer.Argument(help="Datasets of the grid (or --data).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Results, one row per cell: .parquet or .csv. Re-running resumes.")] = None,
    layers: Annotated[str, typer.Option("--layers", help="Depths: a list and ranges, like 1-8 or 1,2,4.")] = GridConfig.layers,
    width: Annotated[str, typer.Option("--width", help="Widths, like 2,3.")] = GridConfig.width,
    activation: Annotated[str, typer.Option("--activation", help="Activations, like tanh,relu.")] = GridConfig.activation,
    layer_type: Annotated[str, typer.Option(
        "--layer-type", help="Layer types, like dense,vector-field (each cell's hidden layers are all of one: "
        "dense, vector-field, residual, ode).")] = GridConfig.layer_type,
    augment: Annotated[str, typer.Option(
        "--augment", help="ode cells: zeros appended to the state, like 0,1 (the other cells: 0).")] = GridConfig.augment,
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, like 0-9.")] = GridConfig.seeds,
    steps: StepsOpt = TRAIN.steps, points: PointsOpt = DataConfig.points, classes: ClassesOpt = None, data: DataOpt = None, label: LabelOpt = None,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="A Dask scheduler's address (tcp://host:port); default: a local cluster.")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", help="Processes of the local cluster (default: one per core).")] = None,
    keep: Annotated[Optional[Path], typer.Option("--keep", help="Keep every cell's recording here (KEY.npz).")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Also plot the error by depth (.png, .svg, .pdf).")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Also write the table as Markdown.")] = None,
    summary: Annotated[Optional[Path], typer.Option(
        "--summary", help="Print the table of these results again, computing nothing.")] = None,
) -> None:
    """Train and measure a grid of networks on Dask; one row per cell, tables and plots."""
    if summary is not None:
        from ..studies import results

        typer.echo(results.markdown(results.read(summary)), nl=False)
        return
    with Bars(output.name if output else "sweep") as bars:
        def started(already: int, to_run: int) -> None:
            say(f"{to_run + already} cells: {already} in {output.name} already, {to_run} to run")
            bars.start("sweep", to_run)

        try:
            rows = api.sweep([d.value for d in datasets or []], output, data=data, label=label,
                             layers=layers, width=width, activation=activation, layer_type=layer_type, augment=augment, seeds=seeds,
                             steps=steps, points=points, classes=classes, scheduler=scheduler, workers=workers,
                             keep=keep, markdown=markdown, plot=plot, progress=bars.advance, on_start=started)
        except KeyboardInterrupt:
            bars.close()
            say(f"interrupted: every finished cell is in {output}; run the same command to go on")
            raise
    failed = [r for r in rows if r.get("error") is not None]
    if failed:
        f = failed[0]
        say(f"{len(failed)} cell{'s' if len(failed) > 1 else ''} failed, e.g. {f['dataset']} layers {f['layers']} "
            f"width {f['width']} seed {f['seed']}: {f['error']}")
    typer.echo(output)


@app.command("figures")
def list_figures(
    names: Annotated[bool, typer.Option("--names", help="Print only the names (for make).")] = False,
) -> None:
    """List the essay's figures, each with the claim its video shows."""
    for fig in FIGURES.values():
        typer.echo(fig.name if names else f"{fig.name:<23}{fig.claim}")


@app.command("figure")
def render_figure(
    name: Annotated[FigureName, typer.Argument(help="Which figure (see `nntopo figures`).")],
    quality: QualityOpt = Quality[RENDER.quality], fps: FpsOpt = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Where to write (default figures/NAME.mp4); a video's poster frame "
        "goes beside it as .png.")] = None,
    fmt: FormatOpt = Format[RENDER.format], background: BackgroundOpt = Background[RENDER.background],
    transparent: TransparentOpt = RENDER.transparent, all_frames: FramesOpt = RENDER.all_frames,
    aspect: AspectOpt = Aspect[RENDER.aspect], loop: LoopOpt = RENDER.loop, no_overwrite: NoOverwriteOpt = False,
    verbose: VerboseOpt = RENDER.verbose, view: ViewOpt = View[RENDER.view], jobs: JobsOpt = RENDER.jobs,
) -> None:
    """Render one figure of the essay to an MP4 and a poster PNG; print the video's path.

    Trained recordings are cached in .cache/ beside the video: a re-render does not retrain.
    """
    from ..catalogue import figures

    opts = render_options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop, view=view,
                          jobs=jobs)
    output = output_path(output, name.value, "figures", opts)
    with Bars(name.value) as bars:
        holds = figures.render(name.value, output, opts, bars.advance, bars.advance, bars.start,
                               overwrite=not no_overwrite)
    say(f"{name.value}: the essay's claim {'holds' if holds else 'does NOT hold'} in this run")
    typer.echo(output)


@app.command("gallery")
def gallery(
    folder: Annotated[Path, typer.Argument(help="Where the figures were rendered.")] = Path("figures"),
) -> None:
    """Write FOLDER/index.html: every rendered figure with its poster, claim and numbers."""
    from ..catalogue.gallery import write_gallery

    typer.echo(write_gallery(folder))


def main(argv: list[str] | None = None) -> None:
    """Entry point for `python -m nntopo`."""
    app(args=argv)
