"""The `nntopo` command: thin Typer commands, each parsing its options into the config objects
(which check them), calling one library function and printing what it made.

Nothing heavy is imported here: torch, manim, av, scikit-learn and ripser load inside the
commands that use them, so `--help`, `datasets`, `figures` and every refused option answer at
once. Errors are one line (console.OneLineErrors).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import NetConfig, RenderOptions, TrainConfig, check_points, check_seed
from .console import Bars, OneLineErrors, bar, say
from ..data.datasets import DATASETS
from ..errors import NntopoError
from ..catalogue.figures import FIGURES
from ..knn.digits import DIGITS
from .options import (ActivationName, ActOpt, AnchorsOpt, Aspect, AspectOpt, Background, BackgroundOpt, ClassesOpt,
                      DataOpt, DatasetName, FieldWidthOpt, FigureName, FixedWidthsOpt, Format, FormatOpt,
                      FpsOpt, FramesOpt, KnnDataset, LayersOpt, LayerTypeOpt, LoopOpt, ModelOpt, NoOverwriteOpt,
                      OverlayOpt, PointsOpt, Quality, QualityOpt, Scene, SceneOpt, SeedOpt, StepsOpt, TransparentOpt,
                      VerboseOpt, View, ViewOpt, WidthOpt, Per)

app = typer.Typer(
    cls=OneLineErrors,
    help="Train small networks on the datasets of Olah's 'Neural Networks, Manifolds, and "
    "Topology' and render what every layer does to the plane.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _net(layers, width, activation, layer_type, anchors, field_width, fixed_widths,
         in_dim: int = 2) -> NetConfig:
    return NetConfig(in_dim, layers, width, activation.value, tuple(t.value for t in layer_type or ()),
                     anchors, field_width, not fixed_widths)


def _training(steps: int, seed: int, points: int) -> TrainConfig:
    check_seed(seed)
    check_points(points)
    return TrainConfig(steps=steps)


def _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop=False,
             overlay=False, scene=None, view=None) -> RenderOptions:
    return RenderOptions(quality.value, fps, verbose, fmt.value, transparent, all_frames,
                         background.value, aspect.value, loop, overlay, scene.value if scene else "layers",
                         view.value if view else "3d")


def _output(output: Path | None, name: str, folder: str, opts: RenderOptions, no_overwrite: bool) -> Path:
    """The output path (default folder/NAME.ext, or a folder for --frames), checked before work."""
    from ..atomic import check_output

    if output is None:
        output = Path(folder) / (name if opts.all_frames else f"{name}.{opts.format}")
        output.parent.mkdir(exist_ok=True)
    return check_output(output, f".{opts.format}", not no_overwrite, folder=opts.all_frames)


def _points(data: Path | None):
    """The user's CSV points, read and checked once (None without --data)."""
    if data is None:
        return None
    from ..data.userdata import load_points

    return load_points(data)


def _train(dataset, data: Path | None, net: NetConfig, cfg: TrainConfig, seed: int, points: int, pts=None,
           classes: int | None = None):
    """Train on a dataset of the registry or on the user's CSV points (pts: the file, already
    read), with a progress bar; in a child process, so that a render after it does not carry torch."""
    from ..training.child import record_apart

    pts = pts or _points(data)  # a bad file is refused before the bar appears
    name = dataset.value if dataset is not None else data.name
    with bar(f"training {name}", cfg.restarts * cfg.steps) as advance:
        if data is not None:
            rec = record_apart("csv", advance, path=data, net_cfg=net, cfg=cfg, seed=seed, points=pts)
        else:
            net = replace(net, in_dim=DATASETS[dataset.value].dim)
            rec = record_apart("dataset", advance, dataset=dataset.value, net_cfg=net, cfg=cfg,
                               seed=seed, n_per_class=points, classes=classes)
    m = rec.meta["metrics"]
    say(f"training accuracy {100 * m['train_accuracy']:.1f}% (restart {m['restart'] + 1})")
    return rec


def _recording(dataset, data: Path | None, from_file: Path | None, model: Path | None, train):
    """The recording a command works on: loaded (--from), of the user's --model on --data, or
    trained by train() (a dataset, or --data alone)."""
    if from_file is not None:
        from ..recording import load

        return load(from_file)
    if model is not None:
        from ..training.child import record_apart
        from ..yourmodel.read import file_kind

        file_kind(model)  # a file that is no model, or a pickle, is refused before torch loads
        return record_apart("model", model=model, data=data)
    return train()


