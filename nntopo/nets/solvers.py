"""torchdiffeq's `odeint` solvers replayed in numpy (float64), vectorized over a batch of points.

A user's neural ODE is y' = f(t, y), solved by `torchdiffeq.odeint(func, y0, t, method, rtol, atol,
options)`. nntopo draws the flow at many frame times and must end where the model ends, so it
replays torchdiffeq's own arithmetic rather than any other solver: the same Butcher tableaus, the
same step-size controller (its first step, safety 0.9, growth 10, shrink 0.2, the exponent
1/order), the same interpolant between steps, the same fixed grid. `integrate` is `odeint`;
`frames` gives a model's flow at many times in one pass, ending exactly where `odeint(func, y0,
[t0, t1])` ends; `flow_jacobian` gives the flow map's Jacobian there too (the variational equation
integrated with the same steps), and `distortion` its smallest determinant and largest stretch.

What a caller must know of torchdiffeq's semantics (replayed, not changed):
  - Adaptive methods control one error norm over the WHOLE batch (the root mean square over all N x D
    numbers), so the steps, and so each point's result to within the tolerance, depend on the other
    points in the batch: replay a model's batch as the model ran it.
  - Adaptive steps do not depend on the output times: torchdiffeq steps past each output time and
    interpolates (a quartic through the step's ends and midpoint), never shortening a step to land on
    it, so asking for more output times changes no step and no other output.
  - Fixed-grid methods step on the output times themselves unless options={"step_size": h} is given
    (then on t0, t0 + h, ..., with the last step shortened to end at t1), and interpolate linearly
    between grid nodes. explicit_adams/implicit_adams start with two rk4 steps, then Adams steps of
    growing order (up to 11) on the same grid.
  - t1 < t0 is integrated as torchdiffeq does it: s = -t, dy/ds = -f(-s, y). f receives t as a float.
  - nfe counts calls of f: an adaptive solve costs 2 (f at t0 and one probe for the first step; 1 if
    first_step is given) plus one per stage after the first for every step tried, rejected or not.
  - Replayed to rounding (1e-12 and below) except where torchdiffeq itself is that sensitive to
    rounding: dopri8 at tight tolerances (its output moves ~1e-9..1e-7 when f moves by one ulp) and
    explicit_adams' high orders on long grids (~1e-10).
  - A model's time tensor is often float32 (torch.tensor([0., 1.])): pass its float32 values
    (float(t) of each), and note that torchdiffeq then builds a step_size grid in float32 too.
Only torchdiffeq's default options beyond those in `Solver` are replayed (no perturb, "linear"
interp, norm, min_step/max_step, step_t/jump_t, grid_constructor, max_order); computing in float64
throughout, a float32 model is matched to float32's precision only.
"""

from __future__ import annotations

import collections
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ModelError

__all__ = ["ADAPTIVE", "FIXED", "METHODS", "Solver", "distortion", "flow_jacobian", "frames", "integrate"]

