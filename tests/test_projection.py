"""The projection of wide representations (storyboard/projection.py): orthonormal bases that
glide from key to key, the input's own axes first, the classifier's normal last; and the video
it gives: no jumps, and the drawn plane separates what the network separates."""

import numpy as np
import pytest

from nntopo import storyboard
from nntopo.config import NetConfig, TrainConfig
from nntopo.storyboard import projection
from helpers import trained


def orthonormal(B, tol=1e-9):
    m = B.shape[-1]
    return np.allclose(np.swapaxes(B, -1, -2) @ B, np.eye(m), atol=tol)


def test_a_representation_that_fits_is_shown_as_it_is():
    keys = [np.random.default_rng(0).standard_normal((30, 3))]
    p = projection.fit(keys, slice(None), None, 3)
    assert not p.projected and p.note() == () and np.array_equal(p.keys[0], np.eye(3))


def test_bases_are_orthonormal_start_on_the_input_axes_and_end_on_the_head():
    rng = np.random.default_rng(1)
    D, m = 16, 3
    x0 = np.zeros((200, D))
    x0[:, :2] = rng.standard_normal((200, 2))  # 2D input, padded
    keys = [x0]
    for _ in range(4):
        keys.append(np.tanh(keys[-1] @ rng.standard_normal((D, D)) * 0.7 + rng.standard_normal(D) * 0.1))
    keys.insert(2, keys[1])  # a hold: the same array again
    w = rng.standard_normal(D)
    p = projection.fit(keys, slice(None), w[None], m)
    assert p.keys.shape == (len(keys), D, m) and orthonormal(p.keys)
    assert np.allclose(p.keys[0][:2, :2], np.eye(2)) and np.allclose(p.keys[0][2:, :2], 0)
    assert np.array_equal(p.keys[1], p.keys[2])
    last = p.keys[-1]
    assert np.allclose(last @ (last.T @ w), w)  # the normal lies in the picture
    assert p.head == 1 and 0 < p.kept <= 1
    assert p.note()[0] == "R^16 → R^3: principal directions" and "normal" in p.note()[1]
    t = np.linspace(0, 1, 9)
    for k in range(len(keys) - 1):
        B = p.bases(k, t)
        assert orthonormal(B) and np.allclose(B[0], p.keys[k]) and np.allclose(B[-1], p.keys[k + 1])


def test_a_c_way_head_gives_the_directions_its_scores_differ_in():
    rng = np.random.default_rng(2)
    keys = [rng.standard_normal((100, 8))]
    head = rng.standard_normal((3, 8))  # three classes: two directions of difference
    p = projection.fit(keys, slice(None), head, 3)
    B = p.keys[-1]
    diffs = (head - head.mean(0)).T  # (8, 3), rank 2
    assert p.head == 2 and np.allclose(B @ (B.T @ diffs), diffs)


@pytest.fixture(scope="module")
def wide():
    """Spirals through two 8-unit tanh layers: a real, quickly trained wide network."""
    return trained("spirals", NetConfig(2, 2, 8, "tanh"), TrainConfig(steps=150, restarts=1), seed=0,
                  n_per_class=40)


@pytest.mark.parametrize("view", ["3d", "2d"])
def test_a_wide_network_plays_without_jumps(wide, view):
    """Continuity: from frame to frame no data point moves more than a tenth of the plot's side
    (measured: 0.04 of it; a basis that jumps to the next key at each stage moves them 0.22 to
    0.29 of it, one not turned to follow the key before 0.10 to 0.20)."""
    sb = storyboard.layers(wide, fps=10, view=view)
    frames = storyboard.Frames.concat([f for _, f in sb.chunks()])
    pts = np.concatenate(frames.points, axis=1)[..., :2]  # (T, N, 2) on screen
    side = 2 * sb.layout.plot_half
    step = np.linalg.norm(np.diff(pts, axis=0), axis=-1).max()
    assert step < 0.1 * side, step
    assert any(line.startswith("R^8 → R^") for line in sb.info)
    if view == "2d":
        assert all(b.still for b in sb.blocks if b.kind is storyboard.Kind.HOLD)


def test_in_3d_the_plane_is_seen_edge_on_with_the_classes_on_either_side(wide):
    """Halfway through the outro the turning camera sees the separating plane edge on: its
    corners fall on one line of the screen, and every point lies on the side of that line its
    predicted class is on (what a viewer sees, measured on the drawn frame)."""
    from helpers import sides_of_the_drawn_plane

    sb = storyboard.layers(wide, fps=10)
    outro = sb.blocks[-1].frames + sb.blocks[-2].frames
    flatness, sides = sides_of_the_drawn_plane(sb, sb.n_frames - outro // 2)
    assert flatness < 0.02
    side = np.concatenate(sides)
    pred = np.concatenate([wide.net.predict(wide.X[wide.y == c]) for c in range(2)])
    assert (side[pred == 0] == side[pred == 0][0]).all() and (side[pred == 1] == -side[pred == 0][0]).all()


def test_the_drawn_separator_separates_what_the_network_separates(wide):
    """In the last frame, the classifier's sign on every point is the side of the drawn line it
    is on: w . h + c = w_E . y + c exactly, because the normal is in the picture."""
    import nntopo.nets.isotopy as isotopy

    plan = isotopy.plan(wide.net, 2)
    reps = isotopy.pad(wide.net.representations(wide.X)[-1], plan.dim)
    v, c = wide.net.separator
    p = projection.fit([reps], slice(None), plan.head_w, 2)
    y = reps @ p.keys[-1]
    w_E, c = plan.head_w[0] @ p.keys[-1], plan.head_b[0]
    assert np.allclose(y @ w_E + c, reps @ plan.head_w[0] + c)
    assert np.array_equal(y @ w_E + c > 0, wide.net.predict(wide.X) == 1)


def test_a_c_way_head_decides_the_same_in_the_picture():
    """Three classes, an 8-wide representation: in the last picture the head's scores on the
    projected points pick the class the network picks, for every point (its two directions of
    difference are in the picture, the rest adds the same to every score)."""
    rng = np.random.default_rng(3)
    reps = rng.standard_normal((300, 8))
    W, b = rng.standard_normal((3, 8)), rng.standard_normal(3)
    for m in (2, 3):
        B = projection.fit([reps], slice(None), W, m).keys[-1]
        assert np.array_equal(((reps @ B) @ (W @ B).T + b).argmax(1), (reps @ W.T + b).argmax(1))


def test_a_three_unit_picture_also_ends_with_the_plane_edge_on():
    """3 units need no projection, but the last picture is turned the same way: the separating
    plane edge on, each point on its predicted class's side (the unlink and circles-3 figures
    ended with the plane face on, the classes on top of each other)."""
    from helpers import sides_of_the_drawn_plane

    rec = trained("circles", NetConfig(2, 1, 3, "tanh"), TrainConfig(steps=200, restarts=1), seed=0,
                 n_per_class=40)
    sb = storyboard.layers(rec, fps=10)
    assert not any(line.startswith("R^") for line in sb.info)  # not projected: shown as it is
    outro = sb.blocks[-1].frames + sb.blocks[-2].frames
    flatness, sides = sides_of_the_drawn_plane(sb, sb.n_frames - outro // 2)
    side = np.concatenate(sides)
    pred = np.concatenate([rec.net.predict(rec.X[rec.y == c]) for c in range(2)])
    assert flatness < 0.02
    assert (side[pred == 0] == side[pred == 0][0]).all() and (side[pred == 1] == -side[pred == 0][0]).all()
