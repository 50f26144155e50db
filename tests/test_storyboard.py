import dataclasses

import numpy as np
import pytest

from nntopo.nets import isotopy
from nntopo import storyboard
from nntopo.config import NetConfig, TrainConfig
from nntopo.nets.network import Dense, Network
from nntopo.storyboard import Kind, camera, paths, plane
from helpers import trained


def whole(sb):
    """Every frame of a (short) storyboard at once."""
    return sb.frames(0, sb.n_frames)


@pytest.fixture(scope="module")
def sb(tiny_recording):
    return storyboard.layers(tiny_recording, fps=10)


@pytest.fixture(scope="module")
def tl(sb):
    return whole(sb)


@pytest.fixture(scope="module")
def recording_3d():
    return trained("circles", NetConfig(2, 1, 3, "tanh"), TrainConfig(steps=50, restarts=1), 0, 30)


def test_blocks_tile_the_frames(sb, tiny_recording):
    assert sb.starts()[0] == 0 and sb.n_frames == sum(b.frames for b in sb.blocks)
    stages = [b for b in sb.blocks if b.kind is Kind.STAGE]
    assert [b.stage for b in stages] == ["linear", "translate", "activate"] * len(tiny_recording.net.layers)
    assert sb.blocks[-2].kind is Kind.FADE and sb.blocks[-1].kind is Kind.HOLD
    assert all(b.still for b in sb.blocks if b.kind is Kind.HOLD)  # 2D: a hold is drawn once


def test_shapes(tl, sb, tiny_recording):
    T = sb.n_frames
    assert len(tl) == T and tl.grid.shape[0] == T and tl.grid.shape[1] % 4 == 0
    assert all(h.shape[0] == T and h.shape[1] % 4 == 0 for h in tl.heat)
    assert tl.points[0].shape == (T, (tiny_recording.y == 0).sum(), 3)
    assert tl.line.shape == (T, 2, 3) and tl.line_opacity.shape == (T,)
    assert np.isfinite(tl.grid).all() and np.isfinite(tl.points[1]).all()


def test_any_range_of_frames_is_the_same_as_the_whole(sb, tl):
    """Frames made on demand, in any chunks, are the frames: nothing depends on the order asked."""
    part = sb.frames(17, 40)
    for f in dataclasses.fields(part):
        a, b = getattr(part, f.name), getattr(tl.take(slice(17, 40)), f.name)
        for x, y in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
            assert np.array_equal(x, y), f.name
    with pytest.raises(IndexError):
        sb.frames(0, sb.n_frames + 1)


def test_points_follow_the_network(tl, tiny_recording):
    """Frame 0 shows the input, the last frame the last representation, both up to the view."""
    rec = tiny_recording
    plan = isotopy.plan(rec.net, 2)
    last = plan.net.representations(rec.X)[-1]
    for shown, truth in [(tl.points[0][0], rec.X[rec.y == 0]), (tl.points[0][-1], last[rec.y == 0])]:
        # an affine view: shown = a * truth + c with the same scale a on both axes
        A = np.hstack([truth, np.ones((len(truth), 1))])
        for k in range(2):
            coef, *_ = np.linalg.lstsq(A, shown[:, k], rcond=None)
            assert np.allclose(A @ coef, shown[:, k], atol=1e-4)


def test_everything_stays_in_the_plot_area(tl, sb):
    centre, half = np.array(sb.layout.plot_center), sb.layout.plot_half
    lo, hi = centre - half - 1e-3, centre + half + 1e-3
    for pts in (tl.points[0], tl.points[1], tl.grid):
        assert (pts[..., :2] >= lo).all() and (pts[..., :2] <= hi).all()


def test_frames_change_smoothly_during_stages(tl, sb):
    step = np.abs(np.diff(tl.points[1], axis=0)).max()
    assert step < 0.6 * sb.layout.plot_half  # no jump across the plot between two frames


def test_the_line_fades_in_at_the_end(tl, sb):
    start = sb.starts()[-2]
    assert (tl.line_opacity[:start] == 0).all()
    assert tl.line_opacity[-1] == 1.0
    assert np.all(np.diff(tl.line_opacity[start:]) >= 0)


def test_frame_count_scales_with_fps(tiny_recording):
    a = storyboard.layers(tiny_recording, fps=10)
    b = storyboard.layers(tiny_recording, fps=20)
    assert abs(b.n_frames - 2 * a.n_frames) <= len(a.blocks)


def test_dot_paths_are_round():
    c = np.array([[1.0, 2.0, 0.0], [-3.0, 0.5, 0.0]], np.float32)
    pts = paths.dot_paths(c, 0.1).reshape(2, -1, 4, 3)
    t = np.linspace(0, 1, 101)[:, None, None, None]
    p0, p1, p2, p3 = (pts[:, :, i] for i in range(4))
    outline = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
    r = np.linalg.norm(outline[..., :2] - c[None, :, None, :2], axis=-1)
    assert np.allclose(r, 0.1, rtol=0.015)  # round to 1.5%
    assert np.allclose(pts[:, -1, 3], pts[:, 0, 0])  # each outline closes


