"""The rows of a sweep (sweep.py), and what is read off them: one row per cell in Parquet or CSV
(by the file's suffix), written atomically; the table the essay would print (Markdown), and a
plot of the error by depth.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ..atomic import replacing, write_text
from ..errors import NntopoError

SUFFIXES = (".parquet", ".csv")
# The columns, in order, with their types (pyarrow's names); every row has all of them.
COLUMNS: dict[str, str] = {
    # the recipe
    "key": "string", "dataset": "string", "layers": "int64", "width": "int64", "activation": "string",
    "layer_type": "string", "augment": "int64", "seed": "int64", "steps": "int64", "points": "int64", "classes": "int64",
    "data": "string",
    # the numbers (null when the cell failed)
    "train_accuracy": "float64", "test_error": "float64", "test": "string", "max_stretch": "float64", "p99_stretch": "float64",
    "det_signs": "string", "homeomorphisms": "string", "homeomorphism": "bool", "betti_input": "string",
    "betti_last": "string", "separable_after": "int64", "parameters": "int64",
    "nfe": "int64", "min_det": "float64",  # neural ODEs: f's evaluations, the flow Jacobian's smallest det
    # the run
    "error": "string", "seconds": "float64", "worker": "string",
}


def check_suffix(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise NntopoError(f"{path}: results are written as .parquet or .csv (by the suffix)")
    return path


def write(rows: list[dict], path: str | Path) -> Path:
    """All rows to `path` (.parquet or .csv), replacing it in one rename."""
    path = check_suffix(path)
    rows = [{c: r.get(c) for c in COLUMNS} for r in rows]
    if path.suffix == ".csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
        return write_text(path, buf.getvalue())
    pa, pq = _pyarrow()
    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(c, types[t]) for c, t in COLUMNS.items()])
    table = pa.Table.from_pylist(rows, schema=schema)
    with replacing(path) as tmp:
        pq.write_table(table, tmp)
    return path


def _pyarrow():
    """pyarrow and its parquet module, or the one line that says how to install them."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise NntopoError("results as Parquet need pyarrow: pip install 'nntopo[sweep]' (or write .csv)") from None
    return pyarrow, pyarrow.parquet


def read(path: str | Path) -> list[dict]:
    """The rows of a results file (a one-line NntopoError if it is not one)."""
    path = check_suffix(path)
    if not path.is_file():
        raise NntopoError(f"{path}: no such file")
    try:
        if path.suffix == ".csv":
            with open(path, newline="") as f:
                rows = [_typed(r) for r in csv.DictReader(f)]
        else:
            rows = _pyarrow()[1].read_table(path).to_pylist()
    except NntopoError:
        raise
    except Exception as e:  # noqa: BLE001: any unreadable file is one line
        raise NntopoError(f"{path}: not a results file of nntopo sweep ({type(e).__name__})") from None
    if rows and not {"key", "dataset", "layers", "width", "error"} <= set(rows[0]):
        raise NntopoError(f"{path}: not a results file of nntopo sweep (columns {', '.join(list(rows[0])[:5])}, ...)")
    return rows


def _typed(r: dict) -> dict:
    """A CSV row with the columns' types back (empty: None)."""
    out = {}
    for c, v in r.items():
        t = COLUMNS.get(c, "string")
        if v == "" or v is None:
            out[c] = None
        elif t == "int64":
            out[c] = int(v)
        elif t == "float64":
            out[c] = float(v)
        elif t == "bool":
            out[c] = v == "True"
        else:
            out[c] = v
    return out


# --- reading them -----------------------------------------------------------------------------


TEST_WORDS = {"fresh": "error on fresh points of the true sets", "held-out": "error on the held-out points",
              None: "training error (no test points)"}


def test_kind(rows: list[dict], dataset: str) -> str | None:
    """What the errors of `dataset`'s rows are of: "fresh", "held-out", or None (training error:
    a CSV). Files written before the column say nothing: a test error there is a fresh one."""
    kinds = {r.get("test") or ("fresh" if r.get("test_error") is not None else None)
             for r in rows if r["dataset"] == dataset and r.get("error") is None}
    return kinds.pop() if len(kinds) == 1 else None


