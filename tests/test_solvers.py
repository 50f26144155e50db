"""nets/solvers: torchdiffeq's odeint replayed in numpy, checked against torchdiffeq itself (float64)."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
import torchdiffeq

from nntopo.errors import ModelError
from nntopo.nets.solvers import (ADAPTIVE, FIXED, METHODS, Solver, distortion, flow_jacobian, frames,
                                 integrate)

EXACT = 1e-9
# dopri8 at tight tolerances: its first steps' error estimates sit at rounding level, and its quartic
# interpolant (4th order, between 8th-order steps) turns the resulting jitter of the step sizes into
# up to ~1e-6 at the output. No replay can do better: torchdiffeq's own dopri8 moves as much when f is
# multiplied by 1 + k 2^-52 (test_dopri8_is_not_reproducible_below_its_tolerance). How much depends on
# the machine's rounding: for the 7 points of CASES[3] on one fresh machine the replay was 1.02e-6 from
# torchdiffeq, and torchdiffeq 4.3e-7 to 1.06e-6 from itself over k = +-1, +-2, 3, +-4, 8 (elsewhere
# ~1e-7). The bound is ten times rtol: a wrong step or coefficient is off by far more, and nfe must match.
DOPRI8_TIGHT = 1e-5
# Low-order adaptive methods at tight tolerances take thousands of steps per unit of time in torchdiffeq
# (about 0.2 ms each there): their intervals are shortened to keep this file fast.
SLOW = ("adaptive_heun", "fehlberg2", "bosh3")


class Field:
    """f(t, y) = tanh(y W1 + b1 + t c) W2 + b2, in numpy (with its Jacobian) and in torch (counting calls)."""

    def __init__(self, dim: int, seed: int, timedep: bool, hidden: int = 16):
        r = np.random.default_rng(seed)
        self.W1 = r.normal(size=(dim, hidden)) / np.sqrt(dim)
        self.b1 = r.normal(size=hidden) * 0.3
        self.W2 = r.normal(size=(hidden, dim)) / np.sqrt(hidden)
        self.b2 = r.normal(size=dim) * 0.1
        self.c = r.normal(size=hidden) if timedep else np.zeros(hidden)
        self.M = (self.W2[:, :, None] * self.W1.T[:, None, :]).reshape(hidden, dim * dim)  # [h, (i, j)]
        self.T = [torch.tensor(a) for a in (self.W1, self.b1, self.W2, self.b2, self.c)]
        self.dim, self.calls, self.batches = dim, 0, set()

    def __call__(self, t, y):
        self.batches.add(y.shape)
        return np.tanh(y @ self.W1 + self.b1 + t * self.c) @ self.W2 + self.b2

    def jac(self, t, y):  # (N, D, D): sum_h W2[h, i] tanh'[n, h] W1[j, h], one matrix product
        s = 1 - np.tanh(y @ self.W1 + self.b1 + t * self.c) ** 2
        return (s @ self.M).reshape(len(y), self.dim, self.dim)

    def torch(self, t, y):
        self.calls += 1
        W1, b1, W2, b2, c = self.T
        return torch.tanh(y @ W1 + b1 + t * c) @ W2 + b2


@pytest.fixture(scope="module")
def fields():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # torchdiffeq's tiny tensor ops: threads only wait on each other (on a busy machine, ms)
    yield {"2d": Field(2, 1, False), "3d-t": Field(3, 2, True)}
    torch.set_num_threads(threads)


def odeint(field: Field, y0, times, s: Solver, **kw):
    """torchdiffeq.odeint with the settings `s` stands for, and its number of calls of f."""
    options = {k: v for k, v in (("step_size", s.step_size), ("first_step", s.first_step)) if v is not None}
    field.calls = 0
    out = torchdiffeq.odeint(field.torch, torch.as_tensor(y0, dtype=torch.float64),
                             torch.tensor(times, dtype=torch.float64), method=s.method, rtol=s.rtol,
                             atol=s.atol, options=options, **kw)
    return out, field.calls


def points(n, dim, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim))


def settings(method):
    """Default and loose (tutorial) tolerances; fixed grids also with step sizes that do and do not
    divide the interval (torchdiffeq shortens the last step)."""
    out = [Solver(method), Solver(method, rtol=1e-3, atol=1e-4)]
    return out + ([Solver(method, step_size=0.125), Solver(method, step_size=0.07)] if method in FIXED else [])


def bound(s: Solver) -> float:
    return DOPRI8_TIGHT if s.method == "dopri8" and s.rtol < 1e-5 else EXACT


# (field, points, interval): autonomous and time-dependent, 1..500 points, from 0, from elsewhere, backwards
CASES = [("2d", 1, (0.0, 0.5)), ("3d-t", 500, (0.3, 0.8)), ("2d", 40, (0.5, -0.25)), ("3d-t", 7, (1.0, 0.6))]


@pytest.mark.parametrize("method", METHODS)
def test_end_state_and_nfe_are_torchdiffeqs(fields, method):
    for s in settings(method):
        for name, n, (t0, t1) in CASES:
            if s.method in SLOW and s.rtol < 1e-5:
                t1 = t0 + 0.1 * (t1 - t0)
            field = fields[name]
            y0 = points(n, field.dim, seed=n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # implicit_adams' corrector, at times (test_implicit_adams_warns)
                ref, calls = odeint(field, y0, [t0, t1], s)
                out, nfe = integrate(field, y0, [t0, t1], s)
            assert out.shape == (2, n, field.dim) and (out[0] == y0).all()
            assert np.abs(out[-1] - ref[-1].numpy()).max() < bound(s), (s, name, t0, t1)
            assert nfe == calls, (s, name)


def test_many_output_times_are_torchdiffeqs(fields):
    field = fields["3d-t"]
    y0, times = points(30, 3), np.linspace(0.2, -0.6, 9)
    for s in (Solver("dopri5"), Solver("bosh3", rtol=1e-4, atol=1e-6), Solver("rk4", step_size=0.07),
              Solver("explicit_adams", step_size=0.05), Solver("midpoint")):
        ref, calls = odeint(field, y0, times, s)
        out, nfe = integrate(field, y0, times, s)
        assert np.abs(out - ref.numpy()).max() < EXACT and nfe == calls, s


@pytest.mark.parametrize("method", METHODS)
def test_frames_in_one_pass_end_where_the_model_ends(fields, method):
    field, y0, (t0, t1) = fields["3d-t"], points(50, 3, seed=3), (0.2, 0.7)
    fractions = np.linspace(0, 1, 21)
    times = np.where(fractions == 1, t1, t0 + fractions * (t1 - t0))
    for s in [Solver(method, rtol=1e-3, atol=1e-4)] + ([Solver(method, step_size=0.07)] if method in FIXED else []):
        states, end, nfe = frames(field, y0, t0, t1, fractions, s)
        model_end, _ = odeint(field, y0, [t0, t1], s)
        assert states.shape == (21, 50, 3)
        assert np.abs(end - model_end[-1].numpy()).max() < EXACT
        assert np.array_equal(end, integrate(field, y0, [t0, t1], s)[0][-1])  # bit for bit
        assert np.array_equal(states[0], y0) and np.array_equal(states[-1], end)
        if s.adaptive or s.step_size is not None:
            # torchdiffeq's steps do not depend on the output times: asked for every frame, it ends the same
            ref, calls = odeint(field, y0, times, s)
            assert torch.equal(ref[-1], model_end[-1])
            assert np.abs(states - ref.numpy()).max() < EXACT and nfe == calls
        else:
            # the model's grid is [t0, t1], one step: each frame is that step, shortened to end at the frame
            for k in (3, 10, 17):
                assert np.array_equal(states[k], integrate(field, y0, [t0, times[k]], s)[0][-1])
            ref, _ = odeint(field, y0, times, s)  # what the frames are not: another grid
            assert np.abs(ref[-1].numpy() - end).max() > 1e-6


def test_frames_take_fractions_in_any_order_and_backwards(fields):
    field, y0 = fields["2d"], points(20, 2)
    fractions = np.array([0.5, 1.0, 0.0, 0.25, 0.5, 1.0])
    for s in (Solver(), Solver("rk4"), Solver("euler", step_size=0.1)):
        states, end, _ = frames(field, y0, 1.0, -0.2, fractions, s)
        assert np.array_equal(states[2], y0) and np.array_equal(states[1], end)
        assert np.array_equal(states[0], states[4]) and np.array_equal(states[5], end)
        ordered, _, _ = frames(field, y0, 1.0, -0.2, np.array([0.25, 0.5]), s)
        assert np.abs(ordered - states[[3, 0]]).max() < 1e-12
        assert np.abs(end - odeint(field, y0, [1.0, -0.2], s)[0][-1].numpy()).max() < EXACT


@pytest.mark.parametrize("method", METHODS)
def test_flow_jacobian_is_torchs_autograd_through_odeint(fields, method):
    """With its steps fixed (an adaptive solver's first step given: the controller carries no
    gradient), torch's derivative of odeint's output is the variational equation's solution."""
    field, n, (t0, t1) = fields["3d-t"], 25, (0.1, 0.6)
    s = Solver(method, rtol=1e-3, atol=1e-4, first_step=0.05 if method in ADAPTIVE else None,
               step_size=0.07 if method in FIXED else None)
    y0 = points(n, 3, seed=5)
    fractions = np.array([0.4, 1.0])
    states, jac, _ = flow_jacobian(field, field.jac, y0, t0, t1, fractions, s)
    y0t = torch.tensor(y0, requires_grad=True)
    ref, _ = odeint(field, y0t, [t0, t0 + 0.4 * (t1 - t0), t1], s)
    for k in (0, 1):
        rows = [torch.autograd.grad(ref[k + 1][:, i].sum(), y0t, retain_graph=True)[0].numpy() for i in range(3)]
        assert np.abs(jac[k] - np.stack(rows, axis=1)).max() < 1e-8, k
        assert np.abs(states[k] - ref[k + 1].detach().numpy()).max() < EXACT


