"""Topology on the numbers: what each stage of each layer does, measured.

For every layer and stage (linear, translate, activate) of a recording, laid out as the video
plays it (isotopy.plan), `inspect` reports:

- the linear map: det W (sign and size), its condition number, and whether the stage is a
  homeomorphism of the data's domain (nonsingular linear part, invertible activation; ReLU,
  singular and narrowing layers are flagged);
- linear separability of the representation after the stage: an exact LP test (C classes: is
  there a linear C-way head that gets every point right, and which classes can one hyperplane
  cut from all the others), and the accuracy of the best linear classifier LinearSVC finds;
- Betti numbers of each class's point cloud from persistent homology (ripser), by the rule in
  `betti`;
- local stretch: the largest singular value of the layer map's Jacobian up to this stage at the
  data points (max and 99th percentile), which exposes the "easy way out".
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ..data.datasets import make_dataset
from ..nets import isotopy, vectorfield
from ..nets.network import VectorField
from ..recording import Recording
from .topology import apart, betti, linear_accuracy, separable

TOPOLOGY_POINTS = 4000  # points per class of the dense sample whose topology is measured
TOPOLOGY_SEED_OFFSET = 2_000_003  # its seed: never the training data's


@dataclass(frozen=True)
class StageReport:
    layer: int  # 1-based
    stage: str  # linear, translate or activate
    det: float | None  # det W for a square W, else None
    cond: float  # condition number of W (ratio of extreme singular values)
    homeomorphism: bool  # is this stage a homeomorphism of the data's domain?
    why: str  # what makes it one or not
    separable: bool  # does a linear head (two classes: a hyperplane) get every point right after it?
    linear_accuracy: float  # the best linear classifier's accuracy after this stage
    betti: tuple[tuple[int, ...], ...]  # per class: its Betti numbers after this stage
    apart: tuple[bool, ...]  # C > 2, per class: one hyperplane cuts it from the rest; () for two
    stretch_max: float  # largest singular value of the layer's Jacobian so far, over the data
    stretch_p99: float  # its 99th percentile
    # The Betti numbers changed although the stage is a homeomorphism: it squashed a set thinner
    # than the sample resolves (the essay's "easy way out"), not a change of topology.
    squashed: bool = False


@dataclass(frozen=True)
class Report:
    dataset: str
    architecture: str
    activation: str | None  # of the dense layers (None: there are none)
    classes: tuple[str, ...]  # the classes' names, label 0 first
    train_accuracy: float
    test_accuracy: float | None
    input_betti: tuple[tuple[int, ...], ...]  # per class
    input_separable: bool
    stages: tuple[StageReport, ...]
    # The first layer after which the classes are linearly separable (0: the input already;
    # None: never), and the stage of that layer where they become so (None for the input).
    first_separable: int | None
    first_separable_stage: str | None
    seconds: float  # how long the measuring took

    def to_dict(self) -> dict:
        return asdict(self)

    def separable_words(self) -> str:
        """Where the classes first become linearly separable: 'input', 'layer 2 activate', 'never'."""
        if self.first_separable is None:
            return "never"
        return "input" if self.first_separable == 0 else f"layer {self.first_separable} {self.first_separable_stage}"


def _linear_facts(W: np.ndarray, lp: isotopy.LayerPlan) -> tuple[float | None, float, bool, str]:
    m, n = W.shape
    s = np.linalg.svd(W, compute_uv=False)
    cond = float(s[0] / s[-1]) if s[-1] > 0 else float("inf")
    det = float(np.linalg.det(W)) if m == n else None
    if m < n:
        return det, cond, False, f"narrows R^{n} -> R^{m}"
    if lp.collapse:
        return det, cond, False, "singular W (det = 0)" if m == n else "W not injective"
    if m > n:
        return det, cond, True, f"embeds R^{n} in R^{m} (injective)"
    return det, cond, True, "det W != 0"


def architecture(rec: Recording) -> str:
    """'2 -> 2 -> 1, tanh', or with vector-field steps '2 -> F2 -> F2 -> 1, vector field (8 anchors)'."""
    text = " -> ".join([str(rec.X.shape[1])] + rec.net.labels() + [str(len(rec.net.head_b))])
    if rec.net.activation is not None:
        text += f", {rec.net.activation}"
    if rec.net.anchors is not None:
        text += f", vector field ({rec.net.anchors} anchors)"
    return text


def _step_facts(step: VectorField, x: np.ndarray, dense: np.ndarray) -> tuple[float, float, bool, str]:
    """A vector-field step on the region around the data x and the dense sample: the smallest
    det(I + J_F), the largest condition number of I + J_F, and whether the step is invertible."""
    where = np.concatenate([vectorfield.region(np.concatenate([x, dense])), x])
    J = step.jacobian(where)
    det = float(np.linalg.det(J).min())
    s = np.linalg.svd(J, compute_uv=False)
    cond = float((s[:, 0] / np.maximum(s[:, -1], 1e-300)).max())
    inv = vectorfield.Invertibility(vectorfield.lipschitz_estimate(step, where), det <= 0)
    return det, cond, not inv.folds, inv.describe()


def inspect(rec: Recording) -> Report:
    """Measure every stage of every layer of `rec` (see the module docstring)."""
    t0 = time.perf_counter()
    in_dim = rec.X.shape[1]
    plan = isotopy.plan(rec.net, in_dim)
    maxdim = 2 if plan.dim >= 3 else 1
    y = rec.y
    x = isotopy.pad(rec.X, plan.dim)
    # Topology is measured on a dense fresh sample of the true sets, carried through the same
    # stages: where a layer stretches space, 250 training points tear apart long before the set
    # does, and the Betti numbers would report the sampling, not the map.
    C = rec.net.classes
    if rec.sampled:
        Xd, yd = make_dataset(rec.dataset, TOPOLOGY_POINTS, rec.meta.seed + TOPOLOGY_SEED_OFFSET, C)
    else:  # the user's own points: they are all there is
        Xd, yd = rec.X, rec.y
    xd = isotopy.pad(Xd, plan.dim)
    J = np.broadcast_to(np.eye(plan.dim), (len(x), plan.dim, plan.dim))  # of this layer so far
    stages = []
    first = None
    input_betti = tuple(betti(Xd[yd == c], maxdim) for c in range(C))
    previous = input_betti
    for lp, layer in zip(plan.layers, plan.net.layers):
        if lp.step is None:
            det, cond, lin_homeo, why = _linear_facts(layer.W, lp)
            act = lp.activation
        for name in lp.stages:
            before, xd_before = x, xd
            x = isotopy.stage_end(lp, name, x)
            xd = isotopy.stage_end(lp, name, xd)
            if name == "flow":
                k = lp.out_dim
                det, cond, homeo, reason = _step_facts(lp.step, before[:, :k], xd_before[:, :k])
                Jf = np.broadcast_to(np.eye(plan.dim), J.shape).copy()
                Jf[:, :k, :k] = lp.step.jacobian(before[:, :k])
                J = Jf @ J
            elif name == "linear":
                J = np.broadcast_to(lp.M, J.shape)
                homeo, reason = lin_homeo, why
            elif name == "translate":
                homeo, reason = True, "translation"
            else:
                d = np.ones_like(before)
                d[:, : lp.out_dim] = act.numpy_deriv(before[:, : lp.out_dim])
                J = d[:, :, None] * J
                homeo = act.invertible
                reason = f"{act.label} is invertible" if homeo else f"{act.label} folds"
            sv = np.linalg.svd(J[:, : lp.out_dim], compute_uv=False)[:, 0]
            sep = separable(x, y)
            betti_now = tuple(betti(xd[yd == c], maxdim) for c in range(C))
            squashed = homeo and betti_now != previous
            previous = betti_now
            stages.append(StageReport(
                layer=lp.index + 1,
                stage=name,
                det=det,
                cond=cond,
                homeomorphism=homeo,
                why=reason,
                separable=sep,
                linear_accuracy=linear_accuracy(x, y),
                betti=betti_now,
                apart=apart(x, y, C) if C > 2 else (),
                stretch_max=float(sv.max()),
                stretch_p99=float(np.percentile(sv, 99)),
                squashed=squashed,
            ))
            if sep and first is None:
                first = (lp.index + 1, name)
    m = rec.meta.metrics
    input_sep = separable(rec.X, y)
    return Report(
        dataset=rec.dataset,
        architecture=architecture(rec),
        activation=rec.net.activation,
        classes=rec.classes,
        train_accuracy=m.train_accuracy,
        test_accuracy=m.test_accuracy,
        input_betti=input_betti,
        input_separable=input_sep,
        stages=tuple(stages),
        first_separable=0 if input_sep else first[0] if first else None,
        first_separable_stage=None if input_sep or not first else first[1],
        seconds=time.perf_counter() - t0,
    )