Field = Callable[[float, np.ndarray], np.ndarray]  # f(t, y (N, D)) -> (N, D)
FieldJacobian = Callable[[float, np.ndarray], np.ndarray]  # J_f(t, y (N, D)) -> (N, D, D)
Parts = tuple[np.ndarray, ...]  # the state: y (N, D), and J (N, D, D) when the Jacobian is carried


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge-Kutta method as torchdiffeq writes it; stage 0 is f(t0, y0)."""

    c: tuple[float, ...]  # (S,) the stages' times as fractions of the step, c[0] = 0
    a: tuple[tuple[float, ...], ...]  # (S - 1,) row i: stage i + 1 from stages 0..i
    b: tuple[float, ...]  # (S,) the solution's weights
    error: tuple[float, ...] = ()  # (S,) the error estimate's weights: adaptive methods only
    mid: tuple[float, ...] = ()  # (S,) the interpolant's midpoint weights: adaptive methods only
    order: int = 1  # the step-size controller's order (torchdiffeq's `order`)

    @property
    def fsal(self) -> bool:
        """The last stage is taken at the solution (Dormand-Prince): y1 is its input, not a new sum."""
        return self.b[-1] == 0 and self.b[:-1] == self.a[-1]


_DOPRI8_C = (1 / 18, 1 / 12, 1 / 8, 5 / 16, 3 / 8, 59 / 400, 93 / 200, 5490023248 / 9719169821, 13 / 20,
             1201146811 / 1299019798, 1.0, 1.0, 1.0)
_DOPRI8_A = (
    (1 / 18,),
    (1 / 48, 1 / 16),
    (1 / 32, 0, 3 / 32),
    (5 / 16, 0, -75 / 64, 75 / 64),
    (3 / 80, 0, 0, 3 / 16, 3 / 20),
    (29443841 / 614563906, 0, 0, 77736538 / 692538347, -28693883 / 1125000000, 23124283 / 1800000000),
    (16016141 / 946692911, 0, 0, 61564180 / 158732637, 22789713 / 633445777, 545815736 / 2771057229,
     -180193667 / 1043307555),
    (39632708 / 573591083, 0, 0, -433636366 / 683701615, -421739975 / 2616292301, 100302831 / 723423059,
     790204164 / 839813087, 800635310 / 3783071287),
    (246121993 / 1340847787, 0, 0, -37695042795 / 15268766246, -309121744 / 1061227803, -12992083 / 490766935,
     6005943493 / 2108947869, 393006217 / 1396673457, 123872331 / 1001029789),
    (-1028468189 / 846180014, 0, 0, 8478235783 / 508512852, 1311729495 / 1432422823, -10304129995 / 1701304382,
     -48777925059 / 3047939560, 15336726248 / 1032824649, -45442868181 / 3398467696, 3065993473 / 597172653),
    (185892177 / 718116043, 0, 0, -3185094517 / 667107341, -477755414 / 1098053517, -703635378 / 230739211,
     5731566787 / 1027545527, 5232866602 / 850066563, -4093664535 / 808688257, 3962137247 / 1805957418,
     65686358 / 487910083),
    (403863854 / 491063109, 0, 0, -5068492393 / 434740067, -411421997 / 543043805, 652783627 / 914296604,
     11173962825 / 925320556, -13158990841 / 6184727034, 3936647629 / 1978049680, -160528059 / 685178525,
     248638103 / 1413531060, 0),
    (14005451 / 335480064, 0, 0, 0, 0, -59238493 / 1068277825, 181606767 / 758867731, 561292985 / 797845732,
     -1041891430 / 1371343529, 760417239 / 1151165299, 118820643 / 751138087, -528747749 / 2220607170, 1 / 4),
)
_DOPRI8_LOW = (13451932 / 455176623, 0, 0, 0, 0, -808719846 / 976000145, 1757004468 / 5645159321,
               656045339 / 265891186, -3867574721 / 1518517206, 465885868 / 322736535, 53011238 / 667516719,
               2 / 45, 0, 0)  # the embedded solution: torchdiffeq's C_err is C_sol minus these
_DOPRI8_B = _DOPRI8_A[-1] + (0,)
_DOPRI5_B = (35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0)

# name -> the method's tableau, exactly as torchdiffeq 0.2.5 spells it (same float expressions)
TABLEAUS: dict[str, Tableau] = {
    "euler": Tableau(c=(0.0,), a=(), b=(1.0,)),
    "midpoint": Tableau(c=(0.0, 0.5), a=((0.5,),), b=(0.0, 1.0), order=2),
    "heun2": Tableau(c=(0.0, 1.0), a=((1.0,),), b=(0.5, 0.5), order=2),
    "heun3": Tableau(c=(0.0, 1 / 3, 2 / 3), a=((1 / 3,), (0.0, 2 / 3)), b=(1 / 4, 0.0, 3 / 4), order=3),
    "rk4": Tableau(c=(0.0, 1 / 3, 2 / 3, 1.0), a=((1 / 3,), (-1 / 3, 1.0), (1.0, -1.0, 1.0)),  # the 3/8 rule
                   b=(1 / 8, 3 / 8, 3 / 8, 1 / 8), order=4),
    "dopri5": Tableau(
        c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
        a=((1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
           (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
           (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656), _DOPRI5_B[:-1]),
        b=_DOPRI5_B,
        error=(35 / 384 - 1951 / 21600, 0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
               -2187 / 6784 - -12231 / 42400, 11 / 84 - 649 / 6300, -1. / 60.),
        mid=(6025192743 / 30085553152 / 2, 0, 51252292925 / 65400821598 / 2, -2691868925 / 45128329728 / 2,
             187940372067 / 1594534317056 / 2, -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2),
        order=5),
    "bosh3": Tableau(c=(0.0, 1 / 2, 3 / 4, 1.0), a=((1 / 2,), (0.0, 3 / 4), (2 / 9, 1 / 3, 4 / 9)),
                     b=(2 / 9, 1 / 3, 4 / 9, 0.0),
                     error=(2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8), mid=(0.0, 0.5, 0.0, 0.0),
                     order=3),
    "fehlberg2": Tableau(c=(0.0, 1 / 2, 1.0), a=((1 / 2,), (1 / 256, 255 / 256)), b=(1 / 512, 255 / 256, 1 / 512),
                         error=(-1 / 512, 0, 1 / 512), mid=(0.0, 0.5, 0.0), order=2),
    "adaptive_heun": Tableau(c=(0.0, 1.0), a=((1.0,),), b=(0.5, 0.5), error=(0.5, -0.5), mid=(0.5, 0.0),
                             order=2),
    "dopri8": Tableau(
        c=(0.0,) + _DOPRI8_C, a=_DOPRI8_A, b=_DOPRI8_B,
        error=tuple(s - low for s, low in zip(_DOPRI8_B, _DOPRI8_LOW)),
        mid=(0.04103130360739393, 0.0, 0.0, 0.0, 0.0, 0.05100562801991382, 0.2388930677412202,  # torchdiffeq's
             0.3096870143996103, -0.2172325471755352, 0.07833405679331928, -0.0018614369715579948,  # C_mid,
             0.007072844202678841, 0.00690847373200576, -0.013838404349047373),  # evaluated at h = 1/2
        order=8),
}
# name -> implicit? torchdiffeq's Adams-Bashforth(-Moulton) on the fixed grid; "fixed_adams" is its old name
ADAMS: dict[str, bool] = {"explicit_adams": False, "implicit_adams": True, "fixed_adams": True}

FIXED = ("euler", "midpoint", "heun2", "heun3", "rk4", "explicit_adams", "implicit_adams", "fixed_adams")
ADAPTIVE = ("dopri5", "bosh3", "fehlberg2", "adaptive_heun", "dopri8")
METHODS = FIXED + ADAPTIVE
UNREPLAYED = ("scipy_solver",)  # in torchdiffeq, not replayed: it hands the solve to scipy's own solvers

_ADAMS_MAX_ORDER, _ADAMS_MAX_ITERS = 12, 4  # torchdiffeq's defaults


def _adams_weights(nodes: list[int]) -> np.ndarray:
    """The integrals over [0, 1] of the Lagrange basis on `nodes` (in steps): Adams' weights, exact
    fractions rounded once (so equal to torchdiffeq's tables, integer numerators / divisor)."""
    weights = []
    for i, xi in enumerate(nodes):
        poly, den = [Fraction(1)], Fraction(1)
        for xj in nodes[:i] + nodes[i + 1:]:  # poly *= (u - xj)
            poly = [Fraction(0)] + poly
            for k in range(len(poly) - 1):
                poly[k] -= xj * poly[k + 1]
            den *= xi - xj
        weights.append(float(sum(p / (k + 1) for k, p in enumerate(poly)) / den))
    return np.array(weights)


# [m]: the m-step weights on f_n, f_{n-1}, ... (Bashforth) and f_{n+1}, f_n, ... (Moulton)
_BASHFORTH = [np.zeros(0)] + [_adams_weights([-j for j in range(m)]) for m in range(1, _ADAMS_MAX_ORDER + 1)]
_MOULTON = [np.zeros(0)] + [_adams_weights([1 - j for j in range(m)]) for m in range(1, _ADAMS_MAX_ORDER + 1)]


@dataclass(frozen=True)
class Solver:
    """A model's solver settings, as torchdiffeq.odeint takes them (its defaults)."""

    method: str = "dopri5"  # odeint's method=
    rtol: float = 1e-7  # odeint's rtol= (adaptive methods; implicit_adams' corrector)
    atol: float = 1e-9  # odeint's atol=
    step_size: float | None = None  # fixed grids' options={"step_size": h}; None: the grid is the output times
    first_step: float | None = None  # adaptive methods' options={"first_step": h}; None: torchdiffeq's choice
    # (torchdiffeq ignores, with a warning, a step_size given to an adaptive method and a first_step given
    # to a fixed grid; so does the replay, silently)

    def __post_init__(self):
        if self.method in UNREPLAYED:
            raise ModelError(f"solver {self.method!r}: torchdiffeq has it, but it hands the solve to scipy, "
                             f"which nntopo does not replay exactly; nntopo replays {', '.join(METHODS)}")
        if self.method not in METHODS:
            raise ModelError(f"solver {self.method!r}: torchdiffeq has no such method; "
                             f"nntopo replays {', '.join(METHODS)}")
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and value >= 0):
                raise ModelError(f"solver {self.method!r}: {name} {value!r} must be a finite number, 0 or more")
        for name in ("step_size", "first_step"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
                raise ModelError(f"solver {self.method!r}: {name} {value!r} must be a finite number above 0")

    @property
    def adaptive(self) -> bool:
        return self.method in ADAPTIVE


class _System:
    """y' = f(t, y), with J' = J_f(t, y) J alongside when `jac_f` is given; time reversed (torchdiffeq's
    s = -t, dy/ds = -f(-s, y)) when `sign` is -1. Counts the calls of f."""

    def __init__(self, f: Field, jac_f: FieldJacobian | None, sign: float, shape: tuple[int, ...]):
        self.f, self.jac_f, self.sign, self.shape, self.nfe = f, jac_f, sign, shape, 0

    def field(self, s: float, y: np.ndarray) -> np.ndarray:  # (N, D)
        self.nfe += 1
        fy = np.asarray(self.f(self.sign * float(s), y), dtype=np.float64)
        if fy.shape != self.shape:
            raise ModelError(f"the ODE's field returned shape {fy.shape} for a state of shape {self.shape}")
        return fy if self.sign > 0 else -1.0 * fy

    def __call__(self, s: float, parts: Parts) -> Parts:
        fy = self.field(s, parts[0])
        if self.jac_f is None:
            return (fy,)
        fj = np.asarray(self.jac_f(self.sign * float(s), parts[0]), dtype=np.float64) @ parts[1]  # (N, D, D)
        return fy, (fj if self.sign > 0 else -1.0 * fj)


def _start(y0: np.ndarray, jac_f: FieldJacobian | None) -> Parts:
    """The state at t0: y0 (N, D), and J = I (N, D, D) when the Jacobian is carried."""
    return (y0,) if jac_f is None else (y0, np.broadcast_to(np.eye(y0.shape[1]), y0.shape + y0.shape[1:]).copy())


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.abs(x)))))


