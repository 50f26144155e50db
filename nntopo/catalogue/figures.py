"""The essay's figures as named, reproducible recipes (runs.py): data, network, training, seed
and scene, trained (or read from a cache) and rendered.

`FIGURES` is the catalogue, in the essay's order. A figure has one or more runs (a figure in two
parts, like "one hidden unit fails, two succeed", has two), each trained into a recording and
drawn by a scene. `check` states, as code, what the measured numbers must show for the essay's
claim to hold; the numbers on screen always come from the run itself.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ..config import Progress, RenderOptions, TrainConfig
from ..recording import Recording, RecordingError, load, save
from .runs import RUN_SCENES, Figure, KnnRun, Run

__all__ = ["FIGURES", "RUN_SCENES", "Figure", "KnnRun", "Run", "holds", "metrics", "recordings", "render",
           "sidecar", "storyboards"]

CURVES_HIDDEN = Run("curves", 1, 2)
# Neural ODEs: 1000 steps reach 100% of the training points on every seed measured (0-9), in
# about a sixth of the default's time (each step integrates the flow and differentiates through it)
ODE_TRAIN = TrainConfig(steps=1000)
# MNIST: at the default's rate (0.02) three restarts in four stalled at 80-90% of the training
# digits (seed 0: 81, 80, 90, 98%); at 0.005, 1000 steps gave 99.2-100% train and 87-89% held out
# on seeds 0-3, in a twelfth of the time (restarts stop at 95%, the claim's bar)
MNIST_TRAIN = TrainConfig(steps=1000, lr=0.005, good_enough=0.95)
FIGURES: dict[str, Figure] = {
    f.name: f
    for f in [
        Figure(
            "linear-curves",
            "with no hidden layer the boundary is a line, and the two curves are not separated",
            (Run("curves", 0, 2),),
            lambda ms: ms[0].train_accuracy < 1.0,
        ),
        Figure(
            "hidden-curves",
            "one hidden layer of two tanh units bends the boundary into a curve that separates them",
            (Run("curves", 1, 2, scene="input"),),
            lambda ms: ms[0].train_accuracy == 1.0,
        ),
        Figure(
            "hidden-representation",
            "in the hidden layer's coordinates the curves are linearly separable",
            (CURVES_HIDDEN,),
            lambda ms: ms[0].train_accuracy == 1.0,
        ),
        Figure(
            "tanh-layer",
            "a tanh layer is a linear map W, a translation by b, then tanh: it never cuts or folds",
            (Run("curves", 1, 2, heat=False, stage_seconds=2.4),),
            lambda ms: ms[0].homeomorphism and ms[0].train_accuracy == 1.0,
        ),
        Figure(
            "spirals",
            "four 2-unit tanh layers untangle two slightly entangled spirals",
            (Run("spirals", 4, 2),),
            lambda ms: ms[0].train_accuracy >= 0.99,
        ),
        Figure(
            "spirals-hard",
            "the same network fails on more entangled spirals",
            (Run("spirals-hard", 4, 2),),
            lambda ms: ms[0].train_accuracy < 0.99,
        ),
        Figure(
            "circles-2",
            "two hidden units cannot separate a disk from the annulus around it, however they train",
            (Run("circles", 1, 2, scene="training", train=TrainConfig(snapshot_every=10, restarts=1)),),
            lambda ms: ms[0].test_accuracy < 1.0,
        ),
        Figure(
            "intervals",
            "on the line, one hidden unit fails; two units lift it into a curve a line separates",
            (
                Run("intervals", 1, 1, title="One hidden unit"),
                Run("intervals", 1, 2, title="Two hidden units"),
            ),
            lambda ms: ms[0].train_accuracy < 1.0 and ms[1].train_accuracy == 1.0,
        ),
        Figure(
            "circles-3",
            "with a third hidden unit the disk and the annulus come apart in 3D: a plane separates them",
            (Run("circles", 1, 3),),
            lambda ms: ms[0].test_accuracy == 1.0,
        ),
        Figure(
            "tori",
            "linked tori cannot be separated in 3 dimensions, whatever the depth; 4 units can",
            (
                Run("tori", 2, 3, title="Two layers of 3 units: the links stay caught"),
                Run("tori", 2, 4, title="Layers of 4 units: the 4th dimension unlinks them"),
            ),
            lambda ms: ms[0].test_accuracy < 1.0 and ms[1].test_accuracy == 1.0,
        ),
        Figure(
            "unlink",
            "a ring with a circle hanging through it is an unlink: 3-unit layers pull them apart",
            (Run("unlink", 3, 3),),
            lambda ms: ms[0].train_accuracy == 1.0,
        ),
        Figure(
            "easy-way-out",
            "a deep 2-wide network scores high on disk/annulus by stretching space; "
            "a contractive penalty refuses the stretch",
            (
                Run("circles", 4, 2, title="Four 2-unit layers: the easy way out",
                    train=TrainConfig(restarts=2), overlay=True),
                Run("circles", 4, 2, title="The same network with a contractive penalty",
                    train=TrainConfig(restarts=2, contractive=0.005), overlay=True),
            ),
            lambda ms: ms[0].test_accuracy < 1.0
            and ms[0].train_accuracy >= 0.95
            and ms[1].max_stretch < ms[0].max_stretch,
        ),
        Figure(
            "vector-field",
            "the essay's vector-field layer: four invertible steps x + F(x) (4 anchors each) untangle "
            "the spirals, as well as a tanh network with as many parameters (8 layers of 2 units)",
            (
                Run("spirals", 4, 2, layer_type="vector-field", anchors=4,
                    title="Four vector-field steps, x → x + F(x): 51 parameters"),
                Run("spirals", 8, 2, stage_seconds=0.6,
                    title="Eight 2-unit tanh layers: also 51 parameters"),
            ),
            lambda ms: ms[0].train_accuracy >= 0.99
            and all(s.invertible for s in ms[0].field_steps)
            and ms[0].parameters == ms[1].parameters,
        ),
        Figure(
            "resnet-spirals",
            "four residual blocks x + f(x) (f: 8 tanh units), held near contractions by a Lipschitz "
            "penalty, untangle the spirals: every training point right, and no block folds the plane",
            (Run("spirals", 4, 8, layer_type="residual"),),
            lambda ms: ms[0].train_accuracy >= 0.99 and len(ms[0].field_steps) == 4
            and not any(s.folds for s in ms[0].field_steps),
        ),
        Figure(
            "ode-circles",
            "a neural ODE in the plane is a homeomorphism, so it cannot pull the disk out of the annulus "
            "(Dupont et al. 2019): it fits the training points by squeezing the disk through a gap it "
            "stretches open, and fresh points of the true sets fall through (below 100% right)",
            (Run("circles", 1, 16, layer_type="ode", train=ODE_TRAIN, overlay=True),),
            lambda ms: ms[0].train_accuracy >= 0.99 and ms[0].test_accuracy < 1.0
            and all(f.min_det > 0 for f in ms[0].flows),
        ),
        Figure(
            "anode-circles",
            "one extra dimension (an augmented neural ODE) lifts the disk out of the annulus's plane: "
            "every fresh point right, with less stretch than the flow in the plane",
            (
                Run("circles", 1, 16, layer_type="ode", train=ODE_TRAIN,
                    title="A neural ODE in the plane, dx/dt = f(x)"),
                Run("circles", 1, 16, layer_type="ode", augment=1, train=ODE_TRAIN,
                    title="The same with one zero dimension added: R^3"),
            ),
            lambda ms: ms[1].test_accuracy == 1.0 and ms[1].test_accuracy > ms[0].test_accuracy
            and ms[1].max_stretch < ms[0].max_stretch and all(f.min_det > 0 for f in ms[1].flows),
        ),
        Figure(
            "digits-narrow",
            "ten digits (8x8 pixels, R^64) squeezed through 2-unit tanh layers overlap: below 85% of "
            "held-out digits right; through 16-unit layers every training digit separates, 90% or more "
            "held out",
            (
                Run("digits", 2, 2, title="64 pixels through two 2-unit layers"),
                Run("digits", 2, 16, title="The same through two 16-unit layers"),
            ),
            lambda ms: ms[0].test_accuracy < 0.85
            and ms[1].train_accuracy == 1.0 and ms[1].test_accuracy >= 0.9,
        ),
        Figure(
            "mnist-collapse",
            "the first layer collapses MNIST's 784 pixels onto 16 dimensions, and the digits stay "
            "apart: 95% or more of the training digits right, 75% or more held out",
            (Run("mnist", 2, 16, train=MNIST_TRAIN),),
            lambda ms: ms[0].train_accuracy >= 0.95 and ms[0].test_accuracy >= 0.75,
        ),
        Figure(
            "knn",
            "trained for k-NN, a 2-unit representation of the digits contracts each class and "
            "inflates the space between them, more than softmax does",
            (
                KnnRun("digits", "knn", title="Trained with the k-NN loss"),
                KnnRun("digits", "softmax", title="The same network trained with softmax"),
            ),
            lambda ms: ms[0]["spread_end"] < ms[0]["spread_start"]
            and ms[0]["spread_end"] < ms[1]["spread_end"],
        ),
    ]
}


def recordings(fig: Figure, cache: Path | None, progress: Progress | None = None) -> list:
    """Train every run of `fig`, or load it from `cache` (a folder) when trained before: a
    Recording per Run, a knn.Trajectory per KnnRun.

    Figures rendered side by side (make -j figures) share runs (ode-circles' is anode-circles'
    first): a run being trained by another process is left for last, then waited for and read,
    so that each shared run is trained once and no core waits while there is other work."""
    if cache is None:
        return [_obtain(run, None, progress) for run in fig.runs]
    cache.mkdir(parents=True, exist_ok=True)
    out: list = [None] * len(fig.runs)
    busy = []  # (index, cache path) of the runs another process holds: taken after the rest
    for i, run in enumerate(fig.runs):
        path = cache_path(run, cache)
        with _claimed(path, wait=False) as mine:
            if mine:
                out[i] = _obtain(run, path, progress)
            else:
                busy.append((i, path))
    for i, path in busy:
        with _claimed(path, wait=True):
            out[i] = _obtain(fig.runs[i], path, progress)
    return out


def cache_path(run: Run | KnnRun, cache: Path) -> Path:
    """Where `run`'s recording is kept in the folder `cache`."""
    # Keyed by the recipe alone: figures that share a run share its recording.
    prefix = f"knn-{run.dataset}" if isinstance(run, KnnRun) else run.dataset
    return cache / f"{prefix}-{run.key()}.npz"


