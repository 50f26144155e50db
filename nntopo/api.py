"""The Python API: one function per job, each the function its CLI command calls, so both check
the same things with the same words, before any slow work (run.prepare).

    rec = nntopo.train("spirals", layers=4, width=2, seed=0)         # nntopo train spirals ...
    nntopo.render(rec, "spirals.mp4", quality="medium", loop=True)  # nntopo render --from ...
    nntopo.render("spirals", "spirals.mp4", layers=4)               # nntopo render spirals ...
    nntopo.show(rec)                                                # in Jupyter: the video inline
    nntopo.slides(rec, "talk.pptx")                                 # nntopo slides --from ...
    nntopo.explore(rec, "spirals.html")                             # nntopo explore --from ...

Options are keywords named as the config objects' fields (DataConfig: seed, points, classes;
NetConfig: layers, width, activation, layer_types (or layer_type: "ode", ["dense", "residual"]),
augment, ...; TrainConfig: steps, lr, ...; RenderOptions: quality, scene, loop, ...), or the objects
themselves. A render option given to `train` is checked as the
render would check it (`train(..., scene="training")` refuses a network the training scene
cannot show before it trains).
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

from .config import DataConfig, GridConfig, KnnStudy, NetConfig, Progress, RenderOptions, TrainConfig, check_kinds
from .deck import QUALITY as DECK_QUALITY
from .errors import ConfigError
from .recording import Recording
from .run import Source

Start = Callable[[str, int], None]  # on_start(phase, total): "training" or "rendering" begins
Say = Callable[[str], None]  # a line of status for the user ("training accuracy 100.0%")
CONFIGS = (DataConfig, NetConfig, TrainConfig, RenderOptions)
KINDS = {DataConfig: "data", NetConfig: "network", TrainConfig: "training", RenderOptions: "render"}


def _split(given: dict, allowed: tuple[type, ...]) -> list[dict]:
    """Keywords into one dict per config class of `allowed`; any other name is refused, listing
    the valid ones."""
    out = [{} for _ in allowed]
    for key, value in given.items():
        for i, cls in enumerate(allowed):
            if key in {f.name for f in fields(cls)}:
                out[i][key] = value
                break
        else:
            names = [f.name for cls in allowed for f in fields(cls) if f.name not in ("dataset", "csv", "in_dim")]
            kinds = [KINDS[cls] for cls in allowed]
            kind = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + f" or {kinds[-1]}"
            raise ConfigError(key, None, f"not a {kind} option; expected one of {', '.join(names)}")
    return out


def options(opts: RenderOptions | None = None, **given) -> RenderOptions:
    """RenderOptions from keywords (quality="medium", loop=True, ...), over `opts` if given."""
    (render,) = _split(given, (RenderOptions,))
    return replace(opts or RenderOptions(), **render)


def data_config(data: DataConfig | str | Path, **given) -> DataConfig:
    """A dataset's name or a CSV's path (or a DataConfig, updated by `given`) as a DataConfig."""
    if isinstance(data, DataConfig):
        return replace(data, **given)
    if isinstance(data, Path) or str(data).endswith(".csv"):
        return DataConfig(csv=str(data), **given)
    return DataConfig(dataset=str(data), **given)


def _trains(source) -> bool:
    """Is `source` data to train on (a DataConfig, a dataset's name, a CSV's path), not a
    recording (a Recording, a ModelFile, a path to an .npz)?"""
    return isinstance(source, DataConfig) or (isinstance(source, (str, Path)) and not str(source).endswith(".npz"))


def _configs(given: dict, net: NetConfig | None, training: TrainConfig | None, opts: RenderOptions | None,
             render: bool, trains: bool = True):
    """The config objects of a job from keywords, over the ones given as objects; only render
    options where nothing is trained."""
    if not trains:
        (render_kw,) = _split(given, (RenderOptions,))
        return {}, net, training, replace(opts or RenderOptions(), **render_kw)
    if "layer_type" in given:  # the CLI's --layer-type and sweep's layer_type, as a NetConfig field
        if "layer_types" in given:
            raise ConfigError("layer_type", None, "give layer_type or layer_types, not both")
        given = {**given, "layer_types": given["layer_type"]}
        del given["layer_type"]
    data_kw, net_kw, train_kw, render_kw = _split(given, CONFIGS)
    net = replace(net or NetConfig(), **net_kw)
    training = replace(training or TrainConfig(), **train_kw)
    opts = replace(opts or RenderOptions(), **render_kw) if (render or render_kw or opts) else None
    if opts is not None:
        check_kinds(opts.scene, net.types())  # a scene the network cannot be shown in, before it trains
    return data_kw, net, training, opts


def _shown(rec: Recording, opts: RenderOptions) -> None:
    """Can `rec`'s layers be shown in opts' scene (a recording, or a model that was read)?"""
    check_kinds(opts.scene, [layer.kind for layer in rec.net.layers])


def _trained(rec: Recording, say: Say | None) -> None:
    m = rec.meta.metrics
    if say is not None and m.restart is not None:
        say(f"training accuracy {100 * m.train_accuracy:.1f}% (restart {m.restart + 1})")


def train(data: DataConfig | str | Path, net: NetConfig | None = None, training: TrainConfig | None = None, *,
          progress: Progress | None = None, on_start: Start | None = None, say: Say | None = None,
          child: bool = False, **given) -> Recording:
    """Train on a built-in dataset (a name), a CSV of points (a path) or a DataConfig, as `nntopo
    train` does; every option is checked before training starts.

    given: DataConfig's fields (seed, points, classes), NetConfig's (layers=4, width=2, ...),
    TrainConfig's (steps, ...), and any RenderOptions field the recording is meant for (scene,
    quality, ...), checked as that render will check it. child: train in a child process (so that this one
    never imports torch)."""
    from . import run

    data_kw, net, training, opts = _configs(given, net, training, None, render=False)
    plan = run.prepare(data_config(data, **data_kw), net, training, opts)
    rec = run.obtain(plan, progress, child, on_start)
    _trained(rec, say)
    return rec


def _drawing_imports() -> None:
    """What drawing imports (manim, the scene): done while a child trains, on the other core."""
    from .video import scene  # noqa: F401


def _recording(source, trains: bool, data_kw: dict, net, training, opts: RenderOptions, progress, child: bool,
               on_start, say, meanwhile=None) -> Recording:
    """The recording a render, a deck or a page shows: `source` prepared (every check), then
    loaded, read or trained, and the network it holds checked for the video."""
    from . import run

    plan = run.prepare(data_config(source, **data_kw) if trains else source, net, training, opts)
    rec = run.obtain(plan, progress, child, on_start, meanwhile=meanwhile)
    _trained(rec, say)
    _shown(rec, opts)
    if not isinstance(plan.source, Recording):
        run.check_render(rec, opts)  # the network that was read or trained
    return rec


def render(source: Source, output: str | Path, opts: RenderOptions | None = None, progress: Progress | None = None,
           *, net: NetConfig | None = None, training: TrainConfig | None = None, on_start: Start | None = None,
           say: Say | None = None, child: bool = False, no_overwrite: bool = False, **given) -> Path:
    """Render the layer-by-layer video of `source` to `output` (and its poster beside it).

    source: a Recording, a recording's path (.npz), a ModelFile, or data to train on first (a
    dataset's name, a CSV's path, a DataConfig; with the network and training keywords of
    `train`). given: RenderOptions' fields (quality, fps, format, background, aspect, loop,
    overlay, scene, view, ...). Everything is checked before any training or drawing."""
    from .atomic import check_output
    from .video import render as render_video

    trains = _trains(source)
    data_kw, net, training, opts = _configs(given, net, training, opts, True, trains)
    output = check_output(output, f".{opts.format}", not no_overwrite, folder=opts.all_frames)
    rec = _recording(source, trains, data_kw, net, training, opts, progress, child, on_start, say, _drawing_imports)
    if opts.overlay and say is not None:
        say("measuring every stage for the overlay")
    return render_video(rec, output, opts, progress, on_start)


def slides(source: Source, output: str | Path, opts: RenderOptions | None = None, per: str = "stage",
           progress: Progress | None = None, *, net: NetConfig | None = None, training: TrainConfig | None = None,
           on_start: Start | None = None, say: Say | None = None, child: bool = False, **given) -> Path:
    """A deck of `source` to `output`: .pptx, .html (reveal.js, offline) or .pdf, as `nntopo slides`
    makes it; a slide per stage (per="layer": per layer).

    source: a Recording, a recording's path, a ModelFile, data to train on (a DataConfig), or the
    name of a figure of the catalogue (a str). The render options as keywords (quality defaults
    to medium; the clips are MP4, so no transparent background)."""
    from . import deck
    from .atomic import check_output
    from .config import PER, one_of

    one_of("per", per, PER)
    if given.get("background") == "transparent" or given.get("transparent") or opts is not None and opts.transparent:
        raise ConfigError("background", "transparent", "a deck's clips are MP4 (no alpha); use light or dark")
    figure = isinstance(source, str) and not source.endswith(".npz")  # a figure of the catalogue
    trains = _trains(source) and not figure
    data_kw, net, training, opts = _configs(given, net, training, opts or RenderOptions(quality=DECK_QUALITY), True,
                                            trains)
    if opts.format != "mp4" or opts.all_frames:
        raise ConfigError("format", opts.format, "a deck's clips are MP4")
    output = check_output(output, deck.SUFFIXES)
    if figure:
        parts = deck.figure_parts(source, opts, output.parent / ".cache", progress, on_start)
    else:
        rec = _recording(source, trains, data_kw, net, training, opts, progress, child, on_start, say)
        if say is not None:
            say("measuring every stage for the notes")
        parts = [deck.part(rec, opts)]
    return deck.build(parts, output, opts, per, progress, on_start)


class Video:
    """A rendered video that Jupyter shows inline (embedded: no file server needed)."""

    def __init__(self, data: bytes, mime: str, width: int):
        self.data, self.mime, self.width = data, mime, width

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.data).decode("ascii")
        return (f'<video controls autoplay loop muted playsinline style="max-width: 100%" width="{self.width}">'
                f'<source src="data:{self.mime};base64,{b64}" type="{self.mime}"></video>')

    def save(self, path: str | Path) -> Path:
        from .atomic import write_bytes

        return write_bytes(Path(path), self.data)


def show(rec: Recording, opts: RenderOptions | None = None, **given) -> Video:
    """Render `rec` (480p by default, looping) and return it for a notebook to show inline."""
    opts = options(opts, **{"loop": True, **given})
    if opts.format not in ("mp4", "webm"):
        raise ConfigError("format", opts.format, "show plays mp4 or webm")
    with tempfile.TemporaryDirectory(prefix="nntopo-show-") as tmp:
        path = render(rec, Path(tmp) / f"show.{opts.format}", opts)
        return Video(path.read_bytes(), f"video/{opts.format}", min(opts.size[0], 854))


class Page:
    """An explore page that Jupyter shows inline: the same HTML in an <iframe srcdoc> (no file
    server, nothing fetched)."""

    def __init__(self, html: str, aspect: float):
        self.html, self.aspect = html, aspect

    def _repr_html_(self) -> str:
        import html as escape

        height = int(round(900 / self.aspect)) + 110  # the frame at 900 px wide, and the controls
        return (f'<iframe srcdoc="{escape.escape(self.html, quote=True)}" style="width: 100%; max-width: 940px; '
                f'height: {height}px; border: 0" sandbox="allow-scripts" title="nntopo explore"></iframe>')

    def save(self, path: str | Path) -> Path:
        from .atomic import write_text

        return write_text(Path(path), self.html)


def explore(source: Source | None = None, output: str | Path | None = None, opts: RenderOptions | None = None,
            progress: Progress | None = None, *, figure: str | None = None, net: NetConfig | None = None,
            training: TrainConfig | None = None, on_start: Start | None = None, say: Say | None = None,
            child: bool = False, **given) -> "Path | Page":
    """The video of `source` (its scene: layers, or training) as a page to scrub, turn and
    question, as `nntopo explore` makes it: one self-contained, offline HTML file written to `output` (its path is
    returned), or, with output None, a Page that a notebook shows inline.

    source: as render's (a Recording, a recording's path, a ModelFile, data to train on); or
    figure: the name of a figure of the catalogue. given: the render options that change the
    picture (fps, quality: its frame rate; background, aspect, view, overlay). Everything is
    checked before any training or drawing."""
    from . import explorer as page
    from .atomic import check_output
    from .storyboard import LAYOUTS

    if (source is None) == (figure is None):
        raise ConfigError("source", None, "give one of a source (a recording, data) or figure")
    trains = figure is None and _trains(source)
    data_kw, net, training, opts = _configs(given, net, training, opts, True, trains)
    if opts.transparent:
        raise ConfigError("background", "transparent", "a page has a background: light or dark")
    if figure is not None and opts.scene != "layers":
        raise ConfigError("scene", opts.scene, "a figure's page shows each run in the figure's own scene")
    if output is not None:
        output = check_output(output, ".html")
    if figure is not None:
        from .catalogue import figures

        cache = (Path(output).parent if output is not None else Path(".")) / ".cache"
        if figure not in figures.FIGURES:
            from .config import one_of

            one_of("figure", figure, figures.FIGURES)
        text = page.figure_page(figure, opts, cache, progress, on_start)
    else:
        rec = _recording(source, trains, data_kw, net, training, opts, progress, child, on_start, say)
        if opts.overlay and say is not None:
            say("measuring every stage for the overlay")
        text = page.page(rec, opts)
    if output is None:
        return Page(text, LAYOUTS[opts.aspect].aspect)
    from .atomic import write_text

    return write_text(output, text)


def sweep(datasets: list[str] | tuple[str, ...], output: str | Path | None, *, data: str | Path | None = None,
          label: str | None = None,
          layers: str | list[int] = GridConfig.layers, width: str | list[int] = GridConfig.width,
          activation: str | list[str] = GridConfig.activation, layer_type: str | list[str] = GridConfig.layer_type,
          augment: str | list[int] = GridConfig.augment, seeds: str | list[int] = GridConfig.seeds,
          steps: int = TrainConfig.steps,
          points: int = DataConfig.points, classes: int | None = None, scheduler: str | None = None,
          workers: int | None = None, keep: str | Path | None = None, markdown: str | Path | None = None,
          plot: str | Path | None = None, progress: Progress | None = None,
          on_start: Callable[[int, int], None] | None = None) -> list[dict]:
    """Train and measure a grid of networks as Dask tasks, as `nntopo sweep` does: one row per cell
    written to `output` (.parquet or .csv) as it finishes; a re-run resumes. The grid's axes are
    lists or the CLI's text ("1-8", "2,3", "tanh,relu"); every cell is checked before the cluster
    starts. augment: the ode cells' zeros ("0,1"); the other layer types' cells have none.
    markdown, plot: also write the table and the plot. Returns every row.

    on_start(already, to_run) once the output's finished cells are known; progress(1) per cell."""
    from .atomic import check_output
    from .errors import NntopoError
    from .studies import needs_extra

    needs_extra(parquet=output is None or str(output).endswith(".parquet"))
    from .config import LAYER_TYPES
    from .nets.activations import ACTIVATIONS
    from .studies import results
    from .studies import sweep as grid_sweep

    if not datasets and data is None:
        raise NntopoError("give one or more DATASETs, or --data CSV (or --summary RESULTS)")
    if output is None:
        raise NntopoError("Missing option '--output' / '-o': where to write the results (.parquet or .csv)")
    output = check_output(output, results.SUFFIXES)
    for extra, suffixes, name in ((plot, (".png", ".svg", ".pdf"), "--plot"), (markdown, (".md",), "--markdown")):
        if extra is not None:
            check_output(extra, suffixes, option=name)
    if workers is not None and (scheduler is not None or workers < 1):
        raise NntopoError("--workers is for the local cluster: 1 or more, and not with --scheduler")
    if data is not None:
        from .data.userdata import load_table

        load_table(data, label=label)  # a bad file is refused before the cluster starts
    elif label is not None:
        raise NntopoError("--label names the label column of a --data CSV; give --data")

    def ints(field: str, v, each: str | None = None) -> list[int]:
        return grid_sweep.numbers(field, v, each) if isinstance(v, str) else [int(x) for x in v]

    def words(field: str, v, choices) -> list[str]:
        return grid_sweep.names(field, v if isinstance(v, str) else ",".join(v), choices)

    cells = grid_sweep.grid(list(datasets), ints("layers", layers), ints("width", width),
                            words("activation", activation, ACTIVATIONS), words("layer_type", layer_type, LAYER_TYPES),
                            ints("seeds", seeds, "seed"), steps, points, classes,
                            str(data) if data is not None else None, label, ints("augment", augment))
    with grid_sweep.cluster(scheduler, workers) as client:
        rows = grid_sweep.run(cells, output, client, progress, str(keep) if keep else None, on_start)
    if markdown is not None:
        from .atomic import write_text

        write_text(Path(markdown), results.markdown(rows))
    if plot is not None:
        results.plot(rows, Path(plot))
    return rows


