"""The `nntopo` command: thin Typer commands, each mapping its options to one library call.

Bad input never ends in a traceback: usage errors and NntopoError become one line on stderr,
`error: ...`, and exit code 2 (see OneLineErrors).
"""

from __future__ import annotations

import enum
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import click.exceptions as _click_exc
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from .datasets import DATASETS
from .frames import LAYOUTS, MAX_DIM
from .errors import NntopoError
from .model import ACTIVATIONS, LAYER_TYPES, NetConfig
from .render import FORMATS, QUALITIES, THEMES, RenderOptions

err = Console(stderr=True)

# Newer Typer ships its own copy of click; catch the exceptions of whichever parsed the line.
try:
    import typer._click.exceptions as _typer_click_exc
except ImportError:  # older Typer parses with click itself
    _typer_click_exc = _click_exc
USAGE_ERRORS = (_typer_click_exc.UsageError, _click_exc.UsageError)
ABORTS = (getattr(typer, "Abort", _click_exc.Abort), _click_exc.Abort, KeyboardInterrupt)


class OneLineErrors(TyperGroup):
    """Usage errors and NntopoError end as one line, `error: ...`, and exit code 2.

    Click would print a usage block and Typer a box; a script or a person wants the problem and
    the valid choices in one line. Living in the command group, this holds for the console
    script, `python -m nntopo` and Typer's CliRunner alike.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name or "nntopo", complete_var, False, **extra)
        except USAGE_ERRORS as e:
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `nntopo`: help was wanted
                typer.echo(ctx.get_help() if ctx else "")
                sys.exit(0)
            message = e.format_message().replace("Value error, ", "")
            hint = f" (see: nntopo {ctx.info_name} --help)" if ctx is not None and ctx.parent else ""
            _fail(f"{message}{hint}")
        except NntopoError as e:
            _fail(str(e))
        except ABORTS:
            err.print("aborted", markup=False)
            sys.exit(130)
        if code == 130:  # Typer turns Ctrl-C into exit code 130
            err.print("aborted", markup=False)
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


app = typer.Typer(
    cls=OneLineErrors,
    help="Train small networks on the datasets of Olah's 'Neural Networks, Manifolds, and "
    "Topology' and render what every layer does to the plane.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
def _figure_names() -> list[str]:
    from .figures import FIGURES

    return list(FIGURES)


# Fixed choices, straight from the registries.
DatasetName = enum.Enum("DatasetName", {k: k for k in DATASETS}, type=str)
ActivationName = enum.Enum("ActivationName", {k: k for k in ACTIVATIONS}, type=str)
LayerType = enum.Enum("LayerType", {k: k for k in LAYER_TYPES}, type=str)
Quality = enum.Enum("Quality", {k: k for k in QUALITIES}, type=str)
Format = enum.Enum("Format", {k: k for k in FORMATS}, type=str)
Background = enum.Enum("Background", {k: k for k in THEMES + ("transparent",)}, type=str)
Aspect = enum.Enum("Aspect", {k: k for k in LAYOUTS}, type=str)
FigureName = enum.Enum("FigureName", {k: k for k in _figure_names()}, type=str)

MAX_WIDTH = MAX_DIM  # the scenes show representations of up to 4 dimensions (3D turning, 4D projected)

QualityOpt = Annotated[Quality, typer.Option("--quality", help="Size: low 480p15, medium 720p30, high 1080p60, 4k.")]
FpsOpt = Annotated[Optional[int], typer.Option("--fps", help="Frames per second (default: by quality).")]
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
LayersOpt = Annotated[int, typer.Option("--layers", help="Hidden layers (0: a linear classifier only).")]
WidthOpt = Annotated[int, typer.Option("--width", help="Units per hidden layer.")]
ActOpt = Annotated[ActivationName, typer.Option("--activation", help="Activation of the hidden layers.")]
LayerTypeOpt = Annotated[Optional[list[LayerType]], typer.Option(
    "--layer-type", help="dense (act(W x + b)) or vector-field (x + F(x), the essay's proposed "
    "layer). Once: every hidden layer; repeated once per layer: mixed, in order.")]
AnchorsOpt = Annotated[int, typer.Option(
    "--anchors", help="Vector-field layers: Gaussians per layer, centred on training points.")]
FieldWidthOpt = Annotated[float, typer.Option(
    "--field-width", help="Vector-field layers: the Gaussians' initial standard deviation.")]
FixedWidthsOpt = Annotated[bool, typer.Option(
    "--fixed-widths", help="Vector-field layers: keep the widths fixed (default: learned).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the data and the initialisations.")]
StepsOpt = Annotated[int, typer.Option("--steps", help="Full-batch training steps per restart.")]
PointsOpt = Annotated[int, typer.Option("--points", help="Data points per class.")]


@contextmanager
def _bar(description: str, total: int):
    """A rich progress bar on stderr; yields advance(n)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
        progress.update(task, completed=total)