def _sum(base: Parts, w: np.ndarray, K: list[np.ndarray], n: int) -> Parts:
    """base + sum_{j < n} w[j] K[j], part by part: one numpy op per part."""
    return tuple(b + np.tensordot(w[:n], k[:n], axes=1) for b, k in zip(base, K))


def _store(K: list[np.ndarray], i: int, values: Parts) -> None:
    for k, v in zip(K, values):
        k[i] = v


def _rk_step(system: _System, tab: Tableau, t0: float, dt: float, t1: float, y: Parts, f0: Parts | None = None,
             perturb: bool = False) -> tuple[Parts, list[np.ndarray], Parts]:
    """One Runge-Kutta step from (t0, y): the stages K (S, ...) per part and the last stage's input.
    Adaptive (perturb): stages at the step's end are taken just before it, as torchdiffeq does."""
    S = len(tab.c)
    K = [np.empty((S,) + p.shape) for p in y]
    _store(K, 0, system(t0, y) if f0 is None else f0)
    yi = y
    for i in range(1, S):
        yi = _sum(y, dt * np.asarray(tab.a[i - 1]), K, i)
        ti = (np.nextafter(t1, -math.inf) if perturb else t1) if tab.c[i] == 1.0 else t0 + tab.c[i] * dt
        _store(K, i, system(ti, yi))
    return yi, K, tuple(k[S - 1] for k in K)


