"""What the presenter reads aloud: each stage's numbers (analysis.inspect) in words."""

from __future__ import annotations

from ..analysis.inspect import Report, StageReport
from .cut import Act

STAGE_WORDS = {"linear": "the linear map W", "translate": "the translation by b",
               "activate": "the activation", "flow": "the flow along the vector field",
               "integrate": "the neural ODE's flow"}
FEATURES = ("piece", "hole", "void")  # what Betti numbers b0, b1, b2 count


def betti(b: tuple[int, ...]) -> str:
    """(1, 1) -> 'one piece with 1 hole'."""
    parts = [f"{n} {name}{'s' if n != 1 else ''}" for n, name in zip(b, FEATURES) if n or name == "piece"]
    first = "one piece" if parts[0] == "1 piece" else parts[0]
    return first + (" with " + " and ".join(parts[1:]) if len(parts) > 1 else "")


def shapes(names: tuple[str, ...], bettis) -> str:
    """Every class's shape in a sentence; classes of the same shape together."""
    by: dict[tuple, list[str]] = {}
    for n, b in zip(names, bettis):
        by.setdefault(tuple(b), []).append(n)
    if len(by) == 1:
        return f"every class is {betti(next(iter(by)))}" if len(names) > 2 else f"both classes are {betti(next(iter(by)))}"
    return "; ".join(f"class{'es' if len(ns) > 1 else ''} {', '.join(ns)} {'are' if len(ns) > 1 else 'is'} {betti(b)}"
                     for b, ns in by.items())


def stage(s: StageReport, names: tuple[str, ...]) -> str:
    """One stage in words: what it is, whether it is a homeomorphism, what the classes look like
    after it, whether a linear classifier separates them, how much it stretches space."""
    what = STAGE_WORDS.get(s.stage, s.stage)
    out = [f"Layer {s.layer}, {what}."]
    if s.det is not None and s.stage in ("linear", "flow", "integrate"):
        orient = "keeps the orientation" if s.det > 0 else "flips the orientation"
        label = {"flow": "the smallest det(I + J)", "integrate": "the smallest det of the flow's Jacobian"}.get(
            s.stage, "det W")
        out.append(f"{label} is {s.det:+.3g}: it {orient}; condition number {s.cond:.3g}.")
    out.append(("It is a homeomorphism" if s.homeomorphism else "It is NOT a homeomorphism") + f" ({s.why}).")
    out.append(f"After it, {shapes(names, s.betti)}" + (" (squashed finer than the samples resolve)." if s.squashed else "."))
    if s.separable:
        out.append("A linear classifier now gets every point right.")
    else:
        out.append(f"No linear classifier separates the classes yet; the best gets {100 * s.linear_accuracy:.1f}% right.")
    if s.apart:
        out.append(f"{sum(s.apart)} of {len(s.apart)} classes can be cut from the rest by one hyperplane.")
    out.append(f"Space is stretched by up to {s.stretch_max:.3g} (99th percentile {s.stretch_p99:.3g}).")
    return " ".join(out)


def title(rep: Report) -> str:
    test = f" and {100 * rep.test_accuracy:.2f}% on {_test(rep)}" if rep.test_accuracy is not None else ""
    sep = ("a straight line already separates them" if rep.input_separable
           else "no straight line separates them")
    return (f"The data: {rep.dataset}, {len(rep.classes)} classes; at the input, {shapes(rep.classes, rep.input_betti)}, "
            f"and {sep}. The network: {rep.architecture}. It gets {100 * rep.train_accuracy:.1f}% of the "
            f"training points right{test}.")


def final(rep: Report) -> str:
    where = rep.separable_words()
    return (f"The last representation. The classes first become linearly separable at: {where}. "
            f"Training accuracy {100 * rep.train_accuracy:.1f}%"
            + (f", {100 * rep.test_accuracy:.2f}% on {_test(rep)}." if rep.test_accuracy is not None else "."))


def _test(rep: Report) -> str:
    """What the test accuracy is of, in words."""
    return f"{rep.test or 'fresh'} points"


def act(a: Act, rep: Report) -> list[str]:
    """The notes of every slide of an act, in order: its title slide, then each segment's (a
    segment of several stages says each of them; the outro, the final numbers)."""
    by_stage = {(s.layer - 1, s.stage): s for s in rep.stages}
    said = [title(rep)]
    for seg in a.segments:
        if seg.layer < 0:
            said.append(final(rep))
        else:
            said.append(" ".join(stage(by_stage[(seg.layer, s)], rep.classes) for s in seg.stages))
    return said
