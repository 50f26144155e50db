"""`nntopo inspect` for people and for scripts: an analysis.inspect.Report as a table, or as JSON."""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path

from .inspect import Report
from .topology import betti_words

STAGE_NAMES = {"linear": "W", "translate": "+b", "flow": "x+F(x)", "integrate": "flow"}  # "activate": the activation


def as_json(rep: Report) -> str:
    """The report as JSON; an infinite condition number becomes null (JSON has no infinity)."""
    def finite(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [finite(x) for x in v]
        return v

    return json.dumps(finite(rep.to_dict()), indent=2)


def cache_json(rep: Report) -> str:
    """The report exactly, for `from_json` to read back: floats as Python writes them (infinity
    as `Infinity`), so a report read from a cache is equal to the one measured."""
    return json.dumps(rep.to_dict())


def from_json(text: str) -> Report:
    """A report as `cache_json` writes it, checked field by field against Report's and
    StageReport's types (a cache file is untrusted input): ValueError for anything else."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"not a report: {e}") from None
    return _build(Report, data)


def _build(cls, data):
    names = {f.name for f in fields(cls)}
    if not isinstance(data, dict) or set(data) != names:
        raise ValueError(f"not a {cls.__name__}: its fields are {sorted(names)}")
    hints = typing.get_type_hints(cls)
    return cls(**{k: _typed(hints[k], v) for k, v in data.items()})


def _typed(t, v):
    """v (from JSON) as a value of type t: str, int, float, bool, None, unions of them,
    tuple[X, ...] and dataclasses; ValueError when it is not one."""
    args = typing.get_args(t)
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        for a in args:
            try:
                return _typed(a, v)
            except ValueError:
                pass
    elif typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis and isinstance(v, list):
        return tuple(_typed(args[0], x) for x in v)
    elif is_dataclass(t):
        return _build(t, v)
    elif t is type(None) and v is None:
        return None
    elif t in (bool, str) and type(v) is t:
        return v
    elif t is int and type(v) is int:
        return v
    elif t is float and type(v) in (int, float):
        return float(v)
    raise ValueError(f"{v!r:.40} is not a {t}")


def _b(betti: tuple[int, ...]) -> str:
    return ",".join(map(str, betti))


def measured_words(rep: Report) -> str:
    """What the numbers were measured on, in one line: the clouds and their subsample, which
    Betti numbers, the LPs and the linear fit, and a wide input's carrying dimension."""
    cloud = "fresh points" if rep.topology_fresh else "data points"
    sample = (f"a farthest-point sample of {rep.topology_points:,}" if rep.topology_cloud > rep.topology_points
              else "all of them")
    dims = ", ".join(f"b{k}" for k in range(rep.betti_dims + 1))
    only = " (no b2 wider than 3-D)" if rep.carried_dim is not None else ""
    text = (f"Betti {dims}{only}: persistent homology of up to {rep.topology_cloud:,} {cloud} per class ({sample}) "
            f"through each stage (rule: nntopo/analysis/topology.py); separability: ")
    text += (f"exact on all {rep.points:,} points" if rep.lp_points is None else
             f"an LP on only {rep.lp_points:,} of {rep.points:,} points (stratified), not proved for all")
    if rep.svc_points is not None:
        text += f"; LinearSVC fitted on {rep.svc_points:,} of {rep.points:,} (stratified)"
    if rep.carried_dim is not None:
        text += f"; input carried in {rep.carried_dim} of its {rep.input_dim} dimensions (exact)"
    return text


def print_table(rep: Report, path: Path) -> None:
    """The report as a rich table on stdout, with what the marks mean below it."""
    from rich.console import Console
    from rich.table import Table

    out = Console()
    test = f", {rep.test} test {100 * rep.test_accuracy:.2f}%" if rep.test_accuracy is not None else ""
    out.print(f"[bold]{path}[/]: {rep.dataset}, {rep.architecture}; "
              f"training accuracy {100 * rep.train_accuracy:.1f}%{test}")
    out.print(f"input: Betti {betti_words(rep.classes, rep.input_betti)}; "
              f"first linearly separable: {rep.separable_words()}")
    table = Table(show_lines=False, pad_edge=False)
    few = len(rep.classes) <= 4  # a Betti column per class; more classes share one
    betti_cols = [f"Betti {c}" for c in rep.classes] if few else ["Betti per class"]
    apart = ["apart"] if rep.stages and rep.stages[0].apart else []
    for col in ["layer", "stage", "det W", "cond", "homeo", "lin. fit", *apart, *betti_cols, "|J| max", "p99"]:
        table.add_column(col, justify="left" if col in ("stage", "homeo", "Betti per class") else "right")
    for s in rep.stages:
        flag = "*" if s.squashed else ""
        bettis = [_b(b) + flag for b in s.betti] if few else [betti_words(rep.classes, s.betti, _b) + flag]
        table.add_row(
            str(s.layer), STAGE_NAMES.get(s.stage, rep.activation or s.stage),
            "-" if s.det is None else f"{s.det:+.3g}", f"{s.cond:.3g}",
            "yes" if s.homeomorphism else "[red]NO[/]",
            "[green]100%[/]" if s.separable else f"{100 * s.linear_accuracy:.1f}%",
            *([f"{sum(s.apart)}/{len(s.apart)}"] if apart else []),
            *bettis, f"{s.stretch_max:.3g}", f"{s.stretch_p99:.3g}",
        )
    out.print(table)
    if apart:
        out.print("apart: classes one hyperplane cuts from all the others, after the stage; lin. fit: "
                  "100% when a linear C-way head gets every point right")
    for s in rep.stages:
        if not s.homeomorphism:
            out.print(f"NO at layer {s.layer} {s.stage}: {s.why}")
    if any(s.squashed for s in rep.stages):
        out.print("* Betti numbers changed at a homeomorphism: the stage squashed the set thinner "
                  "than the sample resolves (the essay's 'easy way out'), not a change of topology.")
    out.print(f"[dim]{measured_words(rep)}. {rep.seconds:.1f} s[/]")