def _check_training(layers: int, width: int, steps: int, points: int) -> None:
    if layers < 0:
        raise NntopoError(f"--layers {layers}: must be 0 or more")
    if width < 1:
        raise NntopoError(f"--width {width}: must be 1 or more")
    if steps < 1:
        raise NntopoError(f"--steps {steps}: must be 1 or more")
    if points < 2:
        raise NntopoError(f"--points {points}: must be 2 or more")


def _net_config(dim: int, layers: int, width: int, activation: str, layer_types: list | None,
                anchors: int, field_width: float, fixed_widths: bool) -> NetConfig:
    """The network the options describe, checked once, here."""
    types = tuple(t.value for t in layer_types or ())
    if len(types) not in (0, 1, layers):
        raise NntopoError(
            f"--layer-type given {len(types)} times: give it once (all layers) or once per layer "
            f"(--layers {layers})")
    if anchors < 1:
        raise NntopoError(f"--anchors {anchors}: must be 1 or more")
    if not field_width > 0:
        raise NntopoError(f"--field-width {field_width}: must be positive")
    cfg = NetConfig(dim, layers, width, activation, types, anchors, field_width, not fixed_widths)
    widest = max(cfg.dims())
    if widest > MAX_WIDTH and layers > 0:
        raise NntopoError(f"--width {width}: the scenes show representations of up to "
                          f"{MAX_WIDTH} dimensions")
    return cfg


def _check_output(path: Path, suffix: str) -> Path:
    """Refuse an output we could not write, before any work is done."""
    if path.suffix.lower() != suffix:
        raise NntopoError(f"--output {path}: the file name must end in {suffix}")
    if path.is_dir():
        raise NntopoError(f"--output {path}: is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise NntopoError(f"--output {path}: folder {parent} does not exist")
    try:  # a real probe: permissions alone say nothing for root or a read-only mount
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".nntopo-probe-"):
            pass
    except OSError as e:
        raise NntopoError(f"--output {path}: cannot write in {parent} ({e.strerror})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise NntopoError(f"--output {path}: not writable")
    return path


def _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect) -> RenderOptions:
    """Check the output options once, here, and gather them."""
    if fps is not None and not 1 <= fps <= 120:
        raise NntopoError(f"--fps {fps}: must be between 1 and 120")
    transparent = transparent or background.value == "transparent"
    if transparent and fmt.value not in ("webm", "png"):
        raise NntopoError(f"--transparent: {fmt.value} has no alpha channel; use --format webm or png")
    if all_frames and fmt.value != "png":
        raise NntopoError("--frames: only with --format png")
    theme = "light" if background.value == "transparent" else background.value
    return RenderOptions(quality.value, fps, verbose, fmt.value, transparent, all_frames, theme,
                         aspect.value)


def _output(output: Path | None, name: str, folder: str, opts: RenderOptions, no_overwrite: bool) -> Path:
    """The output path (default folder/NAME.ext, or a folder for --frames), checked before work."""
    if output is None:
        output = Path(folder) / (name if opts.all_frames else f"{name}.{opts.format}")
        output.parent.mkdir(exist_ok=True)
    if no_overwrite and output.exists():
        raise NntopoError(f"--output {output}: exists, and --no-overwrite was given")
    if opts.all_frames:
        if output.exists() and not output.is_dir():
            raise NntopoError(f"--output {output}: is a file; --frames writes a folder")
        _check_output(output.parent / f"{output.name}.png", ".png")  # its folder is writable
        return output
    return _check_output(output, f".{opts.format}")


def _poster(output: Path, opts: RenderOptions) -> None:
    """A still for every video: its last frame, as NAME.png beside it."""
    from .render import poster

    if opts.format in ("mp4", "webm", "gif"):
        poster(output, output.with_suffix(".png"))


def _render(timelines: list, output: Path, opts: RenderOptions) -> None:
    """Render with a progress bar over every frame of every timeline."""
    from .render import render_timelines

    with _bar(f"rendering {output.name}", sum(t.total_frames for t in timelines)) as advance:
        render_timelines(timelines, output, opts, on_frames=advance)


