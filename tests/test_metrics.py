import numpy as np
import pytest

from nntopo.analysis import metrics
from nntopo.nets.network import Dense, Network


def random_net(activation, seed=0, dims=(2, 3, 2)):
    rng = np.random.default_rng(seed)
    layers = tuple(
        Dense(rng.standard_normal((b, a)), rng.standard_normal(b), activation)
        for a, b in zip(dims[:-1], dims[1:])
    )
    return Network(layers, rng.standard_normal(dims[-1]), 0.1)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus", "leaky-relu"])
def test_jacobian_against_finite_differences(activation):
    net = random_net(activation)
    X = np.random.default_rng(1).standard_normal((5, 2))
    J = metrics.jacobians(net, X)
    eps = 1e-6
    for k in range(2):
        dx = np.zeros(2)
        dx[k] = eps
        fd = (net.representations(X + dx)[-1] - net.representations(X - dx)[-1]) / (2 * eps)
        assert np.allclose(J[:, :, k], fd, atol=1e-6)


def test_stretch_of_a_linear_scaling():
    net = Network((Dense(np.diag([3.0, 0.5]), np.zeros(2), "leaky-relu"),), np.ones(2), 0.0)
    X = np.array([[1.0, 1.0], [2.0, 3.0]])  # positive: leaky-relu acts as the identity
    assert np.allclose(metrics.stretch(net, X), 3.0)


def test_dense_test_accuracy_uses_fresh_points():
    net = Network((), np.array([0.0, -1.0]), 0.0)  # class B (the lower curve) below the x axis
    acc = metrics.dense_test_accuracy(net, "curves", seed=0, n_per_class=2000)
    assert 0.5 < acc < 1.0  # a horizontal line cannot separate the curves
