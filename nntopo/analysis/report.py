"""`nntopo inspect` for people and for scripts: an analysis.inspect.Report as a table, or as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .inspect import TOPOLOGY_POINTS, Report
from .topology import betti_words

STAGE_NAMES = {"linear": "W", "translate": "+b", "flow": "x+F(x)"}  # "activate": the activation


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


def _b(betti: tuple[int, ...]) -> str:
    return ",".join(map(str, betti))


def print_table(rep: Report, path: Path) -> None:
    """The report as a rich table on stdout, with what the marks mean below it."""
    from rich.console import Console
    from rich.table import Table

    out = Console()
    test = f", test {100 * rep.test_accuracy:.2f}%" if rep.test_accuracy is not None else ""
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
    out.print(f"[dim]Betti numbers: persistent homology of {TOPOLOGY_POINTS:,} fresh points per class "
              f"carried through each stage (rule: nntopo/analysis/topology.py). {rep.seconds:.1f} s[/]")