def _classes(dataset, data: Path | None, classes: int | None) -> int:
    """How many classes a built-in dataset gives (checked before training); --classes is only for
    datasets of any number of classes (blobs)."""
    from ..data.datasets import classes_of

    if data is not None and classes is not None:
        raise NntopoError("--classes is for the blobs dataset; a --data CSV's classes are its labels")
    return classes_of(dataset.value, classes) if dataset is not None else 2


def _one_source(**given) -> None:
    if sum(v is not None for v in given.values()) != 1:
        names = {"dataset": "a DATASET", "data": "--data CSV", "from_file": "--from RECORDING",
                 "figure": "--figure NAME"}
        raise NntopoError("give exactly one of " + ", ".join(names[k] for k in list(given)[:-1])
                          + f" or {names[list(given)[-1]]}")


@app.command()
def datasets() -> None:
    """List the datasets, one line each."""
    for d in DATASETS.values():
        typer.echo(f"{d.name:<14}{d.dim}D  {d.summary}")


@app.command()
def train(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Which dataset (or --data).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Recording to write (.npz).")] = None,
    data: DataOpt = None, layers: LayersOpt = 4, width: WidthOpt = 2,
    activation: ActOpt = ActivationName["tanh"], layer_type: LayerTypeOpt = None,
    anchors: AnchorsOpt = 8, field_width: FieldWidthOpt = 0.5, fixed_widths: FixedWidthsOpt = False,
    seed: SeedOpt = 0, steps: StepsOpt = 3000, points: PointsOpt = 250, classes: ClassesOpt = None,
) -> None:
    """Train a network and write its recording (.npz) without rendering."""
    from ..atomic import check_output

    _one_source(dataset=dataset, data=data)
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the recording (.npz)")
    net = _net(layers, width, activation, layer_type, anchors, field_width, fixed_widths)
    cfg = _training(steps, seed, points)
    check_output(output, ".npz")
    _classes(dataset, data, classes)
    typer.echo(_train(dataset, data, net, cfg, seed, points, classes=classes).save(output))


@app.command()
def render(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Dataset to train on (omit with --from).")] = None,
    layers: LayersOpt = 4, width: WidthOpt = 2, activation: ActOpt = ActivationName["tanh"],
    layer_type: LayerTypeOpt = None, anchors: AnchorsOpt = 8, field_width: FieldWidthOpt = 0.5,
    fixed_widths: FixedWidthsOpt = False, seed: SeedOpt = 0, steps: StepsOpt = 3000,
    points: PointsOpt = 250, classes: ClassesOpt = None, data: DataOpt = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="Render this recording instead of training.")] = None,
    quality: QualityOpt = Quality["low"], fps: FpsOpt = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write (default renders/NAME.mp4).")] = None,
    fmt: FormatOpt = Format["mp4"], background: BackgroundOpt = Background["light"],
    transparent: TransparentOpt = False, all_frames: FramesOpt = False, aspect: AspectOpt = Aspect["16:9"],
    loop: LoopOpt = False, no_overwrite: NoOverwriteOpt = False, verbose: VerboseOpt = False,
    overlay: OverlayOpt = False, model: ModelOpt = None, scene: SceneOpt = Scene["layers"],
    view: ViewOpt = View["3d"],
) -> None:
    """Train (or load, or read your --model), then render the layer-by-layer video and print its
    path.

    Videos get a poster beside them: their last frame as NAME.png.
    """
    if model is not None and data is None:
        raise NntopoError("--model needs --data: the points (a CSV of x, y[, z], label rows) to carry through it")
    _one_source(dataset=dataset, data=data, from_file=from_file)
    opts = _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop, overlay,
                    scene, view)
    if from_file is None and model is None:
        net = _net(layers, width, activation, layer_type, anchors, field_width, fixed_widths)
        cfg = _training(steps, seed, points)
    name = dataset.value if dataset is not None else (model or data or from_file).stem
    output = _output(output, name, "renders", opts, no_overwrite)
    n_classes = _classes(dataset, data, classes)
    pts = _points(data)
    if dataset is not None or pts is not None:  # refused before minutes of training, not after
        from ..config import check_scene
        from ..video.memory import check_memory

        in_dim = DATASETS[dataset.value].dim if pts is None else pts.X.shape[1]
        dims = replace(net, in_dim=in_dim).dims() if model is None else [in_dim]  # the model's: not read yet
        if model is None:
            check_scene(opts.scene, dims)
        check_memory(opts, n_classes * points if pts is None else len(pts.X), max(dims), len(dims) - 1)
    rec = _recording(dataset, data, from_file, model,
                     lambda: _train(dataset, data, net, cfg, seed, points, pts, classes))
    if overlay:
        from ..storyboard.flow import drawable

        drawable(rec)  # a network the video cannot show is refused before the slow measuring starts
        say("measuring every stage for the overlay")
    from ..video import render as render_video

    with Bars(output.name) as bars:
        render_video(rec, output, opts, bars.advance, bars.start)
    typer.echo(output)