@pytest.mark.parametrize("s, tol", [(Solver(), 1e-5), (Solver("rk4"), 1e-6), (Solver("midpoint", step_size=0.07), 1e-6),
                                    (Solver("implicit_adams", step_size=0.05), 1e-6)],
                         ids=["dopri5", "rk4", "midpoint-step", "implicit_adams-step"])
def test_flow_jacobian_is_the_derivative_of_frames(fields, s, tol):
    """Adaptive frames also move with the controller's steps, which follow the whole batch's error
    norm: the Jacobian with the steps held fixed is within 1e-5 of their finite differences."""
    field, y0, fractions, eps = fields["2d"], points(40, 2, seed=7), np.array([0.0, 0.3, 1.0]), 1e-6
    states, jac, nfe = flow_jacobian(field, field.jac, y0, 0.0, 0.8, fractions, s)
    plain, _, plain_nfe = frames(field, y0, 0.0, 0.8, fractions, s)
    assert np.array_equal(states, plain) and nfe == plain_nfe
    assert np.array_equal(jac[0], np.broadcast_to(np.eye(2), (40, 2, 2)))
    for j in range(2):
        step = np.zeros(2)
        step[j] = eps
        up = frames(field, y0 + step, 0.0, 0.8, fractions, s)[0]
        down = frames(field, y0 - step, 0.0, 0.8, fractions, s)[0]
        assert np.abs((up - down) / (2 * eps) - jac[..., j]).max() < tol