def knn(dataset: str = "all", seeds: int = KnnStudy.seeds, epochs: int = KnnStudy.epochs,
        ks: str | tuple[int, ...] = KnnStudy.ks,
        json_out: str | Path | None = None, markdown: str | Path | None = None, progress: Progress | None = None,
        on_start: Start | None = None) -> str:
    """Softmax against k-NN on real digits, as `nntopo knn` runs it: test-time k-NN on a softmax
    net, and a net trained with the k-NN loss, over `seeds` seeds; the Markdown table (also
    written to `markdown`), the full results as JSON to `json_out`."""
    from .atomic import check_output, write_text
    from .config import in_range, one_of
    from .errors import NntopoError
    from .knn.digits import DIGITS

    one_of("dataset", dataset, [*DIGITS, "all"])
    in_range("seeds", seeds)
    in_range("epochs", epochs)
    if isinstance(ks, str):
        try:
            ks = tuple(int(k) for k in ks.split(","))
        except ValueError:
            raise NntopoError(f"--k {ks}: give whole numbers separated by commas, e.g. 1,5,15") from None
    for k in ks:
        in_range("k", k)
    for path, suffix in ((json_out, ".json"), (markdown, ".md")):
        if path is not None:
            check_output(path, suffix, option="--json" if suffix == ".json" else "--markdown")
    from . import knn as knn_lib
    from .knn.digits import available

    names = list(DIGITS) if dataset == "all" else [dataset]
    for name in names:
        available(name)
    cfg = knn_lib.KnnConfig(epochs=epochs, ks=tuple(ks))
    if on_start is not None:
        on_start("training", len(names) * seeds * 2 * epochs)
    result = knn_lib.experiment(names, list(range(seeds)), cfg, progress)
    table = knn_lib.markdown(result)
    if json_out is not None:
        import json

        write_text(Path(json_out), json.dumps(result, indent=2) + "\n")
    if markdown is not None:
        write_text(Path(markdown), table)
    return table