def groups(rows: list[dict]) -> dict[tuple, dict[tuple[int, int], list[float]]]:
    """The test errors (fresh or held-out points; the training error for a CSV) of the finished
    rows, by (dataset, activation, layer type), then by (layers, width): a list over seeds."""
    out: dict = {}
    for r in rows:
        if r.get("error") is not None or (r.get("test_error") is None and r.get("train_accuracy") is None):
            continue  # failed, or holds no numbers (a row edited by hand)
        err = r["test_error"] if r.get("test_error") is not None else 1.0 - r["train_accuracy"]
        out.setdefault((r["dataset"], r["activation"], r["layer_type"], r.get("augment") or 0), {}).setdefault(
            (r["layers"], r["width"]), []).append(err)
    return out


def _spread(v: list[float], fmt: str) -> str:
    """A mean and its range over seeds: '12.3 (4.5–20.1)'."""
    return f"{fmt.format(_mean(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"


def flows_table(rows: list[dict]) -> list[str]:
    """The neural ODEs' rows: per dataset, depth, width and augment, the test error, the largest
    stretch and f's evaluations, mean (min–max) over seeds. [] without ODE rows."""
    by: dict = {}
    for r in rows:
        if r.get("error") is None and r.get("nfe") is not None and r.get("test_error") is not None:
            by.setdefault((r["dataset"], r["layers"], r["width"], r.get("augment") or 0), []).append(r)
    if not by:
        return []
    out = ["**neural ODEs**: mean (min–max) over seeds\n",
           "| data | layers | width | augment | test error, % | max stretch | f evaluations | seeds |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (dataset, d, w, k), rs in sorted(by.items()):
        err = [100 * r["test_error"] for r in rs]
        out.append(f"| {dataset} | {d} | {w} | {k} | {_spread(err, '{:.2f}')} | "
                   f"{_spread([r['max_stretch'] for r in rs], '{:.3g}')} | "
                   f"{_spread([float(r['nfe']) for r in rs], '{:.0f}')} | {len(rs)} |")
    return out + [""]


def markdown(rows: list[dict]) -> str:
    """The table the essay would print: per dataset (and activation, layer type), the mean and
    range of the dense-test error over seeds, one row per depth, one column per width."""
    out = []
    failed = sum(r.get("error") is not None for r in rows)
    for (dataset, act, lt, k), cells in groups(rows).items():
        depths = sorted({d for d, _ in cells})
        widths = sorted({w for _, w in cells})
        kind = "" if lt == "dense" else f", {lt}"
        kind += f", augment {k}" if k else ""
        words = TEST_WORDS[test_kind(rows, dataset)]
        out.append(f"**{dataset}**, {act}{kind}: {words}, mean (min–max) over seeds\n")
        out.append("| layers | " + " | ".join(f"width {w}" for w in widths) + " |")
        out.append("| ---: | " + " | ".join("---:" for _ in widths) + " |")
        for d in depths:
            line = []
            for w in widths:
                e = cells.get((d, w))
                line.append("" if not e else f"{100 * _mean(e):.1f}% ({100 * min(e):.1f}–{100 * max(e):.1f}, n={len(e)})")
            out.append(f"| {d} | " + " | ".join(line) + " |")
        out.append("")
    out += flows_table(rows)
    if failed:
        out.append(f"{failed} cell{'s' if failed > 1 else ''} failed (their rows hold the error).\n")
    if not out:
        return "no finished cells\n"
    return "\n".join(out) + "\n"


def _mean(v: list[float]) -> float:
    return math.fsum(v) / len(v)


def plot(rows: list[dict], path: str | Path) -> Path:
    """Error by depth, one line per width, the seeds' range as a band; a panel per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    by = groups(rows)
    if not by:
        raise NntopoError("no finished cells to plot")
    fig, axes = plt.subplots(1, len(by), figsize=(5 * len(by), 3.6), squeeze=False)
    for ax, ((dataset, act, lt, k), cells) in zip(axes[0], by.items()):
        for w in sorted({w for _, w in cells}):
            depths = sorted(d for d, ww in cells if ww == w)
            errs = [cells[(d, w)] for d in depths]
            mean = [100 * _mean(e) for e in errs]
            line, = ax.plot(depths, mean, marker="o", label=f"width {w}")
            ax.fill_between(depths, [100 * min(e) for e in errs], [100 * max(e) for e in errs],
                            color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_title(f"{dataset}, {act}" + ("" if lt == "dense" else f", {lt}") + (f", augment {k}" if k else ""))
        ax.set_xlabel("hidden layers")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel({"fresh": "error on fresh points (%)", "held-out": "error on held-out points (%)"}.get(
            test_kind(rows, dataset), "training error (%)"))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path = Path(path)
    with replacing(path) as tmp:
        fig.savefig(tmp, format=path.suffix[1:] or "png", dpi=120)
    plt.close(fig)
    return path