def test_distortion_of_a_linear_flow():
    A = np.array([[0.3, -1.0], [0.8, -0.6]])
    states, jac, _ = flow_jacobian(lambda t, y: y @ A.T, lambda t, y: np.broadcast_to(A, (len(y), 2, 2)),
                                   points(10, 2), 0.0, 1.5, np.array([0.5, 1.0]), Solver())
    det, stretch = distortion(jac)
    assert det.shape == stretch.shape == (2,)
    for k, t in enumerate((0.75, 1.5)):
        assert abs(det[k] - np.exp(np.trace(A) * t)) < 1e-6
        assert abs(stretch[k] - np.linalg.norm(scipy.linalg.expm(A * t), 2)) < 1e-6


def test_implicit_adams_warns_as_torchdiffeq_does(fields):
    field, y0, s = fields["3d-t"], points(500, 3, seed=500), Solver("implicit_adams", step_size=0.125)
    with pytest.warns(UserWarning, match="Functional iteration did not converge"):
        ref, _ = odeint(field, y0, [0.3, 0.8], s)
    with pytest.warns(UserWarning, match="implicit_adams: the functional iteration did not converge"):
        out, _ = integrate(field, y0, [0.3, 0.8], s)
    assert np.abs(out[-1] - ref[-1].numpy()).max() < EXACT