@app.command()
def knn(
    dataset: Annotated[KnnDataset, typer.Argument(help="mnist5k, digits, or all.")] = KnnDataset["all"],
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds 0..N-1: the spread of the errors.")] = 3,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs per network.")] = 30,
    ks: Annotated[str, typer.Option("--k", help="Comma-separated k of the test-time k-NN.")] = "1,5,15",
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the full results as JSON.")] = None,
    md_out: Annotated[Optional[Path], typer.Option("--markdown", help="Also write the table as Markdown.")] = None,
) -> None:
    """Softmax vs k-NN on real digits: test-time k-NN on a softmax net, and a net trained for k-NN.

    Prints the Markdown table: test error in %, mean over seeds [min-max].
    """
    from ..atomic import check_output, write_text
    from ..config import in_range

    in_range("seeds", seeds)
    in_range("epochs", epochs)
    try:
        k_list = tuple(int(k) for k in ks.split(","))
    except ValueError:
        raise NntopoError(f"--k {ks}: give whole numbers separated by commas, e.g. 1,5,15") from None
    for k in k_list:
        in_range("k", k)
    for path, suffix in ((json_out, ".json"), (md_out, ".md")):
        if path is not None:
            check_output(path, suffix)
    from .. import knn as knn_lib

    names = list(DIGITS) if dataset.value == "all" else [dataset.value]
    cfg = knn_lib.KnnConfig(epochs=epochs, ks=k_list)
    with bar("training conv nets", len(names) * seeds * 2 * epochs) as advance:
        result = knn_lib.experiment(names, list(range(seeds)), cfg, advance)
    table = knn_lib.markdown(result)
    typer.echo(table, nl=False)
    if json_out is not None:
        import json

        write_text(json_out, json.dumps(result, indent=2) + "\n")
    if md_out is not None:
        write_text(md_out, table)


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
    layers: LayersOpt = 4, width: WidthOpt = 2, activation: ActOpt = ActivationName["tanh"],
    layer_type: LayerTypeOpt = None, anchors: AnchorsOpt = 8, field_width: FieldWidthOpt = 0.5,
    fixed_widths: FixedWidthsOpt = False, seed: SeedOpt = 0, steps: StepsOpt = 3000,
    points: PointsOpt = 250, classes: ClassesOpt = None, data: DataOpt = None, model: ModelOpt = None,
    quality: Annotated[Quality, typer.Option("--quality", help="The clips' size: low 480p15, medium 720p30 (default), high 1080p60.")] = Quality["medium"],
    fps: FpsOpt = None, background: BackgroundOpt = Background["light"], view: ViewOpt = View["3d"],
    verbose: VerboseOpt = False,
) -> None:
    """Make a deck for a talk: the layer-by-layer video cut at every stage, a clip per slide that
    plays when the slide opens, each stage's numbers as speaker notes; print its path."""
    from .. import deck
    from ..atomic import check_output

    if model is not None and data is None:
        raise NntopoError("--model needs --data: the points (a CSV of x, y[, z], label rows) to carry through it")
    _one_source(dataset=dataset, data=data, from_file=from_file, figure=figure)
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the deck (.pptx, .html or .pdf)")
    check_output(output, deck.SUFFIXES)
    if background.value == "transparent":
        raise NntopoError("--background transparent: a deck's clips are MP4 (no alpha); use light or dark")
    opts = _options(quality, fps, verbose, Format["mp4"], background, False, False, Aspect["16:9"], view=view)
    if figure is not None:
        with Bars(figure.value) as bars:
            parts = deck.figure_parts(figure.value, opts, output.parent / ".cache", bars.advance, bars.start)
    else:
        pts = _points(data)
        _classes(dataset, data, classes)
        if from_file is None and model is None:
            net = _net(layers, width, activation, layer_type, anchors, field_width, fixed_widths)
            cfg = _training(steps, seed, points)
        rec = _recording(dataset, data, from_file, model,
                         lambda: _train(dataset, data, net, cfg, seed, points, pts, classes))
        say("measuring every stage for the notes")
        parts = [deck.part(rec, opts)]
    with Bars(output.name) as bars:
        deck.build(parts, output, opts, per.value, bars.advance, bars.start)
    typer.echo(output)


