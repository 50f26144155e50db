import numpy as np
import pytest
import torch

from helpers import layer_output, linear_path, rotation_path

from nntopo.nets import isotopy
from nntopo.config import NetConfig
from nntopo.training.model import MLP
from nntopo.training.loop import network
from nntopo.nets.network import Dense, Network

T = np.linspace(0.0, 1.0, 401)


def positive(W):
    if np.linalg.det(W) < 0:
        W = W.copy()
        W[[0, 1]] = W[[1, 0]]
    return W


@pytest.mark.parametrize("n", [2, 3, 4])
def test_linear_path_stays_in_gl_plus(n):
    rng = np.random.default_rng(n)
    for _ in range(300):
        W = positive(rng.standard_normal((n, n)) * rng.uniform(0.1, 5.0))
        P = linear_path(W, T)
        assert np.allclose(P[0], np.eye(n), atol=1e-12)
        assert np.allclose(P[-1], W, atol=1e-9)
        assert np.linalg.det(P).min() > 0
        assert np.abs(np.diff(P, axis=0)).max() < 0.1 * max(1.0, np.abs(W).max())  # continuous


@pytest.mark.parametrize(
    "U", [-np.eye(2), np.diag([-1.0, -1.0, 1.0]), -np.eye(4), np.diag([1.0, -1.0, 1.0, -1.0])]
)
def test_rotation_path_through_half_turns(U):
    R = rotation_path(U, T)
    assert np.allclose(R[0], np.eye(len(U))) and np.allclose(R[-1], U, atol=1e-12)
    assert np.allclose(R @ np.swapaxes(R, 1, 2), np.eye(len(U)), atol=1e-12)
    assert np.allclose(np.linalg.det(R), 1.0)


def test_straight_line_would_fold_but_polar_path_does_not():
    W = np.array([[-1.0, 0.0], [0.0, -1.0]])  # a half turn: det W = 1 > 0
    straight = (1 - T)[:, None, None] * np.eye(2) + T[:, None, None] * W
    assert np.linalg.det(straight).min() <= 0
    assert np.linalg.det(linear_path(W, T)).min() > 0


def test_singular_matrix_collapses_only_at_the_end():
    W = np.array([[1.0, 2.0], [2.0, 4.0]])
    P = linear_path(W, T)
    assert np.allclose(P[-1], W, atol=1e-9)
    assert np.linalg.det(P[:-1]).min() > 0


def torch_layers(net_cfg, seed):
    torch.manual_seed(seed)
    m = MLP(net_cfg)
    return m, network(m)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus", "relu", "leaky-relu"])
@pytest.mark.parametrize("in_dim,width,layers", [(2, 2, 4), (1, 2, 3), (2, 3, 2), (2, 1, 2), (1, 1, 2)])
def test_stage_ends_equal_torch_layers(activation, in_dim, width, layers):
    cfg = NetConfig(in_dim, layers, width, activation)
    for seed in range(4):
        m, net = torch_layers(cfg, seed)
        plan = isotopy.plan(net, in_dim)
        x = np.random.default_rng(seed).uniform(-1, 1, (50, in_dim))
        with torch.no_grad():
            reps = m.representations(torch.tensor(x, dtype=torch.float32))
            logits = m(torch.tensor(x, dtype=torch.float32)).numpy()
        h = isotopy.pad(x, plan.dim)
        for lp, rep in zip(plan.layers, reps[1:]):
            assert np.linalg.det(lp.M) > 0 or lp.collapse
            h = layer_output(lp, h)
            k = lp.out_dim
            assert np.allclose(h[:, k:], 0.0, atol=1e-9)  # unused coordinates stay zero
            # equal to torch, with the two neurons the plan swapped (if it did) exchanged
            order = np.arange(k)
            if lp.index in plan.swaps:
                order[[0, 1]] = order[[1, 0]]
            assert np.allclose(h[:, :k], rep.numpy()[:, order], atol=1e-5)
        # the laid-out network computes the same function, swaps included
        assert np.allclose(h @ plan.head_w[0] + plan.head_b[0], logits, atol=1e-5)


def test_negative_determinant_swaps_two_neurons_and_keeps_the_function():
    W1 = np.array([[0.0, 1.0], [1.0, 0.0]])  # det -1
    W2 = np.array([[0.0, 2.0], [2.0, 0.0]])  # det < 0 too, but the swap's column exchange fixes it
    net = Network((Dense(W1, np.array([0.1, -0.2]), "tanh"), Dense(W2, np.zeros(2), "tanh")),
                  np.array([1.0, -2.0]), 0.3)
    plan = isotopy.plan(net, 2)
    assert plan.swaps == (0,)
    assert "swapped" in plan.layers[0].note
    assert all(np.linalg.det(lp.M) > 0 for lp in plan.layers)
    x = np.random.default_rng(0).standard_normal((20, 2))
    assert np.allclose(plan.net.logits(x), net.logits(x))


def test_wider_layer_embeds_then_moves_and_narrower_collapses():
    up = Dense(np.array([[2.0], [-1.0]]), np.zeros(2), "tanh")  # 1 -> 2
    down = Dense(np.array([[1.0, 1.0]]), np.zeros(1), "tanh")  # 2 -> 1
    plan = isotopy.plan(Network((up, down), np.array([1.0]), 0.0), 1)
    assert plan.dim == 2
    assert not plan.layers[0].collapse and np.linalg.det(plan.layers[0].M) > 0
    assert "embed" in plan.layers[0].note
    assert plan.layers[1].collapse and "collapses" in plan.layers[1].note


def test_stage_at_time_zero_is_the_identity():
    _, net = torch_layers(NetConfig(2, 3, 2, "tanh"), 0)
    plan = isotopy.plan(net, 2)
    x = np.random.default_rng(1).standard_normal((30, 2))
    for lp in plan.layers:
        for name in isotopy.STAGES:
            assert np.allclose(isotopy.stage(lp, name, x, np.zeros(1))[0], x)