def test_path_index_passes_through_anchors():
    anchors = np.random.default_rng(0).standard_normal((3, 9, 3))  # T=3; paths of 4 and 5
    idx = paths.PathIndex.build([4, 5], closed=False)
    bez = idx.bezier(anchors).reshape(3, -1, 4, 3)
    assert bez.shape[1] == 3 + 4
    assert np.allclose(bez[:, :3, 0], anchors[:, 0:3]) and np.allclose(bez[:, 3:, 3], anchors[:, 5:9])
    closed = paths.PathIndex.build([4], closed=True).bezier(anchors[:, :4]).reshape(3, 4, 4, 3)
    assert np.allclose(closed[:, -1, 3], anchors[:, 0])  # closes on its first anchor


def test_heat_levels_follow_the_probability(tiny_recording):
    """Level k is bounded by the contour p = t_k: ring vertices inside the window lie on it,
    and the decision boundary lies on p = 1/2."""
    net, extent, detail = tiny_recording.net, 1.2, storyboard.Detail()
    rings, levels, boundary = plane.heat_map(net.probability, extent, 2, detail)
    K = detail.heat_levels
    assert len(rings) == len(levels) == K and levels[0] == 0.0 and levels[-1] == 1.0
    assert len(rings[0]) == 1  # level 0 is the whole window
    checked = 0
    for k in range(1, K):
        threshold = (k - 0.5) / (K - 1)
        for ring in rings[k]:
            inside = (np.abs(ring) < extent - 1e-9).all(1)  # off the window's edge: on the contour
            if inside.any():
                # contourpy interpolates linearly between samples one grid cell apart
                off = np.abs(net.probability(ring[inside]) - threshold).max()
                assert off < 0.15, (k, off)
                checked += inside.sum()
    assert checked > 100
    on_boundary = np.concatenate(boundary)
    assert np.abs(net.probability(on_boundary) - 0.5).max() < 0.15


def test_outro_caption_tells_the_truth(tiny_recording):
    sb = storyboard.layers(tiny_recording, fps=5)
    perfect = tiny_recording.accuracy == 1.0
    assert ("no line separates" in sb.blocks[-1].caption) != perfect
    meta = dataclasses.replace(tiny_recording.meta,
                               metrics=dataclasses.replace(tiny_recording.meta.metrics, train_accuracy=0.8))
    sb = storyboard.layers(dataclasses.replace(tiny_recording, meta=meta), fps=5)
    assert "no line separates" in sb.blocks[-1].caption


def test_straight_paths_have_handles_on_the_chord():
    anchors = np.random.default_rng(1).standard_normal((2, 5, 3))
    bez = paths.PathIndex.build([5], closed=True, smooth=False).bezier(anchors).reshape(2, 5, 4, 3)
    a, h0, h1, b = (bez[:, :, i].astype(np.float64) for i in range(4))
    chord = b - a
    for h in (h0, h1):
        s = ((h - a) * chord).sum(-1) / (chord * chord).sum(-1)
        assert np.allclose(a + s[..., None] * chord, h, atol=1e-5) and (s >= -1e-6).all() and (s <= 1 + 1e-6).all()


def test_smooth_paths_do_not_loop_on_uneven_anchors():
    """Centripetal Catmull-Rom: no overshoot where anchors bunch up (a stretched grid line)."""
    x = np.array([0.0, 0.01, 0.02, 3.0, 3.01])
    anchors = np.stack([x, np.zeros_like(x), np.zeros_like(x)], -1)[None]
    bez = paths.PathIndex.build([5], closed=False).bezier(anchors)[0]
    assert bez[:, 0].min() >= -1e-6 and bez[:, 0].max() <= 3.01 + 1e-6  # stays on [0, 3.01]


def test_camera_and_projection():
    x = np.array([[[1.0, 2.0, 3.0]]])
    assert np.allclose(camera.camera(x, np.zeros(1), elevation=0.0), [[[1.0, 3.0]]])  # front view
    flat = camera.project(np.random.default_rng(0).standard_normal((5, 10, 3)), np.arange(5), fps=10)
    assert flat.shape == (5, 10, 2)
    two = np.random.default_rng(1).standard_normal((3, 7, 2))
    assert np.array_equal(camera.project(two, np.arange(3), fps=10), two)  # the plane as it is


def test_the_view_keeps_every_box_whole():
    """fit_view from boxes alone: after smoothing, every frame's box is still inside the view."""
    rng = np.random.default_rng(2)
    lo = np.cumsum(rng.normal(0, 0.3, (60, 2)), 0)
    hi = lo + rng.uniform(0.5, 3.0, (60, 2))
    center, half = camera.fit_view(lo, hi, fps=15)
    assert ((center - half[:, None] <= lo + 1e-9) & (center + half[:, None] >= hi - 1e-9)).all()


