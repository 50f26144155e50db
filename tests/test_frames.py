import numpy as np
import pytest

from nntopo import frames, isotopy


@pytest.fixture(scope="module")
def tl(tiny_recording):
    return frames.timeline(tiny_recording, fps=10)


def test_blocks_tile_the_frames(tl, tiny_recording):
    start, length, kind = tl.blocks.T
    assert start[0] == 0 and np.array_equal(start[1:], (start + length)[:-1])
    assert (start + length)[-1] == tl.n_frames
    n_layers = len(tiny_recording.net.layers)
    assert (kind == frames.MOVE).sum() == 3 * n_layers  # linear, translate, activate per layer
    assert kind[-2] == frames.FADE and kind[-1] == frames.HOLD
    assert len(tl.caption_index) == len(tl.blocks)


def test_shapes(tl, tiny_recording):
    T = tl.n_frames
    assert tl.grid.shape[0] == T and tl.grid.shape[1] % 4 == 0
    assert all(h.shape[0] == T and h.shape[1] % 4 == 0 for h in tl.heat)
    assert tl.points[0].shape == (T, (tiny_recording.y == 0).sum(), 3)
    assert tl.line.shape == (T, 2, 3) and tl.line_opacity.shape == (T,)
    assert np.isfinite(tl.grid).all() and np.isfinite(tl.points[1]).all()


def test_points_follow_the_network(tl, tiny_recording):
    """Frame 0 shows the input, the last frame the last representation, both up to the view."""
    rec = tiny_recording
    plan = isotopy.plan(rec.net, 2)
    last = plan.net.representations(rec.X)[-1]
    for shown, truth in [(tl.points[0][0], rec.X[rec.y == 0]), (tl.points[0][-1], last[rec.y == 0])]:
        # an affine view: shown = a * truth + c with the same scale a on both axes
        A = np.hstack([truth, np.ones((len(truth), 1))])
        coef, *_ = np.linalg.lstsq(A, shown[:, 0], rcond=None)
        assert np.allclose(A @ coef, shown[:, 0], atol=1e-4)


def test_everything_stays_in_the_plot_area(tl):
    centre, half = np.array(tl.layout.plot_center), tl.layout.plot_half
    lo, hi = centre - half - 1e-3, centre + half + 1e-3
    for pts in (tl.points[0], tl.points[1]):
        assert (pts[..., :2] >= lo).all() and (pts[..., :2] <= hi).all()


def test_frames_change_smoothly_during_stages(tl):
    pts = tl.points[1]
    step = np.abs(np.diff(pts, axis=0)).max()
    assert step < 0.6 * tl.layout.plot_half  # no jump across the plot between two frames


def test_the_line_fades_in_at_the_end(tl):
    start = tl.blocks[-2][0]
    assert (tl.line_opacity[:start] == 0).all()
    assert tl.line_opacity[-1] == 1.0
    assert np.all(np.diff(tl.line_opacity[start:]) >= 0)


def test_frame_count_scales_with_fps(tiny_recording):
    a = frames.timeline(tiny_recording, fps=10).n_frames
    b = frames.timeline(tiny_recording, fps=20).n_frames
    assert abs(b - 2 * a) <= len(frames.timeline(tiny_recording, fps=10).blocks)


def test_dot_paths_are_round():
    c = np.array([[1.0, 2.0, 0.0], [-3.0, 0.5, 0.0]], np.float32)
    pts = frames.dot_paths(c, 0.1).reshape(2, -1, 4, 3)
    t = np.linspace(0, 1, 101)[:, None, None, None]
    p0, p1, p2, p3 = (pts[:, :, i] for i in range(4))
    outline = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
    r = np.linalg.norm(outline[..., :2] - c[None, :, None, :2], axis=-1)
    assert np.allclose(r, 0.1, rtol=0.015)  # round to 1.5%
    assert np.allclose(pts[:, -1, 3], pts[:, 0, 0])  # each outline closes


def test_path_index_passes_through_anchors():
    anchors = np.random.default_rng(0).standard_normal((3, 9, 3))  # T=3; paths of 4 and 5
    idx = frames.PathIndex.build([4, 5], closed=False)
    bez = idx.bezier(anchors).reshape(3, -1, 4, 3)
    assert bez.shape[1] == 3 + 4
    assert np.allclose(bez[:, :3, 0], anchors[:, 0:3]) and np.allclose(bez[:, 3:, 3], anchors[:, 5:9])
    closed = frames.PathIndex.build([4], closed=True).bezier(anchors[:, :4]).reshape(3, 4, 4, 3)
    assert np.allclose(closed[:, -1, 3], anchors[:, 0])  # closes on its first anchor


def test_heat_levels_follow_the_probability(tiny_recording):
    rings, levels, boundary = frames._heat_map(tiny_recording.net.probability, 1.2, 2, frames.Detail())
    assert boundary and all(b.shape[1] == 2 for b in boundary)
    assert len(rings) == len(levels) and levels[0] == 0.0 and levels[-1] == 1.0
    assert len(rings[0]) == 1  # level 0 is the whole window
    p = tiny_recording.net.probability(rings[0][0])
    assert p.min() >= 0.0 and p.max() <= 1.0