@contextmanager
def _claimed(path: Path, wait: bool) -> Iterator[bool]:
    """Hold the lock of the cache entry `path` (an flock on path.lock) while the block runs:
    yields False at once when another process holds it and wait is False."""
    import fcntl

    with open(path.with_suffix(".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _obtain(run: Run | KnnRun, path: Path | None, progress: Progress | None):
    """The run's recording: read from `path` when it holds a sound one, else trained (and saved).
    torch is imported only to train (a second of start-up for every render from the cache)."""
    knn_run = isinstance(run, KnnRun)
    if knn_run:
        from .. import knn
    if path is not None and path.exists():
        try:
            rec = knn.load_trajectory(path) if knn_run else load(path)
        except (RecordingError, ValueError):
            pass  # a damaged cache entry is trained again
        else:
            if progress is not None:
                progress(run.work())
            return rec
    if knn_run:
        rec = knn.trajectory(run.dataset, run.loss, run.config(), run.seed, run.points, progress=progress)
    else:
        from ..training.recipe import train_recording

        rec = train_recording(run.data(), run.net(), run.train, progress)
    if path is not None:
        (knn.save_trajectory if knn_run else save)(rec, path)
    return rec


def report(rec: Recording, path: Path | None):
    """`rec`'s measurements (analysis.inspect.Report), kept beside its cache entry `path` (a
    recording's .npz, or None: measured every time): read back when measured before by this very
    code on this very recording, else measured and written there (atomically). The key hashes the
    recording's bytes, nntopo's source and the versions of the libraries that measure, so that
    any change to one of them measures again; a damaged or foreign file is measured again too."""
    from ..analysis import report as reports
    from ..analysis.inspect import inspect
    from ..atomic import write_text

    if path is None or not path.exists():
        return inspect(rec)
    kept = path.with_name(f"{path.stem}.inspect-{_report_key(path)}.json")
    try:
        return reports.from_json(kept.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    rep = inspect(rec)
    try:
        write_text(kept, reports.cache_json(rep))
        for old in path.parent.glob(f"{path.stem}.inspect-*.json"):  # measured by other code: never read again
            if old != kept:
                old.unlink(missing_ok=True)
    except OSError:  # a cache it cannot write to (read-only, full): measured, not kept
        pass
    return rep


def _report_key(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes() + _measuring_code()).hexdigest()[:12]


@functools.cache
def _measuring_code() -> bytes:
    """What a report depends on besides its recording: nntopo's source and the versions of the
    libraries that measure (read once per process)."""
    import hashlib
    from importlib.metadata import version

    h = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parent.parent.rglob("*.py")):
        h.update(source.read_bytes())
    for dist in ("numpy", "scipy", "scikit-learn", "ripser"):
        h.update(version(dist).encode())
    return h.digest()


def storyboards(fig: Figure, recs: list, opts: RenderOptions, cache: Path | None = None) -> list:
    """The storyboards of every run of `fig`, in order (the last loops with opts.loop); an
    overlay's measurements kept in `cache` (the recordings' folder, see `report`)."""
    from .. import storyboard as sb

    layout = sb.LAYOUTS[opts.aspect]
    fps = opts.frame_rate
    out = []
    for run, rec in zip(fig.runs, recs):
        if isinstance(run, KnnRun):
            board = sb.knn(rec, fps, layout=layout)
        elif run.scene == "training":
            board = sb.training(rec, fps, detail=_detail(run), layout=layout)
        else:
            overlay = report(rec, cache_path(run, cache) if cache else None) if run.overlay else None
            board = sb.layers(rec, fps, _detail(run), sb.Timing(fps, stage=run.stage_seconds),
                              input_only=run.scene == "input", overlay=overlay, layout=layout,
                              view=opts.view)
        out.append(board.titled(run.title) if run.title else board)
    if opts.loop:  # the last part rewinds to its own first frame; the first part then follows
        out[-1] = sb.looped(out[-1])
    return out


def _detail(run: Run):
    from ..storyboard import Detail

    return Detail(heat_levels=Detail().heat_levels if run.heat else 0)


def metrics(recs: list) -> list:
    """What each run measured: a Recording's Metrics, a knn Trajectory's dict."""
    return [r.meta.metrics if isinstance(r, Recording) else r.meta["metrics"] for r in recs]


def holds(fig: Figure, recs: list) -> bool:
    return bool(fig.check(metrics(recs)))


def render(name: str, output: str | Path, opts: RenderOptions = RenderOptions(),
           on_train: Progress | None = None, on_frames: Progress | None = None,
           on_start: Callable[[str, int], None] | None = None, overwrite: bool = True) -> bool:
    """Train (or load from output's folder/.cache) and render figure `name` to `output`, with
    its poster and, for an MP4, the gallery's sidecar. Returns whether the essay's claim holds.

    on_start(phase, total) announces "training" (units: optimiser steps, epochs) and
    "rendering" (frames) before each starts; on_train and on_frames then report progress."""
    from ..atomic import check_output
    from ..config import one_of
    from ..video import render_storyboards

    one_of("figure", name, FIGURES)
    fig = FIGURES[name]
    output = check_output(output, f".{opts.format}", overwrite, folder=opts.all_frames)
    if on_start:
        on_start("training", sum(r.work() for r in fig.runs))
    cache = output.parent / ".cache"
    recs = recordings(fig, cache, on_train)
    boards = storyboards(fig, recs, opts, cache)
    if on_start:
        on_start("rendering", sum(b.total_frames for b in boards))
    render_storyboards(boards, output, opts, on_frames)
    verdict = holds(fig, recs)
    if opts.format == "mp4" and not opts.all_frames:  # what the gallery shows about this run
        page = explore_page(fig, recs, boards, opts, output.with_suffix(".html"), cache)
        sidecar(output, fig, metrics(recs), verdict, page)
    return verdict


def explore_page(fig: Figure, recs: list, boards: list, opts: RenderOptions, path: Path,
                 cache: Path | None = None) -> Path:
    """The figure's page (nntopo explore) beside its video, from the same storyboards (without
    --loop's rewind); a run drawn while it trains (knn, a training scene) as its storyboard's own
    screen frames."""
    from dataclasses import replace

    from ..atomic import write_text
    from ..explorer import data, document

    if opts.loop or opts.transparent:
        opts = replace(opts, loop=False, transparent=False, background="light" if opts.transparent else opts.background)
        boards = storyboards(fig, recs, opts, cache)
    parts = [data.build(b, r.y, opts.theme, opts.aspect) for b, r in zip(boards, recs)]
    titles = [run.title or fig.claim for run in fig.runs]
    return write_text(path, document.html(parts, f"nntopo explore: {fig.name}", titles))


def sidecar(video: Path, fig: Figure, measured: list, holds: bool, page: Path | None = None) -> Path:
    """Write NAME.json beside `video`: what the gallery shows about the run (atomically)."""
    from dataclasses import is_dataclass

    from ..atomic import write_text

    runs = [asdict(m) if is_dataclass(m) else m for m in measured]
    data = {"name": fig.name, "claim": fig.claim, "holds": holds, "video": video.name,
            "poster": video.with_suffix(".png").name, "runs": runs}
    if page is not None:  # the page to explore it (nntopo explore), beside the video
        data["page"] = page.name
    return write_text(video.with_suffix(".json"), json.dumps(data, indent=1))
