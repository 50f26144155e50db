"""nets/reduce.py: a wide input carried in the span of its principal directions and the first
map's rows computes exactly what the network computes on the input itself."""

import numpy as np
import pytest

from nntopo.nets.network import Dense, Network, VectorField
from nntopo.nets.reduce import principal, reduce


def _net(rng, n, widths, classes):
    layers, d = [], n
    for w in widths:
        layers.append(Dense(rng.standard_normal((w, d)) / np.sqrt(d), rng.standard_normal(w), "tanh"))
        d = w
    return Network(tuple(layers), rng.standard_normal((classes, d)), rng.standard_normal(classes))


@pytest.mark.parametrize("n, widths, classes", [(784, [32, 8], 10), (64, [16], 10), (13, [8], 3),
                                                (4, [8], 3), (30, [], 1), (784, [], 10)])
def test_the_reduced_network_computes_the_same_outputs(n, widths, classes):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((300, n)) * rng.uniform(0.0, 3.0, n)  # some columns nearly constant
    net = _net(rng, n, widths, classes)
    red = reduce(net, X)
    Z = X @ red.basis
    assert np.abs(red.net.outputs(Z) - net.outputs(X)).max() < 1e-10
    # and off the data too: any point of R^n
    Y = rng.standard_normal((50, n)) * 5
    assert np.abs(red.net.outputs(Y @ red.basis) - net.outputs(Y)).max() < 1e-9
    assert np.allclose(red.basis.T @ red.basis, np.eye(red.dim), atol=1e-12)
    rank = min(n, widths[0] if widths else classes)
    assert red.dim <= min(n, 3 + rank)


def test_the_basis_starts_with_the_data_s_principal_directions():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((64, 64))
    X = rng.standard_normal((1000, 64)) * np.linspace(3.0, 0.1, 64) @ np.linalg.qr(A)[0]
    red = reduce(_net(rng, 64, [10], 10), X)
    _, V, spread, total = principal(X, 3)
    for j in range(3):  # the same directions, signs included
        assert np.allclose(red.basis[:, j], V[:, j], atol=1e-10)
    w = np.linalg.eigvalsh(np.cov(X, rowvar=False))[::-1]
    assert np.allclose(spread ** 2, w[:3], rtol=1e-8)
    assert red.shown(3) == pytest.approx(w[:3].sum() / w.sum(), rel=1e-8)
    # fewer points than dimensions: the Gram matrix gives the same directions
    _, V2, spread2, _ = principal(X[:40], 3)
    _, V3, spread3, _ = principal(np.concatenate([X[:40]]), 3)
    assert np.allclose(np.abs(V2.T @ V3), np.eye(3), atol=1e-8)


def test_a_vector_field_first_layer_is_not_reduced():
    rng = np.random.default_rng(2)
    step = VectorField(rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), np.ones(4))
    assert reduce(Network((step,), rng.standard_normal((1, 5)), np.zeros(1)), rng.standard_normal((20, 5))) is None
