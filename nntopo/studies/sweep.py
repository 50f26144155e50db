"""Studies: a grid of networks, every cell trained with `nntopo train`'s recipe and measured as
`nntopo inspect` measures it, each cell a task of dask.distributed.

    Cell      one network of the grid: its recipe (dataset, depth, width, activation, layer type,
              augment, seed, steps, points) and the key that names it (a hash of the recipe)
    grid      the cells of datasets x layers x widths x activations x layer types (x augments,
              for ode layers) x seeds, each checked before anything runs
    measure   one cell, on a worker: train, inspect, one row of numbers (or of its error)
    cluster   the Dask client: a local cluster of processes (one per core, one thread each, on the
              loopback address), or an existing scheduler's address; the same code path
    run       the cells not yet in the output, streamed back as they finish; every row is
              written at once (results.write: atomic), so a re-run resumes and Ctrl-C keeps all

The numbers of a row are those of `nntopo train` + `nntopo inspect` on the same recipe, by
construction: the same functions compute them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from ..config import LAYER_TYPES, DataConfig, NetConfig, Progress, TrainConfig, in_range, one_of
from ..errors import NntopoError
from ..version import __version__

MAX_CELLS = 100_000  # a grid larger than this is refused: it is a typo, not a study


@dataclass(frozen=True)
class Cell:
    dataset: str  # a name of datasets.NAMES, or the name of the user's CSV
    layers: int  # hidden layers
    width: int  # units per dense hidden layer
    activation: str  # of the dense layers
    layer_type: str  # of every hidden layer: one of LAYER_TYPES
    seed: int  # of the data and the initialisations
    steps: int = TrainConfig.steps  # full-batch training steps per restart
    points: int = DataConfig.points  # data points per class (a dataset of the registry)
    classes: int | None = None  # blobs: how many classes
    data: str | None = None  # the user's CSV (a path every worker can read), instead of a dataset
    label: str | None = None  # the CSV's label column (None: the last)
    augment: int = 0  # ode layers: zeros appended to the state (ANODE)

    def recipe(self) -> dict:
        """What decides the cell's numbers (the key's input), and nntopo's version."""
        out = asdict(self)
        if self.label is None:  # the keys of cells written before --label stay theirs
            del out["label"]
        if not self.augment:  # and those written before --augment
            del out["augment"]
        if self.data is not None:  # the file's content, not where it lies
            out["data"] = hashlib.sha256(Path(self.data).read_bytes()).hexdigest()
        return {**out, "nntopo": __version__}

    @cached_property
    def key(self) -> str:
        """The recipe's hash (computed once: a CSV's content is read for it)."""
        return hashlib.sha256(json.dumps(self.recipe(), sort_keys=True).encode()).hexdigest()[:16]

    def net(self, in_dim: int = NetConfig.in_dim) -> NetConfig:
        return NetConfig(in_dim, self.layers, self.width, self.activation, (self.layer_type,), augment=self.augment)

    def source(self) -> DataConfig:
        """The cell's data: its dataset's sample, or the user's CSV."""
        if self.data is not None:
            return DataConfig(csv=self.data, label=self.label, seed=self.seed)
        return DataConfig(self.dataset, points=self.points, classes=self.classes, seed=self.seed)