def _train(dataset: str | None, data: Path | None, net: dict, seed: int, steps: int, points: int):
    """Train on a dataset of the registry, or on the user's CSV points (`data`).

    net: the keyword arguments of _net_config but the data's dimension."""
    from .train import TrainConfig, record, record_points
    from .userdata import load_points

    cfg = TrainConfig(steps=steps)
    if data is not None:
        pts = load_points(data)  # checked before any training
        name, dim = data.name, pts.X.shape[1]
    else:
        name, dim = dataset, DATASETS[dataset].dim
    net_cfg = _net_config(dim, **net)
    with _bar(f"training {name}", cfg.restarts * steps) as advance:
        progress = lambda restart, step: advance()  # noqa: E731
        if data is None:
            rec = record(dataset, net_cfg, cfg, seed, points, progress)
        else:
            meta = {"name": data.name, "source": "csv", "path": str(data), "sha256": pts.sha256,
                    "labels": list(pts.labels), "center": pts.center.tolist(), "scale": pts.scale,
                    "n_points": len(pts.X), "extent": 1.2}
            rec = record_points(pts.X, pts.y, meta, net_cfg, cfg, seed, progress)
    m = rec.meta["metrics"]
    err.print(f"training accuracy {100 * m['train_accuracy']:.1f}% (restart {m['restart'] + 1})")
    return rec


DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", help="Your own points instead of a dataset: a CSV of x, y[, z], label rows.")]


@app.command()
def datasets() -> None:
    """List the datasets, one line each."""
    for d in DATASETS.values():
        typer.echo(f"{d.name:<14}{d.dim}D  {d.summary}")


@app.command()
def train(
    dataset: Annotated[Optional[DatasetName], typer.Argument(help="Which dataset (or --data).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Recording to write (.npz).")] = None,
    data: DataOpt = None,
    layers: LayersOpt = 4,
    width: WidthOpt = 2,
    activation: ActOpt = ActivationName["tanh"],
    layer_type: LayerTypeOpt = None,
    anchors: AnchorsOpt = 8,
    field_width: FieldWidthOpt = 0.5,
    fixed_widths: FixedWidthsOpt = False,
    seed: SeedOpt = 0,
    steps: StepsOpt = 3000,
    points: PointsOpt = 250,
) -> None:
    """Train a network and write its recording (.npz) without rendering."""
    from .recording import save

    if (dataset is None) == (data is None):
        raise NntopoError("give exactly one of a DATASET or --data CSV")
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the recording (.npz)")
    _check_training(layers, width, steps, points)
    net = dict(layers=layers, width=width, activation=activation.value, layer_types=layer_type,
               anchors=anchors, field_width=field_width, fixed_widths=fixed_widths)
    _net_config(2, **net)  # checked before the output is probed or any data read
    _check_output(output, ".npz")
    rec = _train(dataset and dataset.value, data, net, seed, steps, points)
    typer.echo(save(rec, output))