def _rk_dy(system: _System, tab: Tableau, t0: float, dt: float, t1: float, y: Parts,
           f0: Parts | None = None) -> Parts:
    """A fixed-grid step's increment dy = dt sum_j b_j K_j, part by part."""
    _, K, _ = _rk_step(system, tab, t0, dt, t1, y, f0=f0)
    return tuple(np.tensordot(dt * np.asarray(tab.b), k, axes=1) for k in K)


def _initial_step(system: _System, t0: float, y0: np.ndarray, f0: np.ndarray, order: int, rtol: float,
                  atol: float) -> float:
    """torchdiffeq's first step (Hairer, Norsett and Wanner, II.4), one more call of f."""
    scale = atol + np.abs(y0) * rtol
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    f1 = system.field(t0 + h0, y0 + h0 * f0)
    d2 = abs(_rms((f1 - f0) / scale) / h0)
    h1 = max(1e-6, h0 * 1e-3) if d1 <= 1e-15 and d2 <= 1e-15 else (0.01 / max(d1, d2)) ** (1. / float(order + 1))
    return min(100 * h0, h1)


def _interp_fit(y0: Parts, y1: Parts, K: list[np.ndarray], tab: Tableau, dt: float) -> list[Parts]:
    """The quartic through a step's ends and midpoint: coefficients [e, d, c, b, a] of x^0..x^4."""
    mid = _sum(y0, dt * np.asarray(tab.mid), K, len(tab.mid))
    coeffs = []
    for p0, p1, pm, k in zip(y0, y1, mid, K):
        f0, f1 = k[0], k[-1]
        a = 2 * dt * (f1 - f0) - 8 * (p1 + p0) + 16 * pm
        b = dt * (5 * f0 - 3 * f1) + 18 * p0 + 14 * p1 - 32 * pm
        c = dt * (f1 - 4 * f0) - 11 * p0 - 5 * p1 + 16 * pm
        coeffs.append((p0, dt * f0, c, b, a))
    return coeffs


