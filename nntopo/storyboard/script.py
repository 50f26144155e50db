"""What the video says: its blocks in order with their captions, the panel's lines, and the
overlay's numbers. Words only; where things move is the builders' job.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..nets import isotopy
from ..nets.solvers import ADAPTIVE
from ..recording import Meta, Recording
from .layout import Timing
from .paths import ease
from .timeline import Block, Kind

SEPARATOR = {2: "a line", 3: "a plane"}  # by the last representation's dimension; wider: a hyperplane


def stage_times(block: Block) -> np.ndarray:
    """The times t (frames,) a STAGE block plays its path at: eased, ending at 1. Its frame 0 is
    one step past the previous frame (which showed t = 0)."""
    return ease(np.linspace(0.0, 1.0, block.frames + 1)[1:])


def flow_blocks(plan: isotopy.Plan, timing: Timing, separated: bool,
                step_notes: dict[int, str] | None = None, picture: int = 2) -> list[Block]:
    """The layer-by-layer video: intro, every stage of every layer with a pause after it, outro.

    A vector-field step gets a block of its own first (ARROWS): the arrows of F appear over the
    still representation, then the points flow along them. step_notes: per vector-field layer,
    whether its step is invertible. picture: the dimensions of the picture; in 3D the camera
    turns, so nothing is still.
    """
    still = picture <= 2
    step_notes = step_notes or {}
    n = len(plan.layers)
    blocks = [Block(Kind.HOLD, timing.frames(timing.intro),
                    "Input: the data and the network's classification of the plane", still=still)]
    F = timing.frames(timing.stage)
    pause = timing.frames(timing.pause)
    for lp in plan.layers:
        head = f"Layer {lp.index + 1}/{n}"
        note = f" ({step_notes[lp.index]})" if lp.index in step_notes else ""
        if lp.step is not None and lp.step.kind == "ode":
            stages = [("integrate", f"{head}: {ode_caption(lp.step, picture)}{note}")]
        elif lp.step is not None and lp.step.kind == "residual":
            hf = "f(x)" if lp.step.h == 1 else f"{lp.step.h:g}·f(x)"
            blocks.append(Block(Kind.ARROWS, F, f"{head}: a residual block's f; each arrow ends where "
                                f"x + {hf} goes", layer=lp.index))
            stages = [("flow", f"{head}: flow along f, x → x + t·{hf}{note}")]
        elif lp.step is not None:
            blocks.append(Block(Kind.ARROWS, F, f"{head}: a learned vector field F; each arrow ends "
                                "where x + F(x) goes", layer=lp.index))
            stages = [("flow", f"{head}: flow along F, x → x + t·F(x){note}")]
        else:
            stages = [("linear", f"{head}: linear map W" + (f" ({lp.note})" if lp.note else "")),
                      ("translate", f"{head}: translation by b"),
                      ("activate", f"{head}: {lp.activation.describe()}")]
        for name, caption in stages:
            blocks.append(Block(Kind.STAGE, F, caption, layer=lp.index, stage=name))
            blocks.append(Block(Kind.HOLD, pause, caption, still=still))
    # The outro: the separating line fades in, then the picture holds.
    n_out = timing.frames(timing.outro)
    n_fade = min(timing.frames(timing.line_fade), n_out - 1)
    where = "The last representation" if plan.layers else "No hidden layer: the boundary is a line"
    line = SEPARATOR.get(max(2, plan.dim), "a hyperplane")
    if len(plan.head_b) > 1:  # a C-way head: regions bounded by pieces of hyperplanes
        outro = (f"{where}: the head's regions, each class in its own" if separated
                 else f"{where}: the head's regions; not every point is in its class's")
    elif separated:
        outro = f"{where}: {line} separates the classes"
    elif not plan.layers:
        outro = f"{where}, and it does not separate the classes"
    else:
        outro = f"{where}: no {line.split()[1]} separates the classes"
    return blocks + [Block(Kind.FADE, n_fade, outro), Block(Kind.HOLD, n_out - n_fade, outro, still=still)]


def ode_caption(ode, picture: int) -> str:
    """A neural ODE's stage: 'the flow of dx/dt = f(x), t 0 → 1', and when augmented (the state
    padded with zeros) ', lifted into R^3'. The panel names the solver."""
    f = "f(t, x)" if ode.time else "f(x)"
    text = f"the flow of dx/dt = {f}, t {ode.t0:g} → {ode.t1:g}"
    return text + (f", lifted into R^{ode.out_dim}" if ode.augment else "")


def input_blocks(rec: Recording, timing: Timing) -> list[Block]:
    """The input plane only: the data, the heat map and the decision boundary."""
    shape = "a line" if not rec.net.layers else "a curve"
    return [Block(Kind.HOLD, timing.frames(timing.intro + timing.outro + 2.0),
                  f"The network's classification of the plane: its boundary is {shape}", still=True)]


def step_notes(rec: Recording, extent: float) -> dict[int, str]:
    """Per vector-field layer: is its step invertible? As the recording measured it when it was
    made (its metrics' field_steps), the number the figures' checks read too."""
    from ..nets.vectorfield import Invertibility

    from ..analysis.metrics import STEPS, field_steps

    steps = rec.meta.metrics.field_steps
    if not steps and any(layer.kind in STEPS for layer in rec.net.layers):  # made before steps were measured
        steps = field_steps(rec.net, rec.X, extent)
    notes = {s.layer: Invertibility(s.lipschitz, s.folds).describe() for s in steps}
    for f in rec.meta.metrics.flows:  # a neural ODE: its flow's smallest det and its solver's work
        notes[f.layer] = f"det J ≥ {f.min_det:.2g}, {f.nfe} evaluations of f"
    return notes


def with_notes(blocks: list[Block], report) -> list[Block]:
    """The --overlay: each block shows the numbers of the stage it plays (or last played), from
    an analysis.inspect.Report."""
    from ..analysis.topology import betti_words

    by_stage = {(s.layer - 1, s.stage): s for s in report.stages}
    names = report.classes
    lines = (f"input: Betti {betti_words(names, report.input_betti)}",
             "linearly separable" if report.input_separable else "not linearly separable")
    out = []
    for b in blocks:
        if b.kind is Kind.STAGE:
            s = by_stage[(b.layer, b.stage)]
            det = "" if s.det is None else (
                f"min det(I+J) {s.det:+.3g}, " if b.stage == "flow" else
                f"min det J {s.det:+.3g}, " if b.stage == "integrate" else f"det W {s.det:+.3g}, ")
            apart = (f", {sum(s.apart)}/{len(s.apart)} cut off alone",) if s.apart else ()
            lines = (
                f"{det}cond {s.cond:.3g}: " + ("homeomorphism" if s.homeomorphism else "NOT a homeomorphism"),
                f"Betti {betti_words(names, s.betti)}" + ("*" if s.squashed else ""),
                f"best linear fit {100 * s.linear_accuracy:.1f}%{''.join(apart)}, |J| max {s.stretch_max:.3g}",
            ) + (("* squashed finer than the samples resolve",) if s.squashed else ())
        out.append(Block(b.kind, b.frames, b.caption, b.layer, b.stage, lines, b.still))
    return out


def training(meta: Meta, snapshots) -> str:
    """How the network was trained, in one panel line: 'seed 0, 3000 steps'."""
    if meta.train is None:  # trained elsewhere (nntopo.record of the user's model)
        return "trained by you"
    parts = [f"seed {meta.seed}"] if meta.seed is not None else []
    if len(snapshots):
        parts.append(f"{int(snapshots.steps[-1])} steps")
    if meta.train.contractive:
        parts.append(f"contractive {meta.train.contractive:g}")
    return ", ".join(parts) or "trained by nntopo"


def panel(rec: Recording, projection: tuple[str, ...] | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Side-panel lines describing the run, and the result lines shown at the end.

    projection: how a representation wider than the picture is shown (Projection.note())."""
    m, net = rec.meta.metrics, rec.net
    middle = []  # a run of equal layers, as "2 ×8": long networks stay one short line
    for name, group in itertools.groupby(net.labels()):
        k = len(list(group))
        middle += [name] * k if k < 3 else [f"{name} ×{k}"]
    shown = [str(rec.X.shape[1])] + middle + [str(len(net.head_b))]
    what = [net.activation] if net.activation else []
    if net.anchors is not None:
        what.append(f"F: vector field, {net.anchors} anchors")
    odes = [layer for layer in net.layers if layer.kind == "ode"]
    solver = ""
    if odes:  # a line of its own: the method and what sets its steps
        s = odes[0].solver
        solver = f"ODE solver {s.method}" + (f", step {s.step_size:g}" if s.step_size else
                                             f", rtol {_tiny(s.rtol)}, atol {_tiny(s.atol)}"
                                             if s.method in ADAPTIVE else "")
    if m.parameters is not None and net.layers:
        what.append(f"{m.parameters} parameters")
    info = [
        f"data: {rec.dataset} ({len(rec.X)} points)",
        f"network: {' → '.join(shown)}" + ("" if net.layers else ", linear classifier"),
    ] + ([", ".join(what)] if net.layers else []) + ([solver] if solver else []) + [training(rec.meta, rec.snapshots)]
    if projection:
        info += projection
    elif max([rec.X.shape[1]] + net.widths) == 3:
        info.append("3D: a turning camera (orthographic)")
    if rec.X.shape[1] == 1 and net.layers and net.layers[0].kind == "dense":
        # where each first-layer unit switches on
        W, b = net.layers[0].W[:, 0], net.layers[0].b
        cuts = ", ".join(f"{-bi / wi:+.2f}" for wi, bi in zip(W, b) if abs(wi) > 1e-9)
        info.append(f"unit thresholds: x = {cuts}")
    result = [f"training accuracy {100 * m.train_accuracy:.1f}%"]
    if m.class_accuracy is not None:  # C classes: each one's, a few to a line
        result.append(per_class(rec.classes, m.class_accuracy))
    if m.test_accuracy is not None:
        n, kind = m.test_points, m.test or "fresh"
        count = "" if n is None else f"{n:,}" if n < 100_000 else f"{n // 1000:,}k"
        which = f" ({count} {kind} points)" if count else f" ({kind})"
        result.append(f"test accuracy {100 * m.test_accuracy:.2f}%{which}")
    if m.max_stretch is not None and net.layers:
        p99 = f" (99th pct {m.p99_stretch:.3g})" if m.p99_stretch is not None else ""
        result.append(f"max stretch |J| = {m.max_stretch:.3g}{p99}")
    return tuple(info), tuple(result)


def _tiny(x: float) -> str:
    """A tolerance, short: 1e-3, 2.5e-7."""
    m, e = f"{x:.2g}".split("e") if "e" in f"{x:.2g}" else (f"{x:.2g}", None)
    return m if e is None and x >= 0.01 else f"{x:.1e}".replace(".0e", "e").replace("e-0", "e-")


def input_note(width: int, picture: int, shown: float | None) -> tuple[str, ...]:
    """What the panel says about a wide input's picture (plane.Sheet): 'input R^64 → R^3:
    principal directions', '31% variance; grid: the first two's plane'."""
    share = "" if shown is None else f"{100 * shown:.0f}% variance; "
    return (f"input R^{width} → R^{picture}: principal directions", f"{share}grid: the first two's plane")


def per_class(names: tuple[str, ...], accuracy: list[float]) -> str:
    """Each class's accuracy in one short line: the lowest three, unless every one is perfect."""
    below = sorted((a, name) for name, a in zip(names, accuracy) if a < 1.0)
    if not below:
        return "per class: 100% each"
    shown = ", ".join(f"{name} {100 * a:.1f}%" for a, name in below[:3])
    return f"lowest per class: {shown}" + (" (others 100%)" if len(below) < 3 and len(below) < len(names) else "")


def legend(classes: tuple[str, ...]) -> tuple[str, ...]:
    """The legend's rows: 'class A', 'class 3', or a name as it is ('inner'). Many classes named
    by numbers (the digits) are their numbers only, so that five fit in a row."""
    if len(classes) > 4 and all(c.lstrip("-").isdigit() for c in classes):
        return tuple(classes)
    return tuple(f"class {c}" if len(c) == 1 or c.lstrip("-").isdigit() else c for c in classes)


def wrong(rec: Recording, net) -> tuple[np.ndarray, ...]:
    """Which points of each class the network gets wrong: a boolean mask (n_c,) per class."""
    miss = net.predict(rec.X) != rec.y
    return tuple(miss[rec.y == c] for c in range(net.classes))