def grid(datasets: list[str], layers: list[int], widths: list[int], activations: list[str],
         layer_types: list[str], seeds: list[int], steps: int = TrainConfig.steps,
         points: int = DataConfig.points, classes: int | None = None, data: str | None = None,
         label: str | None = None, augments: list[int] = (0,)) -> list[Cell]:
    """Every combination, in order, each checked as `nntopo train` checks it (ConfigError).

    augments is an axis of the cells with an ode layer (layer type ode, 1 or more layers); the
    others are made once, with augment 0 (a grid without such cells refuses any other augment, as
    `nntopo train` does)."""
    from ..data.datasets import dim_of

    for name in datasets:  # the data's own checks, as train makes them (each cell's seed: below)
        DataConfig(name, points=points, classes=classes)
    if data is not None:
        DataConfig(csv=data, points=points, classes=classes)
    for t in layer_types:
        one_of("layer_type", t, LAYER_TYPES)
    TrainConfig(steps=steps)
    sources = [(name, None) for name in datasets] + ([(Path(data).name, str(data))] if data else [])
    augments = list(augments)
    flows = any(lt == "ode" and l > 0 for lt in layer_types for l in layers)  # cells with an ode layer

    def augments_of(l: int, lt: str) -> list[int]:
        """The augments of the cells of depth l and layer type lt."""
        return augments if not flows or (lt == "ode" and l > 0) else [0]

    shapes = [(l, lt, k) for l in layers for lt in layer_types for k in augments_of(l, lt)]
    total = len(sources) * len(shapes) * len(widths) * len(activations) * len(seeds)
    if total > MAX_CELLS:
        raise NntopoError(f"this grid has {total:,} cells; a sweep runs up to {MAX_CELLS:,}")
    cells = []
    for (name, path), l, w, act, lt, s in itertools.product(sources, layers, widths, activations, layer_types, seeds):
        for k in augments_of(l, lt):
            cell = Cell(name, l, w, act, lt, s, steps, points, classes if path is None else None, path,
                        label if path is not None else None, k)
            cell.net(dim_of(name) if path is None else 1)  # the network's own checks
            cell.source()  # and its data's, seed included
            cells.append(cell)
    return cells


def numbers(field: str, text: str, each: str | None = None) -> list[int]:
    """'1-8', '2,3', '0,2-4' -> the integers of option `field`, each checked against
    RANGES[each or field] (ConfigError, naming `field`)."""
    from ..errors import ConfigError

    out = []
    for part in text.split(","):
        a, sep, b = part.strip().partition("-")
        try:
            lo, hi = int(a), int(b) if sep else int(a)
        except ValueError:
            raise ConfigError(field, repr(text), "expected numbers and ranges, like 1-8 or 2,3") from None
        if hi < lo:
            raise ConfigError(field, repr(text), f"the range {lo}-{hi} is empty")
        if hi - lo > MAX_CELLS:
            raise ConfigError(field, repr(text), f"the range {lo}-{hi} is too long")
        for v in range(lo, hi + 1):
            try:
                out.append(in_range(each or field, v))
            except ConfigError as e:
                raise ConfigError(field, v, e.rule) from None
    return list(dict.fromkeys(out))


def names(field: str, text: str, choices) -> list[str]:
    """'tanh,relu' -> the names, each one of `choices` (ConfigError)."""
    out = [t.strip() for t in text.split(",") if t.strip()]
    if not out:
        from ..errors import ConfigError

        raise ConfigError(field, repr(text), f"expected one or more of {', '.join(choices)}")
    for t in out:
        one_of(field, t, choices)
    return list(dict.fromkeys(out))


# --- one cell, on a worker ----------------------------------------------------------------------


def measure(cell: Cell, keep: str | None = None) -> dict:
    """Train `cell` and inspect it: one row (results.COLUMNS). A failure is the row's error, so a
    worker always answers; keep: a folder for the cell's recording (KEY.npz)."""
    t0 = time.perf_counter()
    row = {**asdict(cell), "key": cell.key}
    row.pop("label")  # not a column: the data's key (its content) and the name say which file
    try:
        row.update(_numbers(cell, keep))
    except Exception as e:  # noqa: BLE001: any failure of a cell is that cell's, not the sweep's
        row["error"] = _error(e)
    row["seconds"] = time.perf_counter() - t0
    row["worker"] = f"{os.uname().nodename}:{os.getpid()}"
    return row


def _error(e: BaseException) -> str:
    """A cell's error in one line: 'ConfigError: dataset ...'."""
    return f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__