def _interp_eval(coeffs: list[Parts], t0: float, t1: float, t: float) -> Parts:
    x = (t - t0) / (t1 - t0)
    out = []
    for e, d, *higher in coeffs:
        total, xp = e + x * d, x
        for coefficient in higher:
            xp = xp * x
            total = total + xp * coefficient
        out.append(total)
    return tuple(out)


def _blow_up(s: float, system: _System) -> ModelError:
    return ModelError(f"the ODE blew up: non-finite values at t = {system.sign * s:.6g}")


def _adaptive(system: _System, y0: Parts, times: np.ndarray, solver: Solver) -> list[Parts]:
    """torchdiffeq's RKAdaptiveStepsizeODESolver: step with the controller, interpolate at each time."""
    tab, rtol, atol = TABLEAUS[solver.method], solver.rtol, solver.atol
    f = system(times[0], y0)
    if not np.isfinite(f[0]).all():
        raise _blow_up(times[0], system)
    if solver.first_step is None:
        dt = _initial_step(system, times[0], y0[0], f[0], tab.order - 1, rtol, atol)
    else:
        dt = float(solver.first_step)
    y, t_start, t_end, coeffs = y0, times[0], times[0], None
    err_w = np.asarray(tab.error)
    out = [y0]
    for t_next in times[1:]:
        while t_next > t_end:
            dt = max(dt, 0.0) if math.isfinite(dt) else 0.0
            t0, t1 = t_end, t_end + dt
            if not t1 > t0:
                raise ModelError(f"solver {solver.method!r}: the step size underflowed at t = {system.sign * t0:.6g}, "
                                 f"where |y| reaches {np.abs(y[0]).max():.3g} (rtol {rtol:g}, atol {atol:g}): "
                                 f"torchdiffeq fails there too")
            if not np.isfinite(y[0]).all():
                raise _blow_up(t0, system)
            yi, K, f1 = _rk_step(system, tab, t0, dt, t1, y, f0=f, perturb=True)
            y1 = yi if tab.fsal else _sum(y, dt * np.asarray(tab.b), K, len(tab.b))
            error = np.tensordot(dt * err_w, K[0], axes=1)
            ratio = _rms(error / (atol + rtol * np.maximum(np.abs(y[0]), np.abs(y1[0]))))
            if math.isnan(ratio):
                raise _blow_up(t0, system)
            if ratio <= 1:
                coeffs = _interp_fit(y, y1, K, tab, dt)
                y, f, t_start, t_end = y1, f1, t0, t1
            if ratio == 0:
                dt = dt * 10.0
            else:
                factor = min(10.0, max(0.9 / ratio ** (1 / tab.order), 1.0 if ratio < 1 else 0.2))
                dt = max(dt * factor, 0.0)
        out.append(_interp_eval(coeffs, t_start, t_end, t_next))
    return out