@app.command()
def render(
    dataset: Annotated[
        Optional[DatasetName], typer.Argument(help="Dataset to train on (omit with --from).")
    ] = None,
    layers: LayersOpt = 4,
    width: WidthOpt = 2,
    activation: ActOpt = ActivationName["tanh"],
    layer_type: LayerTypeOpt = None,
    anchors: AnchorsOpt = 8,
    field_width: FieldWidthOpt = 0.5,
    fixed_widths: FixedWidthsOpt = False,
    seed: SeedOpt = 0,
    steps: StepsOpt = 3000,
    points: PointsOpt = 250,
    data: DataOpt = None,
    from_file: Annotated[
        Optional[Path], typer.Option("--from", help="Render this recording instead of training.")
    ] = None,
    quality: QualityOpt = Quality["low"],
    fps: FpsOpt = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Where to write (default renders/NAME.mp4).")
    ] = None,
    fmt: FormatOpt = Format["mp4"],
    background: BackgroundOpt = Background["light"],
    transparent: TransparentOpt = False,
    all_frames: FramesOpt = False,
    aspect: AspectOpt = Aspect["16:9"],
    loop: LoopOpt = False,
    no_overwrite: NoOverwriteOpt = False,
    verbose: VerboseOpt = False,
    overlay: Annotated[
        bool, typer.Option("--overlay", help="Show each stage's numbers (as `nntopo inspect`).")
    ] = False,
) -> None:
    """Train (or load), then render the layer-by-layer video and print its path.

    Videos get a poster beside them: their last frame as NAME.png.
    """
    from . import frames, recording

    if sum(s is not None for s in (dataset, data, from_file)) != 1:
        raise NntopoError("give exactly one of a DATASET, --data CSV or --from RECORDING")
    opts = _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect)
    name = dataset.value if dataset is not None else (data or from_file).stem
    output = _output(output, name, "renders", opts, no_overwrite)
    if from_file is not None:
        rec = recording.load(from_file)
    else:
        _check_training(layers, width, steps, points)
        net = dict(layers=layers, width=width, activation=activation.value, layer_types=layer_type,
                   anchors=anchors, field_width=field_width, fixed_widths=fixed_widths)
        _net_config(2, **net)
        rec = _train(dataset and dataset.value, data, net, seed, steps, points)
    widest = max([rec.X.shape[1]] + [layer.out_dim for layer in rec.net.layers])
    if widest > MAX_WIDTH:
        raise NntopoError(
            f"{from_file}: has a {widest}-dimensional layer; the scenes show up to {MAX_WIDTH}"
        )
    report = None
    if overlay:
        from . import diagnostics

        err.print("measuring every stage for the overlay", markup=False)
        report = diagnostics.inspect(rec)
    tl = frames.timeline(rec, opts.frame_rate, overlay=report, layout=LAYOUTS[opts.aspect])
    _render([frames.looped(tl) if loop else tl], output, opts)
    _poster(output, opts)
    typer.echo(output)


KnnDataset = enum.Enum("KnnDataset", {k: k for k in ("mnist5k", "digits", "all")}, type=str)


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
    import json

    from . import knn as knn_lib
    from .gallery import write_text

    if seeds < 1:
        raise NntopoError(f"--seeds {seeds}: must be 1 or more")
    if epochs < 1:
        raise NntopoError(f"--epochs {epochs}: must be 1 or more")
    try:
        k_list = tuple(int(k) for k in ks.split(","))
    except ValueError:
        raise NntopoError(f"--k {ks}: give whole numbers separated by commas, e.g. 1,5,15") from None
    if not k_list or min(k_list) < 1:
        raise NntopoError(f"--k {ks}: every k must be 1 or more")
    for path, suffix in ((json_out, ".json"), (md_out, ".md")):
        if path is not None:
            _check_output(path, suffix)
    names = list(knn_lib.DIGITS) if dataset.value == "all" else [dataset.value]
    cfg = knn_lib.KnnConfig(epochs=epochs, ks=k_list)
    with _bar("training conv nets", len(names) * seeds * 2 * epochs) as advance:
        result = knn_lib.experiment(names, list(range(seeds)), cfg, lambda e, loss: advance())
    table = knn_lib.markdown(result)
    typer.echo(table, nl=False)
    if json_out is not None:
        write_text(json_out, json.dumps(result, indent=2) + "\n")
    if md_out is not None:
        write_text(md_out, table)