def test_dopri8_is_not_reproducible_below_its_tolerance(fields):
    """Why DOPRI8_TIGHT: torchdiffeq's dopri8 at its default tolerances, f against f (1 + 2^-52)."""
    field, y0 = fields["3d-t"], points(7, 3, seed=7)
    a = odeint(field, y0, [1.0, 0.6], Solver("dopri8"))[0][-1]
    plain, field.torch = field.torch, lambda t, y: plain(t, y) * (1 + 2.0 ** -52)
    try:
        b = odeint(field, y0, [1.0, 0.6], Solver("dopri8"))[0][-1]
    finally:
        field.torch = plain
    assert (a - b).abs().max() > 1e-8


def test_every_call_of_f_is_the_whole_batch(fields):
    field = Field(2, 9, False, hidden=32)
    y0 = points(5000, 2)
    states, end, nfe = frames(field, y0, 0.0, 1.0, np.linspace(0, 1, 60), Solver())
    assert field.batches == {(5000, 2)} and states.shape == (60, 5000, 2) and nfe < 200


def test_unknown_and_unreplayed_methods():
    with pytest.raises(ModelError, match=r"solver 'foo': torchdiffeq has no such method; nntopo replays euler, "
                                         r"midpoint, .*dopri8$"):
        Solver("foo")
    with pytest.raises(ModelError, match=r"solver 'scipy_solver': torchdiffeq has it, but .* not replay"):
        Solver("scipy_solver")
    with pytest.raises(ModelError, match="step_size 0"):
        Solver("rk4", step_size=0)
    from torchdiffeq._impl.odeint import SOLVERS

    assert set(METHODS) | {"scipy_solver"} == set(SOLVERS)


def test_empty_and_bad_intervals(fields):
    f, y0 = fields["2d"], points(3, 2)
    for times in ([0.5, 0.5], [0.0, np.nan], [0.0], [0.0, np.inf]):
        with pytest.raises(ModelError, match="^an integration interval of length 0"):
            integrate(f, y0, times, Solver())
    with pytest.raises(ModelError, match="^an integration interval of length 0"):
        frames(f, y0, 1.0, 1.0, [0.5], Solver())
    with pytest.raises(ModelError, match="strictly increasing or strictly decreasing"):
        integrate(f, y0, [0.0, 1.0, 0.5], Solver())
    with pytest.raises(ModelError, match="returned shape"):
        integrate(lambda t, y: y[:, :1], y0, [0.0, 1.0], Solver())


def test_blow_up_and_underflow(fields):
    y0 = np.ones((4, 1))
    with pytest.raises(ModelError, match=r"^the ODE blew up: non-finite values at t = "), np.errstate(over="ignore"):
        integrate(lambda t, y: 1e3 * y * y, y0, [0.0, 2.0], Solver("euler", step_size=0.1))
    # y = 1 / (1 - 1000 t): an adaptive solver shrinks its steps to nothing at t = 0.001, as torchdiffeq does
    with pytest.raises(ModelError, match=r"^solver 'dopri5': the step size underflowed at t = 0.001, where \|y\| "):
        integrate(lambda t, y: 1e3 * y * y, y0, [0.0, 2.0], Solver("dopri5"))
    with pytest.raises(AssertionError, match="underflow in dt"):
        torchdiffeq.odeint(lambda t, y: 1e3 * y * y, torch.ones(4, 1, dtype=torch.float64),
                           torch.tensor([0.0, 2.0], dtype=torch.float64))
    with pytest.raises(ModelError, match="^the ODE blew up"):
        integrate(lambda t, y: y * np.nan, y0, [0.0, 1.0], Solver("bosh3"))
    # at t = 1e17 a float's spacing is 16: any step the controller picks is lost, as in torchdiffeq
    with pytest.raises(ModelError, match=r"^solver 'dopri5': the step size underflowed at t = 1e\+17"):
        integrate(lambda t, y: -y, y0, [1e17, 1e17 + 64], Solver())
    with pytest.raises(AssertionError, match="underflow in dt"):
        torchdiffeq.odeint(lambda t, y: -y, torch.ones(4, 1, dtype=torch.float64),
                           torch.tensor([1e17, 1e17 + 64], dtype=torch.float64))