def _dot(w: np.ndarray, history: collections.deque[Parts]) -> Parts:
    """sum_i w[i] history[i], part by part, in torchdiffeq's order."""
    return tuple(sum(wi * h[p] for wi, h in zip(w, history)) for p in range(len(history[0])))


class _Adams:
    """torchdiffeq's AdamsBashforthMoulton step (explicit_adams: no corrector), keeping its history."""

    def __init__(self, implicit: bool, rtol: float, atol: float):
        self.implicit, self.rtol, self.atol = implicit, rtol, atol
        self.history: collections.deque[Parts] = collections.deque(maxlen=_ADAMS_MAX_ORDER - 1)
        self.t_prev: float | None = None

    def __call__(self, system: _System, t0: float, dt: float, t1: float, y: Parts) -> Parts:
        f0 = system(t0, y)
        if self.t_prev is None or self.t_prev != t0:
            self.history.appendleft(f0)
            self.t_prev = t0
        order = min(len(self.history), _ADAMS_MAX_ORDER - 1)
        if order < 3:  # torchdiffeq starts with rk4 steps
            return _rk_dy(system, TABLEAUS["rk4"], t0, dt, t1, y, self.history[0])
        dy = _dot(dt * _BASHFORTH[order], self.history)
        if self.implicit:
            moulton = _MOULTON[order + 1]
            delta = tuple(dt * p for p in _dot(moulton[1:], self.history))
            converged = False
            for _ in range(_ADAMS_MAX_ITERS):
                dy_old = dy
                f1 = system(t1, tuple(p + q for p, q in zip(y, dy)))
                dy = tuple(dt * moulton[0] * p + q for p, q in zip(f1, delta))
                tol = self.atol + self.rtol * np.maximum(np.abs(dy_old[0]), np.abs(dy[0]))
                converged = float(np.max(np.abs(np.abs(dy_old[0] - dy[0]) / tol))) < 1
                if converged:
                    break
            if not converged:
                warnings.warn("implicit_adams: the functional iteration did not converge (torchdiffeq warns "
                              "the same and goes on)")
                self.history.pop()
        return dy