@app.command("sweep")
def sweep_grid(
    datasets: Annotated[Optional[list[DatasetName]], typer.Argument(help="Datasets of the grid (or --data).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Results, one row per cell: .parquet or .csv. Re-running resumes.")] = None,
    layers: Annotated[str, typer.Option("--layers", help="Depths: a list and ranges, like 1-8 or 1,2,4.")] = "1-4",
    width: Annotated[str, typer.Option("--width", help="Widths, like 2,3.")] = "2",
    activation: Annotated[str, typer.Option("--activation", help="Activations, like tanh,relu.")] = "tanh",
    layer_type: Annotated[str, typer.Option("--layer-type", help="dense, vector-field, or both.")] = "dense",
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, like 0-9.")] = "0-2",
    steps: StepsOpt = 3000, points: PointsOpt = 250, classes: ClassesOpt = None, data: DataOpt = None,
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
    from ..studies import results, sweep
    from ..nets.activations import ACTIVATIONS
    from ..atomic import check_output
    from ..config import LAYER_TYPES

    if summary is not None:
        typer.echo(results.markdown(results.read(summary)), nl=False)
        return
    if not datasets and data is None:
        raise NntopoError("give one or more DATASETs, or --data CSV (or --summary RESULTS)")
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the results (.parquet or .csv)")
    check_output(output, results.SUFFIXES)
    for extra, suffixes, name in ((plot, (".png", ".svg", ".pdf"), "--plot"), (markdown, (".md",), "--markdown")):
        if extra is not None:
            check_output(extra, suffixes, option=name)
    if workers is not None and (scheduler is not None or workers < 1):
        raise NntopoError("--workers is for the local cluster: 1 or more, and not with --scheduler")
    if data is not None:
        _points(data)  # a bad file is refused before the cluster starts
    cells = sweep.grid([d.value for d in datasets or []], sweep.numbers("layers", layers),
                       sweep.numbers("width", width), sweep.names("activation", activation, ACTIVATIONS),
                       sweep.names("layer_type", layer_type, LAYER_TYPES), sweep.numbers("seeds", seeds, "seed"),
                       steps, points, classes, str(data) if data is not None else None)
    with sweep.cluster(scheduler, workers) as client, Bars(output.name) as bars:
        def started(already: int, to_run: int) -> None:
            say(f"{len(cells)} cells: {already} in {output.name} already, {to_run} to run")
            bars.start("sweep", to_run)

        try:
            rows = sweep.run(cells, output, client, bars.advance, str(keep) if keep else None, started)
        except KeyboardInterrupt:
            bars.close()
            say(f"interrupted: every finished cell is in {output}; run the same command to go on")
            raise
    failed = [r for r in rows if r.get("error") is not None]
    if failed:
        say(f"{len(failed)} cell{'s' if len(failed) > 1 else ''} failed, e.g. {failed[0]['dataset']} "
            f"layers {failed[0]['layers']} width {failed[0]['width']} seed {failed[0]['seed']}: {failed[0]['error']}")
    if markdown is not None:
        from ..atomic import write_text

        write_text(markdown, results.markdown(rows))
    if plot is not None:
        results.plot(rows, plot)
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
    quality: QualityOpt = Quality["low"], fps: FpsOpt = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Where to write (default figures/NAME.mp4); a video's poster frame "
        "goes beside it as .png.")] = None,
    fmt: FormatOpt = Format["mp4"], background: BackgroundOpt = Background["light"],
    transparent: TransparentOpt = False, all_frames: FramesOpt = False, aspect: AspectOpt = Aspect["16:9"],
    loop: LoopOpt = False, no_overwrite: NoOverwriteOpt = False, verbose: VerboseOpt = False,
    view: ViewOpt = View["3d"],
) -> None:
    """Render one figure of the essay to an MP4 and a poster PNG; print the video's path.

    Trained recordings are cached in .cache/ beside the video: a re-render does not retrain.
    """
    from ..catalogue import figures

    opts = _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect, loop, view=view)
    output = _output(output, name.value, "figures", opts, no_overwrite)
    with Bars(name.value) as bars:
        holds = figures.render(name.value, output, opts, bars.advance, bars.advance, bars.start)
    say(f"{name.value}: the essay's claim {'holds' if holds else 'does NOT hold'} in this run")
    typer.echo(output)


@app.command("gallery")
def gallery(
    folder: Annotated[Path, typer.Argument(help="Where the figures were rendered.")] = Path("figures"),
) -> None:
    """Write FOLDER/index.html: every rendered figure with its poster, claim and numbers."""
    from ..catalogue.gallery import write_gallery

    if not folder.is_dir():
        raise NntopoError(f"{folder}: no such folder (render figures there first: make figures)")
    typer.echo(write_gallery(folder))


def main(argv: list[str] | None = None) -> None:
    """Entry point for `python -m nntopo`."""
    app(args=argv)