def _numbers(cell: Cell, keep: str | None) -> dict:
    from ..analysis.inspect import inspect
    from ..training.recipe import train_recording

    rec = train_recording(cell.source(), cell.net(), TrainConfig(steps=cell.steps))
    rep = inspect(rec)
    m = rec.meta.metrics
    layers = {}  # per layer: its stages' reports
    for s in rep.stages:
        layers.setdefault(s.layer, []).append(s)
    last = rep.stages[-1] if rep.stages else None
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        rec.save(Path(keep) / f"{cell.key}.npz")
    return {
        "train_accuracy": m.train_accuracy,
        "test_error": None if m.test_accuracy is None else 1.0 - m.test_accuracy,
        "test": None if m.test_accuracy is None else m.test or "fresh",  # of fresh or held-out points
        "max_stretch": m.max_stretch,
        "p99_stretch": m.p99_stretch,
        # per layer, in order: the sign of det W of the linear stage (. for a non-square W or a
        # vector-field step), and whether every stage of the layer is a homeomorphism
        "det_signs": "".join(_sign(ss[0].det) if ss[0].stage == "linear" else "." for ss in layers.values()),
        "homeomorphisms": "".join("1" if all(s.homeomorphism for s in ss) else "0" for ss in layers.values()),
        "homeomorphism": all(s.homeomorphism for s in rep.stages),
        "betti_input": _betti(rep.classes, rep.input_betti),
        "betti_last": _betti(rep.classes, last.betti if last else rep.input_betti),
        "separable_after": rep.first_separable,  # the first layer after which a linear head gets every point (0: the input)
        "parameters": m.parameters,
        "nfe": sum(f.nfe for f in m.flows) if m.flows else None,
        "min_det": min(f.min_det for f in m.flows) if m.flows else None,
        "error": None,
    }


def _sign(det: float | None) -> str:
    return "." if det is None else "+" if det > 0 else "-" if det < 0 else "0"


def _betti(names: tuple[str, ...], bettis) -> str:
    """'A 1,0; B 1,1': every class's Betti numbers."""
    return "; ".join(f"{n} {','.join(map(str, b))}" for n, b in zip(names, bettis))


# --- the cluster, and the run -------------------------------------------------------------------


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A dask.distributed Client: of the scheduler at `scheduler` (tcp://host:port), or of a local
    cluster of `workers` processes (default: one per core), one thread each, on 127.0.0.1 and
    without a dashboard. Quiet: the cluster's own logging shows errors only."""
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as e:
            raise NntopoError(f"no Dask scheduler answers at {scheduler} ({type(e).__name__})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as local, Client(local) as client:
        yield client


def run(cells: list[Cell], output: str | Path, client, progress: Progress | None = None,
        keep: str | None = None, on_start: Callable[[int, int], None] | None = None) -> list[dict]:
    """Measure the cells that `output` does not hold yet on `client`'s workers, writing every row
    to `output` as it arrives (results.write). Cells that failed before are run again.
    on_start(already, to_run) first; progress(1) per finished cell. Returns all rows."""
    from distributed import as_completed

    from . import results

    output = Path(output)
    rows = results.read(output) if output.exists() else []
    done = {r["key"] for r in rows if r.get("error") is None}
    todo = [c for c in cells if c.key not in done]
    todo = list({c.key: c for c in todo}.values())  # a cell asked for twice runs once
    if on_start is not None:
        on_start(len(cells) - len(todo), len(todo))
    if not todo:
        return rows
    again = {c.key for c in todo}
    rows = [r for r in rows if r["key"] not in again]  # failed rows are replaced by the new run
    futures = {client.submit(measure, c, keep, key=f"nntopo-cell-{c.key}", pure=False): c for c in todo}
    try:
        for fut in as_completed(futures):
            cell = futures[fut]
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001: a worker died under the cell: its error
                row = {**asdict(cell), "key": cell.key, "error": _error(e)}
            rows.append(row)
            results.write(rows, output)
            if progress is not None:
                progress(1)
    finally:
        for fut in futures:
            fut.cancel()
    return rows