def _grid(start: float, end: float, step_size: float) -> np.ndarray:
    """torchdiffeq's grid for options={"step_size": h}: t0, t0 + h, ..., the last node moved to t1."""
    n = math.ceil((end - start) / step_size + 1)
    grid = np.arange(0, n, dtype=np.float64) * step_size + start
    grid[-1] = end
    return grid


def _fixed(system: _System, y0: Parts, times: np.ndarray, solver: Solver) -> list[Parts]:
    """torchdiffeq's FixedGridODESolver: step on the grid, interpolate linearly at each output time."""
    grid = times if solver.step_size is None else _grid(times[0], times[-1], solver.step_size)
    if solver.method in ADAMS:
        step = _Adams(ADAMS[solver.method], solver.rtol, solver.atol)
    else:
        tab = TABLEAUS[solver.method]

        def step(system, t0, dt, t1, y):
            return _rk_dy(system, tab, t0, dt, t1, y)

    out, j, y = [y0], 1, y0
    for t0, t1 in zip(grid[:-1], grid[1:]):
        dt = t1 - t0
        y1 = tuple(p + q for p, q in zip(y, step(system, t0, dt, t1, y)))
        if not np.isfinite(y1[0]).all():
            raise _blow_up(t1, system)
        while j < len(times) and t1 >= times[j]:
            t = times[j]
            if t == t0:
                out.append(y)
            elif t == t1:
                out.append(y1)
            else:
                slope = (t - t0) / (t1 - t0)
                out.append(tuple(p + slope * (q - p) for p, q in zip(y, y1)))
            j += 1
        y = y1
    return out


def _check_state(y0: np.ndarray) -> np.ndarray:
    y0 = np.asarray(y0, dtype=np.float64)
    if y0.ndim != 2 or not np.isfinite(y0).all():
        raise ModelError(f"the ODE's initial states must be finite numbers of shape (N, D), not {y0.shape}")
    return y0


def _run(f: Field, jac_f: FieldJacobian | None, y0: np.ndarray, times, solver: Solver) -> tuple[list[Parts], int]:
    """odeint(f, y0, times) with the Jacobian alongside if jac_f: the states at `times`, and nfe."""
    y0 = _check_state(y0)
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or len(times) < 2 or not np.isfinite(times).all() or times[0] == times[1]:
        raise ModelError("an integration interval of length 0 (or with times that are not finite numbers)")
    sign = 1.0 if times[1] > times[0] else -1.0
    s = sign * times  # torchdiffeq integrates t1 < t0 in s = -t
    if not (np.diff(s) > 0).all():
        raise ModelError("the ODE's output times must be strictly increasing or strictly decreasing")
    system = _System(f, jac_f, sign, y0.shape)
    out = (_adaptive if solver.adaptive else _fixed)(system, _start(y0, jac_f), s, solver)
    return out, system.nfe


def integrate(f: Field, y0: np.ndarray, times, solver: Solver = Solver()) -> tuple[np.ndarray, int]:
    """torchdiffeq.odeint(func, y0, times, method, rtol, atol, options) in numpy: the states at `times`.

    f(t: float, y: (N, D)) -> (N, D); y0 (N, D); times (T,) strictly increasing or decreasing, times[0]
    the start. Returns the states (T, N, D), states[0] = y0, and the number of calls of f.
    """
    out, nfe = _run(f, None, y0, times, solver)
    return np.stack([p[0] for p in out]), nfe