def test_lifting_the_plane_into_3d_starts_flat():
    """A 2 -> 3 layer: the plane is embedded at z = 0 first, then moved continuously."""
    W = np.array([[1.0, 0.5], [0.2, 1.0], [0.7, -0.4]])
    net = Network((Dense(W, np.zeros(3), "tanh"),), np.ones(3), 0.0)
    p = isotopy.plan(net, 2)
    assert p.dim == 3 and np.linalg.det(p.layers[0].M) > 0
    x = isotopy.pad(np.random.default_rng(0).uniform(-1, 1, (20, 2)), 3)
    path = isotopy.stage(p.layers[0], "linear", x, np.linspace(0, 1, 11))
    assert np.allclose(path[0][:, 2], 0.0) and np.allclose(path[-1], x @ p.layers[0].M.T)


def test_3d_storyboard_has_a_turning_camera_and_a_plane(recording_3d):
    sb = storyboard.layers(recording_3d, fps=5)
    tl = whole(sb)
    assert tl.plane.shape == (sb.n_frames, 16, 3)  # 4 straight pieces
    assert not any(b.still for b in sb.blocks)  # the camera turns: every frame is drawn
    assert "plane separates" in sb.blocks[-1].caption  # a plane, not a line
    assert any("3D" in line for line in sb.info)
    # during the intro hold the points are still, but the camera turns them on screen
    assert not np.allclose(tl.points[0][0], tl.points[0][5])


@pytest.mark.parametrize("which", ["2d", "3d"])
def test_looping_extends_every_per_frame_quantity(which, sb, recording_3d):
    """The rewind covers every field of Frames, found by introspection (the plane of a 3-unit
    network was once forgotten), and ends on frame 0."""
    base = sb if which == "2d" else storyboard.layers(recording_3d, fps=5)
    loop = storyboard.looped(base)
    assert loop.blocks[-1].kind is Kind.REWIND and loop.blocks[-1].caption == base.blocks[0].caption
    T = loop.n_frames
    all_frames, first = loop.frames(0, T), base.frames(0, 1)
    for f in dataclasses.fields(all_frames):
        value = getattr(all_frames, f.name)
        for a, a0 in zip(value, getattr(first, f.name)) if isinstance(value, tuple) else [(value, getattr(first, f.name))]:
            assert len(a) == T, f.name
            assert np.array_equal(a[-1], a0[0]), f"{f.name}: the loop does not end on frame 0"
    rewind = loop.frames(base.n_frames, T)
    assert len(rewind) == loop.blocks[-1].frames


def test_a_title_card_adds_its_frames(sb):
    titled = sb.titled("Part one", seconds=1.0)
    assert titled.total_frames == sb.n_frames + sb.fps and titled.title == "Part one"


def test_regions_are_where_two_scores_tie_and_beat_the_rest():
    rng = np.random.default_rng(0)
    for E in (2, 3):
        W, b = rng.standard_normal((5, E)), rng.standard_normal(5)
        pieces = camera.regions(W, b, rng.uniform(-1, 1, (200, E)))
        assert pieces
        for piece in pieces:
            z = piece @ W.T + b  # (V, C): at every vertex the two best scores tie
            top = np.sort(z, 1)
            assert np.allclose(top[:, -1], top[:, -2], atol=1e-9)


def test_a_c_way_storyboard_shows_every_class_and_the_regions_between_them():
    rec = trained("blobs", NetConfig(2, 1, 2, "tanh"), TrainConfig(steps=150, restarts=1), seed=0,
                 n_per_class=20, classes=4)
    sb = storyboard.layers(rec, fps=5)
    assert sb.classes == ("class A", "class B", "class C", "class D")
    assert set(sb.heat_classes) == {-1, 0, 1, 2, 3} and len(sb.heat_classes) == len(sb.heat_levels)
    last = sb.frames(sb.n_frames - 1, sb.n_frames)
    assert len(last.points) == 4 and [len(p[0]) for p in last.points] == [20] * 4
    assert last.plane.shape[1] > 0 and not last.line.any()  # region boundaries, not one line
    first = sb.frames(0, 1)
    assert first.line_opacity[0] == 0 and last.line_opacity[0] == 1  # faded in by the end
    assert "the head's regions" in sb.blocks[-1].caption
    assert any(line.startswith(("per class", "lowest per class")) for line in sb.result)


def test_the_training_scene_of_three_classes_draws_the_regions_as_they_move():
    rec = trained("blobs", NetConfig(2, 1, 2, "tanh"), TrainConfig(steps=60, restarts=1, snapshot_every=20),
                 seed=0, n_per_class=15, classes=3)
    sb = storyboard.training(rec, fps=5)
    first, last = sb.frames(0, 1), sb.frames(sb.n_frames - 1, sb.n_frames)
    assert len(last.points) == 3 and not sb.plane_fill  # segments, stroked
    assert last.plane.shape == (1, 4 * 3, 3)  # a segment per pair of classes (some may be points)
    assert not np.array_equal(first.plane, last.plane)  # they move as the head learns
    assert "the head's regions" in sb.blocks[-1].caption