@app.command("inspect")
def inspect_recording(
    path: Annotated[Path, typer.Argument(help="A recording made by `nntopo train`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead.")] = False,
) -> None:
    """Per layer and stage: det W, homeomorphism, linear separability, Betti numbers, stretch."""
    import json
    import math

    from rich.table import Table

    from . import diagnostics, recording

    rep = diagnostics.inspect(recording.load(path))
    if as_json:
        def finite(v):  # JSON has no infinity: an infinite condition number becomes null
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, dict):
                return {k: finite(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [finite(x) for x in v]
            return v

        typer.echo(json.dumps(finite(rep.to_dict()), indent=2))
        return
    out = Console()
    test = f", test {100 * rep.test_accuracy:.2f}%" if rep.test_accuracy is not None else ""
    out.print(f"[bold]{path}[/]: {rep.dataset}, {rep.architecture}; "
              f"training accuracy {100 * rep.train_accuracy:.1f}%{test}")
    out.print(f"input: Betti A {_b(rep.input_betti_a)}, B {_b(rep.input_betti_b)}; "
              f"first linearly separable: {rep.first_separable or 'never'}")
    table = Table(show_lines=False, pad_edge=False)
    for col in ["layer", "stage", "det W", "cond", "homeo", "lin. fit", "Betti A", "Betti B",
                "|J| max", "p99"]:
        table.add_column(col, justify="left" if col in ("stage", "homeo") else "right")
    notes: dict[str, str] = {}
    previous = (rep.input_betti_a, rep.input_betti_b)
    for s in rep.stages:
        homeo = "yes" if s.homeomorphism else "[red]NO[/]"
        if not s.homeomorphism:
            notes[f"layer {s.layer} {s.stage}"] = s.why
        changed = (s.betti_a, s.betti_b) != previous
        flag = "*" if changed and s.homeomorphism else ""
        previous = (s.betti_a, s.betti_b)
        table.add_row(
            str(s.layer),
            {"linear": "W", "translate": "+b", "flow": "x+F(x)"}.get(s.stage, rep.architecture.split(", ")[1]),
            "-" if s.det is None else f"{s.det:+.3g}", f"{s.cond:.3g}", homeo,
            "[green]100%[/]" if s.separable else f"{100 * s.linear_accuracy:.1f}%",
            _b(s.betti_a) + flag, _b(s.betti_b) + flag, f"{s.stretch_max:.3g}", f"{s.stretch_p99:.3g}",
        )
    out.print(table)
    for where, why in notes.items():
        out.print(f"NO at {where}: {why}")
    if any("*" in str(c) for c in table.columns[6]._cells):
        out.print("* Betti numbers changed at a homeomorphism: the stage squashed the set thinner "
                  "than the sample resolves (the essay's 'easy way out'), not a change of topology.")
    out.print(f"[dim]Betti numbers: persistent homology of {diagnostics.TOPOLOGY_POINTS:,} fresh "
              f"points per class carried through each stage (rule: nntopo/diagnostics.py). "
              f"{rep.seconds:.1f} s[/]")


def _b(betti: tuple[int, ...]) -> str:
    return ",".join(map(str, betti))


@app.command("figures")
def list_figures(
    names: Annotated[bool, typer.Option("--names", help="Print only the names (for make).")] = False,
) -> None:
    """List the essay's figures, each with the claim its video shows."""
    from .figures import FIGURES

    for fig in FIGURES.values():
        typer.echo(fig.name if names else f"{fig.name:<23}{fig.claim}")


@app.command("figure")
def render_figure(
    name: Annotated[FigureName, typer.Argument(help="Which figure (see `nntopo figures`).")],
    quality: QualityOpt = Quality["low"],
    fps: FpsOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Where to write (default figures/NAME.mp4); "
                     "a video's poster frame goes beside it as .png."),
    ] = None,
    fmt: FormatOpt = Format["mp4"],
    background: BackgroundOpt = Background["light"],
    transparent: TransparentOpt = False,
    all_frames: FramesOpt = False,
    aspect: AspectOpt = Aspect["16:9"],
    loop: LoopOpt = False,
    no_overwrite: NoOverwriteOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Render one figure of the essay to an MP4 and a poster PNG; print the video's path.

    Trained recordings are cached in .cache/ beside the video: a re-render does not retrain.
    """
    from . import figures, frames

    opts = _options(quality, fps, verbose, fmt, background, transparent, all_frames, aspect)
    output = _output(output, name.value, "figures", opts, no_overwrite)
    fig = figures.FIGURES[name.value]
    with _bar(f"training {fig.name}", sum(r.work() for r in fig.runs)) as advance:
        recs = figures.recordings(fig, output.parent / ".cache", lambda restart, step: advance())
    tls = figures.timelines(fig, recs, opts.frame_rate, LAYOUTS[opts.aspect])
    if loop:  # the last part rewinds to its own first frame; the first part then follows
        tls[-1] = frames.looped(tls[-1])
    _render(tls, output, opts)
    _poster(output, opts)
    holds = figures.holds(fig, recs)
    if opts.format == "mp4" and not opts.all_frames:  # what the gallery shows about this run
        from .gallery import sidecar

        sidecar(output, fig.name, [r.meta["metrics"] for r in recs], holds)
    verdict = "holds" if holds else "does NOT hold"
    err.print(f"{fig.name}: the essay's claim {verdict} in this run", markup=False)
    typer.echo(output)


@app.command("gallery")
def gallery(
    folder: Annotated[Path, typer.Argument(help="Where the figures were rendered.")] = Path("figures"),
) -> None:
    """Write FOLDER/index.html: every rendered figure with its poster, claim and numbers."""
    from .gallery import write_gallery

    if not folder.is_dir():
        raise NntopoError(f"{folder}: no such folder (render figures there first: make figures)")
    typer.echo(write_gallery(folder))


def main(argv: list[str] | None = None) -> None:
    """Entry point for `python -m nntopo`."""
    app(args=argv)