def _frame_times(t0: float, t1: float, fractions) -> tuple[np.ndarray, np.ndarray]:
    """The frames' distinct times, t0 first and t1 last (T,), and each fraction's index among them (F,)."""
    u = np.asarray(fractions, dtype=np.float64)
    if u.ndim != 1 or not (np.isfinite(u).all() and (u >= 0).all() and (u <= 1).all()):
        raise ModelError("frame fractions must be finite numbers from 0 to 1")
    if not (math.isfinite(t0) and math.isfinite(t1)) or t0 == t1:
        raise ModelError("an integration interval of length 0 (or with times that are not finite numbers)")
    ts = np.where(u == 1, t1, t0 + u * (t1 - t0))
    ts = np.minimum(ts, t1) if t1 > t0 else np.maximum(ts, t1)  # never past t1 by rounding
    times, index = np.unique(np.concatenate([[t0, t1], ts]), return_inverse=True)
    if t1 < t0:
        times, index = times[::-1], len(times) - 1 - index
    return times, index[2:]


def _frames(f: Field, jac_f: FieldJacobian | None, y0: np.ndarray, t0: float, t1: float, fractions,
            solver: Solver) -> tuple[list[Parts], int]:
    """Each fraction's state (and Jacobian); the last distinct time is t1, exactly as odeint ends."""
    times, index = _frame_times(float(t0), float(t1), fractions)
    if solver.adaptive or solver.step_size is not None:  # the steps do not depend on the output times
        out, nfe = _run(f, jac_f, y0, times, solver)
    else:  # the grid is the model's [t0, t1]: one step, and partial steps of it to the frames
        out, nfe = [_start(_check_state(y0), jac_f)], 0
        for t in times[1:]:
            states, n = _run(f, jac_f, y0, [t0, t], solver)
            out.append(states[-1])
            nfe += n
    return [out[i] for i in index] + [out[-1]], nfe


def frames(f: Field, y0: np.ndarray, t0: float, t1: float, fractions,
           solver: Solver = Solver()) -> tuple[np.ndarray, np.ndarray, int]:
    """The flow at t0 + fractions (t1 - t0), and where the model ends, in one pass.

    f(t, y (N, D)) -> (N, D); y0 (N, D); fractions (F,) in [0, 1], in any order. Returns the frames
    (F, N, D), the end state (N, D) equal to odeint(func, y0, [t0, t1])[-1] exactly, and nfe.
    Adaptive methods and fixed grids with a step_size: one integration with all the frame times as
    output times, which changes none of torchdiffeq's steps (the frames are its interpolation:
    quartic between adaptive steps, linear between grid nodes). A fixed grid without step_size is the
    model's own times, [t0, t1]: one step, so the frame at t is that step taken from t0 to t (the same
    method, a shorter step; the frame at t1 is the model's end); asking odeint for the frames
    themselves would change the grid and so the answer.
    """
    out, nfe = _frames(f, None, y0, t0, t1, fractions, solver)
    return np.stack([p[0] for p in out[:-1]]), out[-1][0], nfe


def flow_jacobian(f: Field, jac_f: FieldJacobian, y0: np.ndarray, t0: float, t1: float, fractions,
                  solver: Solver = Solver()) -> tuple[np.ndarray, np.ndarray, int]:
    """The frames of `frames` and the flow map's Jacobian d y(t) / d y0 at each.

    jac_f(t, y (N, D)) -> (N, D, D), the field's Jacobian. The variational equation J' = J_f(t, y) J,
    J(t0) = I, is integrated with the same steps as y: for these explicit methods, the exact
    derivative of torchdiffeq's discrete map with its step sizes held fixed (as torch's autograd
    through odeint gives it once first_step is fixed; the controller's steps carry no gradient).
    Returns the frames (F, N, D), their Jacobians (F, N, D, D) and nfe (calls of f; jac_f is called
    as often).
    """
    out, nfe = _frames(f, jac_f, y0, t0, t1, fractions, solver)
    return np.stack([p[0] for p in out[:-1]]), np.stack([p[1] for p in out[:-1]]), nfe


def distortion(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame of Jacobians (F, N, D, D): the smallest determinant over the points (F,) (above 0:
    orientation kept and locally one-to-one, as a flow must be) and the largest stretch, the largest
    singular value (F,)."""
    return np.linalg.det(jacobians).min(axis=1), np.linalg.norm(jacobians, ord=2, axis=(-2, -1)).max(axis=1)
