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

A translation moves no point relative to another: the Betti numbers (whitening centres the
clouds), the separability and the best linear classifier after it are those after the linear
map, and are not measured again (a third of the measuring of a dense layer).

A wide input (more than three dimensions: digits' 64 pixels, MNIST's 784) is carried through the
stages in the few dimensions the network reads it through (nets.reduce: exact, 784 pixels into a
32-unit layer in 35), so the plan and the Jacobians are of that size; the input's own numbers
(Betti per class, separability) are measured on the data in R^n itself. Its clouds get b0 and b1
only, measured as they are rather than whitened (topology's docstring), and what was measured on
a subsample says so in the Report (topology_points, lp_points, svc_points). The Jacobians are
never held for all points at once: each stage's stretch is computed a chunk of points at a time.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ..data.datasets import make_dataset
from ..nets import isotopy, vectorfield
from ..nets.network import ODE, Residual, VectorField
from ..nets.reduce import Reduction, reduce
from .. import forks
from ..recording import Recording
from .metrics import WIDE, chunks
from .topology import (MAX_PH_POINTS, SVC_ITER, SVC_POINTS, Separability, betti, linear_accuracy, ph_points,
                       separability)

TOPOLOGY_POINTS = 4000  # points per class of the dense sample whose topology is measured
TOPOLOGY_SEED_OFFSET = 2_000_003  # its seed: never the training data's
FIELD_LATTICE = 4  # a vector-field step of at most this many dimensions is checked on a lattice too


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
    test: str | None  # what test_accuracy is of: "fresh" points of the true sets, or "held-out" ones
    input_betti: tuple[tuple[int, ...], ...]  # per class
    input_separable: bool
    stages: tuple[StageReport, ...]
    # The first layer after which the classes are linearly separable (0: the input already;
    # None: never), and the stage of that layer where they become so (None for the input).
    first_separable: int | None
    first_separable_stage: str | None
    seconds: float  # how long the measuring took
    # What the numbers were measured on (every subsample is deterministic):
    points: int = 0  # the recording's points: separability, linear fit and stretch are measured on them
    input_dim: int = 0  # the input's own dimension
    carried_dim: int | None = None  # a wide input was carried through the stages in this many dimensions (nets.reduce, exact); None: in its own
    topology_cloud: int = 0  # points of the largest class in the clouds whose Betti numbers are measured
    topology_fresh: bool = True  # those clouds are a fresh sample of the true sets (False: the data's own points)
    topology_points: int = MAX_PH_POINTS  # at most this many points per class reach persistent homology (farthest-point subsample)
    betti_dims: int = 1  # Betti numbers b0 ... b_betti_dims are measured (1 for a wide input: its b2 is not resolved)
    lp_points: int | None = None  # some separability answer rests on an LP of only this many points (stratified subsample; the fewest), not proved for all; None: every answer holds for every point
    svc_points: int | None = None  # LinearSVC was fitted on this many points (stratified subsample) and scored on all; None: on all of them

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
    det(I + J_F), the largest condition number of I + J_F, and whether the step is invertible.
    The region is a lattice for steps of up to FIELD_LATTICE dimensions, the points themselves
    wider; the Jacobians (P, k, k) are taken a chunk of points at a time."""
    pts = np.concatenate([x, dense])
    where = np.concatenate([vectorfield.region(pts), x]) if x.shape[1] <= FIELD_LATTICE else pts
    k = x.shape[1]
    det, cond, lip = np.inf, 0.0, 0.0
    for sl in chunks(len(where), 3 * k * k):
        J = step.jacobian(where[sl])
        det = min(det, float(np.linalg.det(J).min()))
        s = np.linalg.svd(J, compute_uv=False)
        cond = max(cond, float((s[:, 0] / np.maximum(s[:, -1], 1e-300)).max()))
        lip = max(lip, vectorfield.lipschitz_estimate(step, where[sl]))
    inv = vectorfield.Invertibility(lip, det <= 0)
    return det, cond, not inv.folds, inv.describe()


def _ode_facts(ode: ODE, x: np.ndarray, dense: np.ndarray) -> tuple[float, float, bool, str]:
    """A neural ODE's flow on the data's states x (N, k) and the dense sample's: the smallest
    det of the flow map's Jacobian, its largest condition number, and whether it is a
    homeomorphism (a flow is one; its det says the solver kept it one: positive everywhere)."""
    pts = np.concatenate([x, dense])
    k = x.shape[1]
    det, cond = np.inf, 0.0
    for sl in chunks(len(pts), 4 * k * k + 16):
        J = ode.flow_jacobian(pts[sl])
        det = min(det, float(np.linalg.det(J).min()))
        s = np.linalg.svd(J, compute_uv=False)
        cond = max(cond, float((s[:, 0] / np.maximum(s[:, -1], 1e-300)).max()))
    if det > 0:
        return det, cond, True, f"a flow: a homeomorphism (min det J {det:.3g})"
    return det, cond, False, f"min det J {det:.3g}: the solver's steps fold space"


# --- the Jacobian of the layer so far, in factors: never (N, D, D) for all points at once -------


@dataclass(frozen=True)
class _Scale:
    d: np.ndarray  # (N, D) the activation's derivative at each point (1 beyond the layer's width)

    def apply(self, J: np.ndarray, sl: slice) -> np.ndarray:
        """diag(d) J for the points sl: J (n, D, D)."""
        return self.d[sl][:, :, None] * J


@dataclass(frozen=True)
class _Flow:
    step: VectorField | Residual | ODE
    x: np.ndarray  # (N, k) where the step acts, at each point

    def apply(self, J: np.ndarray, sl: slice) -> np.ndarray:
        """(I + J_F, padded to D) J for the points sl: J (n, D, D)."""
        k = self.x.shape[1]
        Jf = np.broadcast_to(np.eye(J.shape[1]), J.shape).copy()
        step = self.step
        Jf[:, :k, :k] = step.flow_jacobian(self.x[sl]) if step.kind == "ode" else step.jacobian(self.x[sl])
        return Jf @ J


@dataclass(frozen=True)
class _Chain:
    """J = F_m ... F_1 B: the layer's linear map B (D, D) (I before any), then per-point factors."""

    base: np.ndarray  # (D, D)
    factors: tuple[_Scale | _Flow, ...] = ()

    def then(self, factor: _Scale | _Flow) -> "_Chain":
        return _Chain(self.base, self.factors + (factor,))

    def stretch(self, rows: int, N: int) -> np.ndarray:
        """The largest singular value of J's first `rows` rows at each of N points: (N,)."""
        if not self.factors:  # the same matrix at every point
            return np.full(N, np.linalg.svd(self.base[:rows], compute_uv=False)[0])
        D = len(self.base)
        out = np.empty(N)
        for sl in chunks(N, 3 * D * D):
            J = np.broadcast_to(self.base, (sl.stop - sl.start, D, D))
            for f in self.factors:
                J = f.apply(J, sl)
            out[sl] = np.linalg.svd(J[:, :rows], compute_uv=False)[:, 0]
        return out


# --- what is measured after each stage -------------------------------------------------------


@dataclass(frozen=True)
class _Measured:
    separability: Separability  # of the C classes (the LP's answer and on how many points)
    linear_accuracy: float  # the best linear classifier's
    apart: tuple[Separability, ...]  # C > 2, per class against the rest; () for two
    betti: tuple[tuple[int, ...], ...]  # per class
    svc_points: int | None  # LinearSVC was fitted on this many points (None: all, or not needed)


def _measure(x: np.ndarray, y: np.ndarray, clouds: list[np.ndarray], C: int, maxdim: int, wide: bool) -> _Measured:
    """The numbers of one representation: of the points x (N, D) labelled y (N,), and the
    Betti numbers of each class's cloud (P_c, D)."""
    sep = separability(x, y)
    capped = wide and len(x) > SVC_POINTS and not sep.separable
    lin = linear_accuracy(x, y, sep.separable, *((SVC_POINTS, SVC_ITER) if wide else (None,)))
    apart = tuple(separability(x, (y == c).astype(np.int64)) for c in range(C)) if C > 2 else ()
    return _Measured(sep, lin, apart, tuple(betti(c, maxdim, whitened=not wide) for c in clouds),
                     SVC_POINTS if capped else None)


def _measure_job(job: tuple) -> _Measured:
    return _measure(*job)


def _carried(rec: Recording) -> tuple[Reduction | None, np.ndarray]:
    """A wide input's reduction and the data in it (N, k); else (None, the data itself)."""
    red = reduce(rec.net, rec.X) if rec.X.shape[1] > WIDE else None
    return red, rec.X if red is None else rec.X @ red.basis


def inspect(rec: Recording) -> Report:
    """Measure every stage of every layer of `rec` (see the module docstring)."""
    t0 = time.perf_counter()
    wide = rec.X.shape[1] > WIDE
    red, X = _carried(rec)
    plan = isotopy.plan(rec.net if red is None else red.net, X.shape[1])
    maxdim = 1 if wide else 2 if plan.dim >= 3 else 1
    y = rec.y
    x = isotopy.pad(X, plan.dim)
    # Topology is measured on a dense fresh sample of the true sets, carried through the same
    # stages: where a layer stretches space, 250 training points tear apart long before the set
    # does, and the Betti numbers would report the sampling, not the map.
    C = rec.net.classes
    if rec.sampled:
        Xd, yd = make_dataset(rec.dataset, TOPOLOGY_POINTS, rec.meta.seed + TOPOLOGY_SEED_OFFSET, C)
        xd = isotopy.pad(Xd if red is None else Xd @ red.basis, plan.dim)
    else:  # the user's own points: they are all there is (carried once, as the data)
        Xd, yd, xd = rec.X, rec.y, x
    chain = _Chain(np.eye(plan.dim))  # the Jacobian of this layer so far
    stages = []
    first = None
    input_betti = tuple(betti(Xd[yd == c], maxdim, whitened=not wide) for c in range(C))
    input_sep = separability(rec.X, y)  # in R^n itself
    facts: list[Separability] = [input_sep]
    svc: list[int] = []
    previous = input_betti
    jobs: list[tuple] = []  # what _measure is given, a stage at a time (a translation: none)
    found: list[tuple] = []  # per stage: its facts, and which job measured it
    for i, (lp, layer) in enumerate(zip(plan.layers, plan.net.layers)):
        if lp.step is None:
            W = layer.W if red is None or i else layer.W @ red.basis.T  # the first map on R^n itself
            det, cond, lin_homeo, why = _linear_facts(W, lp)
            act = lp.activation
        for name in lp.stages:
            before, xd_before = x, xd
            x = isotopy.stage_end(lp, name, x)
            xd = x if xd_before is before else isotopy.stage_end(lp, name, xd)
            if name == "flow":
                k = lp.out_dim
                det, cond, homeo, reason = _step_facts(lp.step, before[:, :k], xd_before[:, :k])
                chain = chain.then(_Flow(lp.step, before[:, :k]))
            elif name == "integrate":
                k = lp.out_dim
                det, cond, homeo, reason = _ode_facts(lp.step, before[:, :k], xd_before[:, :k])
                chain = chain.then(_Flow(lp.step, before[:, :k]))
            elif name == "linear":
                chain = _Chain(lp.M)
                homeo, reason = lin_homeo, why
            elif name == "translate":
                homeo, reason = True, "translation"
            else:
                d = np.ones_like(before)
                d[:, : lp.out_dim] = act.numpy_deriv(before[:, : lp.out_dim])
                chain = chain.then(_Scale(d))
                homeo = act.invertible
                reason = f"{act.label} is invertible" if homeo else f"{act.label} folds"
            sv = chain.stretch(lp.out_dim, len(x))
            if not jobs or name != "translate":  # a translation changes none of them (distances, separability)
                jobs.append((x, y, [xd[yd == c] for c in range(C)], C, maxdim, wide))
            found.append((lp.index + 1, name, det, cond, homeo, reason, float(sv.max()),
                          float(np.percentile(sv, 99)), len(jobs) - 1))
    # What is measured after each stage, each stage on its own: on every core.
    results = forks.map(_measure_job, jobs)
    for measured in results:
        facts += [measured.separability, *measured.apart]
        svc += [measured.svc_points] if measured.svc_points else []
    for layer, name, det, cond, homeo, reason, s_max, s_p99, k in found:
        measured = results[k]
        sep = measured.separability.separable
        squashed = homeo and measured.betti != previous
        previous = measured.betti
        stages.append(StageReport(
            layer=layer,
            stage=name,
            det=det,
            cond=cond,
            homeomorphism=homeo,
            why=reason,
            separable=sep,
            linear_accuracy=measured.linear_accuracy,
            betti=measured.betti,
            apart=tuple(a.separable for a in measured.apart),
            stretch_max=s_max,
            stretch_p99=s_p99,
            squashed=squashed,
        ))
        if sep and first is None:
            first = (layer, name)
    m = rec.meta.metrics
    inexact = [f.points for f in facts if not f.exact]
    return Report(
        dataset=rec.dataset,
        architecture=architecture(rec),
        activation=rec.net.activation,
        classes=rec.classes,
        train_accuracy=m.train_accuracy,
        test_accuracy=m.test_accuracy,
        test=None if m.test_accuracy is None else m.test or "fresh",
        input_betti=input_betti,
        input_separable=input_sep.separable,
        stages=tuple(stages),
        first_separable=0 if input_sep.separable else first[0] if first else None,
        first_separable_stage=None if input_sep.separable or not first else first[1],
        seconds=time.perf_counter() - t0,
        points=len(rec.X),
        input_dim=rec.X.shape[1],
        carried_dim=None if red is None else red.dim,
        topology_cloud=int(np.bincount(yd, minlength=C).max()),
        topology_fresh=rec.sampled,
        topology_points=ph_points(maxdim),
        betti_dims=maxdim,
        lp_points=min(inexact) if inexact else None,
        svc_points=min(svc) if svc else None,
    )