def test_outro_caption_tells_the_truth(tiny_recording):
    from dataclasses import replace

    tl = frames.timeline(tiny_recording, fps=5)
    last = tl.captions[tl.caption_index[-1]]
    perfect = tiny_recording.accuracy == 1.0
    assert ("no line separates" in last) != perfect
    meta = dict(tiny_recording.meta, metrics=dict(tiny_recording.meta["metrics"], train_accuracy=0.8))
    tl = frames.timeline(replace(tiny_recording, meta=meta), fps=5)
    assert "no line separates" in tl.captions[tl.caption_index[-1]]


def test_straight_paths_have_handles_on_the_chord():
    anchors = np.random.default_rng(1).standard_normal((2, 5, 3))
    bez = frames.PathIndex.build([5], closed=True, smooth=False).bezier(anchors).reshape(2, 5, 4, 3)
    a, h0, h1, b = (bez[:, :, i].astype(np.float64) for i in range(4))
    chord = b - a
    for h in (h0, h1):
        s = ((h - a) * chord).sum(-1) / (chord * chord).sum(-1)
        assert np.allclose(a + s[..., None] * chord, h, atol=1e-5) and (s >= -1e-6).all() and (s <= 1 + 1e-6).all()


def test_smooth_paths_do_not_loop_on_uneven_anchors():
    """Centripetal Catmull-Rom: no overshoot where anchors bunch up (a stretched grid line)."""
    x = np.array([0.0, 0.01, 0.02, 3.0, 3.01])
    anchors = np.stack([x, np.zeros_like(x), np.zeros_like(x)], -1)[None]
    bez = frames.PathIndex.build([5], closed=False).bezier(anchors)[0]
    assert bez[:, 0].min() >= -1e-6 and bez[:, 0].max() <= 3.01 + 1e-6  # stays on [0, 3.01]


def test_rotation_in_the_x_w_plane():
    x = np.random.default_rng(0).standard_normal((2, 50, 4))
    angle = np.array([0.0, np.pi / 2])
    r = frames.rotate_xw(x, angle)
    assert np.allclose(r[0], x[0])  # angle 0: nothing moves
    assert np.allclose(np.linalg.norm(r, axis=-1), np.linalg.norm(x, axis=-1))  # a rotation
    assert np.allclose(r[1][:, 3], x[1][:, 0]) and np.allclose(r[1][:, 1:3], x[1][:, 1:3])


def test_camera_and_projection():
    x = np.array([[[1.0, 2.0, 3.0]]])
    assert np.allclose(frames.camera(x, np.zeros(1), elevation=0.0), [[[1.0, 3.0]]])  # front view
    flat = frames.project(np.random.default_rng(0).standard_normal((5, 10, 4)), fps=10)
    assert flat.shape == (5, 10, 2)
    two = np.random.default_rng(1).standard_normal((3, 7, 2))
    assert np.array_equal(frames.project(two, fps=10), two)  # the plane is shown as it is


def test_lifting_the_plane_into_3d_starts_flat():
    """A 2 -> 3 layer: the plane is embedded at z = 0 first, then moved continuously."""
    from nntopo import isotopy
    from nntopo.recording import Layer, Network

    W = np.array([[1.0, 0.5], [0.2, 1.0], [0.7, -0.4]])
    net = Network((Layer(W, np.zeros(3), "tanh"),), np.ones(3), 0.0)
    plan = isotopy.plan(net, 2)
    assert plan.dim == 3 and np.linalg.det(plan.layers[0].M) > 0
    x = isotopy.pad(np.random.default_rng(0).uniform(-1, 1, (20, 2)), 3)
    path = isotopy.stage(plan.layers[0], "linear", x, np.linspace(0, 1, 11))
    assert np.allclose(path[0][:, 2], 0.0) and np.allclose(path[-1], x @ plan.layers[0].M.T)


def test_3d_timeline_has_a_turning_camera_and_a_plane():
    from nntopo.model import NetConfig
    from nntopo.train import TrainConfig, record

    rec = record("circles", NetConfig(2, 1, 3, "tanh"), TrainConfig(steps=50, restarts=1), 0, 30)
    tl = frames.timeline(rec, fps=5)
    assert tl.plane is not None and tl.plane.shape == (tl.n_frames, 16, 3)  # 4 straight pieces
    assert not (tl.blocks[:, 2] == frames.HOLD).any()  # the camera turns: every frame is drawn
    assert "plane separates" in tl.captions[tl.caption_index[-1]]  # a plane, not a line
    assert any("3D" in line for line in tl.info)
    # during the intro hold the points are still, but the camera turns them on screen
    assert not np.allclose(tl.points[0][0], tl.points[0][5])
