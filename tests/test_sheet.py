"""The picture of a wide input (storyboard/flow.py, plane.py): carried exactly in its principal
directions and the first layer's rows, the first picture its own principal view, the grid a sheet
through the data's mean along its first two principal directions, carried like the data, and no
jumps as the projection glides from the input's view to the last representation's."""

import numpy as np
import pytest

from nntopo import storyboard
from nntopo.nets.network import Dense, Network
from nntopo.nets.reduce import principal
from nntopo.recording import Data, Meta, Metrics, NetSource, Recording, Snapshots
from nntopo.storyboard import Kind, plane
from nntopo.storyboard.flow import carried


def wide_recording(n=64, classes=10, widths=(16, 8), per_class=40, seed=0) -> Recording:
    """Clusters in R^n, one per class (some columns nearly constant, as pixels at an image's
    border are), through a random tanh network whose head is fitted to them: a wide input, made
    in milliseconds."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, n)) * 2.0
    X = np.concatenate([c + rng.standard_normal((per_class, n)) for c in centres])
    X[:, : n // 8] *= 1e-3
    y = np.repeat(np.arange(classes), per_class)
    layers, d = [], n
    for w in widths:
        layers.append(Dense(rng.standard_normal((w, d)) / np.sqrt(d), 0.1 * rng.standard_normal(w), "tanh"))
        d = w
    body = Network(tuple(layers), np.zeros((classes, d)), np.zeros(classes))
    H = body.representations(X)[-1]
    target = np.eye(classes)[y] * 4 - 2
    A = np.hstack([H, np.ones((len(H), 1))])
    coef, *_ = np.linalg.lstsq(A, target, rcond=None)  # a least-squares head: most points right
    net = Network(body.layers, coef[:-1].T, coef[-1])
    acc = float(np.mean(net.predict(X) == y))
    meta = Meta(Data("clusters", "torch", n_points=len(X)), NetSource(model="Sequential"), Metrics(acc))
    return Recording(meta, X, y, net, Snapshots.none(net))


@pytest.fixture(scope="module")
def rec():
    return wide_recording()


@pytest.fixture(scope="module")
def sb(rec):
    return storyboard.layers(rec, fps=8)


@pytest.fixture(scope="module")
def frames(sb):
    return sb.frames(0, sb.n_frames)


def test_the_carried_input_computes_the_network_exactly(rec):
    shown, red = carried(rec)
    assert shown.X.shape[1] == red.dim <= 3 + 16
    assert np.abs(shown.net.outputs(shown.X) - rec.net.outputs(rec.X)).max() < 1e-10
    assert np.array_equal(shown.net.predict(shown.X), rec.net.predict(rec.X))
    # the first three carried coordinates are the data's principal components
    mean, V, spread, _ = principal(rec.X, 3)
    assert np.allclose(shown.X[:, :3] - shown.X[:, :3].mean(0), (rec.X - mean) @ V, atol=1e-9)


def test_the_sheet_is_the_plane_of_the_first_two_principal_directions(rec):
    shown, _ = carried(rec)
    s = plane.sheet(shown.X)
    uv = (shown.X - s.origin) @ s.axes.T
    assert (uv >= s.lo).all() and (uv <= s.hi).all()  # as far as the data reaches, no further
    assert np.allclose(uv.min(0), s.lo, rtol=1e-2) and np.allclose(uv.max(0), s.hi, rtol=1e-2)
    mean, V, _, _ = principal(shown.X, 2)
    assert np.allclose(np.abs(s.axes @ V), np.eye(2), atol=1e-9)
    g = plane.sheet_grid(s, storyboard.Detail())
    off = (g - s.origin) - ((g - s.origin) @ s.axes.T) @ s.axes  # nothing off the plane
    assert np.abs(off).max() < 1e-9


def test_the_panel_says_what_is_shown(sb):
    assert "input R^64 → R^3: principal directions" in sb.info
    assert any(line.endswith("grid: the first two's plane") for line in sb.info)


def test_the_first_picture_is_the_principal_view_and_the_last_the_network_s(rec, frames):
    """Frame 0 shows the data's principal components, the last frame the last representation,
    each up to the view (an affine map of the picture's coordinates)."""
    shown, _ = carried(rec)
    first = np.concatenate(frames.points, axis=0) if False else np.concatenate([p[0] for p in frames.points])
    truth = np.concatenate([shown.X[rec.y == c][:, :3] for c in range(10)])
    A = np.hstack([truth, np.ones((len(truth), 1))])
    for k in range(2):  # the screen's two axes are combinations of the three principal ones
        coef, *_ = np.linalg.lstsq(A, first[:, k], rcond=None)
        assert np.allclose(A @ coef, first[:, k], atol=1e-4)


def test_no_point_jumps_and_everything_stays_in_the_plot(sb, frames):
    pts = np.concatenate(frames.points, axis=1)[..., :2]  # (T, N, 2)
    side = 2 * sb.layout.plot_half
    assert np.linalg.norm(np.diff(pts, axis=0), axis=-1).max() < 0.04 * side
    centre, half = np.array(sb.layout.plot_center), sb.layout.plot_half
    for p in (pts, frames.grid[..., :2]):
        assert (p >= centre - half - 1e-3).all() and (p <= centre + half + 1e-3).all()


def test_the_sheet_has_a_heat_map_of_every_class_and_its_boundary(sb, frames):
    assert len(frames.heat) > 1 and frames.boundary.shape[1] > 0
    assert set(sb.heat_classes) >= {-1} | set(range(3))


def test_784_pixels_are_carried_in_few_dimensions_and_play():
    rec = wide_recording(n=784, widths=(32,), per_class=30, seed=1)
    shown, red = carried(rec)
    assert red.dim <= 35
    assert np.abs(shown.net.outputs(shown.X) - rec.net.outputs(rec.X)).max() < 1e-9
    sb = storyboard.layers(rec, fps=4)
    assert sb.blocks[1].kind is Kind.STAGE and "(W: R^784 -> R^32 collapses)" in sb.blocks[1].caption
    f = sb.frames(sb.n_frames - 1, sb.n_frames)
    assert np.isfinite(f.points[0]).all()


def test_a_head_on_the_raw_input_plays_too():
    rec = wide_recording(n=13, classes=3, widths=(), per_class=30, seed=2)
    sb = storyboard.layers(rec, fps=4)
    assert "input R^13 → R^3: principal directions" in sb.info
