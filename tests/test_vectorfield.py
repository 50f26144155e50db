import numpy as np
import torch

from nntopo import vectorfield as vf


def test_field_against_a_hand_computation():
    field = vf.Field(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 2.0]]),
                     np.array([1.0, 0.5]))
    x = np.array([[0.5, 0.5]])
    f0 = np.exp(-(0.25 + 0.25) / 2)  # |x - a0|^2 = 0.5, s0 = 1
    f1 = np.exp(-(0.25 + 0.25) / (2 * 0.25))  # |x - a1|^2 = 0.5, s1 = 0.5
    expected = (f0 * np.array([1.0, 0.0]) + f1 * np.array([0.0, 2.0])) / (1 + f0 + f1)
    assert np.allclose(vf.evaluate(x, field), expected)


def random_field(seed, scale):
    rng = np.random.default_rng(seed)
    return vf.Field(rng.uniform(-1, 1, (6, 2)), scale * rng.standard_normal((6, 2)),
                    rng.uniform(0.2, 0.6, 6))


def test_flow_starts_at_the_identity_and_ends_at_the_layer():
    field = random_field(0, 0.3)
    x = np.random.default_rng(1).uniform(-1, 1, (40, 2))
    path = vf.flow(x, field, np.array([0.0, 0.5, 1.0]))
    assert np.allclose(path[0], x) and np.allclose(path[2], x + vf.evaluate(x, field))
    layer = vf.VectorFieldLayer(torch.tensor(field.anchors), learn_widths=False)
    with torch.no_grad():
        layer.vectors.copy_(torch.tensor(field.vectors))
        layer.fixed_log_widths.copy_(torch.log(torch.tensor(field.widths)))
        out = layer(torch.tensor(x, dtype=torch.float32)).numpy()
    assert np.allclose(out, path[2], atol=1e-5)  # torch and numpy agree
    fresh = vf.VectorFieldLayer(torch.tensor(field.anchors))
    assert torch.equal(fresh(torch.tensor(x, dtype=torch.float32)), torch.tensor(x, dtype=torch.float32))


def test_jacobian_against_finite_differences():
    field = random_field(2, 1.0)
    x = np.random.default_rng(3).uniform(-1, 1, (10, 2))
    J = vf.jacobian(x, field)
    eps = 1e-6
    for k in range(2):
        dx = np.zeros(2)
        dx[k] = eps
        fd = (vf.evaluate(x + dx, field) - vf.evaluate(x - dx, field)) / (2 * eps)
        assert np.allclose(J[:, :, k], fd, atol=1e-7)


def test_invertibility_check_on_a_gentle_and_a_violent_field():
    g = np.linspace(-1.5, 1.5, 61)
    box = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    gentle = random_field(4, 0.05)
    assert vf.lipschitz_estimate(gentle, box) < 1 and not vf.folds(gentle, box)
    # one strong, narrow push: neighbouring points overtake each other, and space folds
    violent = vf.Field(np.zeros((1, 2)), np.array([[3.0, 0.0]]), np.array([0.2]))
    assert vf.lipschitz_estimate(violent, box) > 1 and vf.folds(violent, box)
