"""How the camera draws, without rendering a video: whole paths handed to cairo at once give the
same pixels as a call per piece; the heat map's levels drawn as one mobject, the same pixels as one
mobject per level; dots stamped round, where they belong, a group's overlaps no darker than one
dot; the view's smoothing is scipy's; the poster's last frame is the video's."""

import numpy as np
import pytest

from nntopo.storyboard import camera
from nntopo.storyboard.paths import PathIndex

manim = pytest.importorskip("manim")
from nntopo.video import cairo_camera as cc  # noqa: E402

W, H = 192, 108  # pixels; the frame is 8 units high


@pytest.fixture
def cam():
    with manim.tempconfig({"pixel_width": W, "pixel_height": H, "frame_height": 8.0, "frame_width": 8.0 * W / H,
                           "background_color": "#ffffff"}):
        c = cc.FastCamera()
        yield c


def drawn(cam, *mobjects) -> np.ndarray:
    cam.reset()
    cam.capture_mobjects(list(mobjects))
    return cam.pixel_array.copy()


def random_paths(seed: int = 0) -> np.ndarray:
    """Control points (4 n, 3) of open and closed subpaths of a few cubic pieces each."""
    rng = np.random.default_rng(seed)
    pieces = []
    for _ in range(40):
        m = rng.integers(1, 6)
        anchors = rng.uniform(-3, 3, (m + 1, 2))
        if rng.random() < 0.5:
            anchors[-1] = anchors[0]
        for a, b in zip(anchors[:-1], anchors[1:]):
            pieces.append([a, *rng.uniform(-3, 3, (2, 2)), b])
    pts = np.zeros((len(pieces), 4, 3))
    pts[..., :2] = pieces
    return pts.reshape(-1, 3)


def test_whole_paths_draw_what_a_call_per_piece_draws(cam, monkeypatch):
    assert cc._APPEND is not None  # pycairo's cairo is reachable here: the fast path is what is tested
    from nntopo.video.text import path_mobject

    mob = path_mobject(random_paths(), fill_color="#1f5fbf", fill_opacity=0.6, stroke_color="#222222",
                       stroke_width=2.0, stroke_opacity=0.8)
    fast = drawn(cam, mob)
    monkeypatch.setattr(cc, "_APPEND", None)
    assert np.array_equal(fast, drawn(cam, mob))
    assert (fast != drawn(cam)).any()  # something was drawn


def test_the_heat_maps_levels_as_one_mobject_draw_as_one_mobject_each(cam):
    from nntopo.video.text import path_mobject

    levels = [random_paths(s)[: 4 * (10 + 7 * s)] for s in range(4)] + [np.zeros((0, 3))]
    colours = ["#f6c9c4", "#c5d6ef", "#d62728", "#2a7d3b", "#123456"]
    each = [path_mobject(p, fill_color=c, fill_opacity=1.0, stroke_width=0) for p, c in zip(levels, colours) if len(p)]
    assert np.array_equal(drawn(cam, cc.Fills(levels, colours)), drawn(cam, *each))


def alpha_of(pixels: np.ndarray) -> np.ndarray:
    """Coverage (H, W) of black drawn on white."""
    return 1.0 - pixels[..., 0].astype(float) / 255


@pytest.mark.parametrize("stamped", [True, False])
def test_dots_are_round_where_they_belong_and_overlap_as_one(cam, monkeypatch, stamped):
    if not stamped:
        monkeypatch.setattr(cc, "_STAMPS", None)  # the polygons drawn where glyphs cannot be
    assert (cc._STAMPS is not None) == stamped
    r = 0.15  # units: 2.0 pixels at this size
    px = H / 8.0
    rng = np.random.default_rng(1)
    centres = np.zeros((5, 3))
    centres[:, 0] = np.linspace(-6, 6, 5) + rng.uniform(-0.3, 0.3, 5)
    centres[:, 1] = rng.uniform(-2, 2, 5)
    a = alpha_of(drawn(cam, cc.Dots([centres], r, ["#000000"], 1.0)))
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    for c in centres:  # each dot: the disc's area, centred where it belongs
        sx, sy = W / 2 + c[0] * px, H / 2 - c[1] * px
        near = np.hypot(xs - sx, ys - sy) < r * px + 2
        mass = a[near].sum()
        assert mass == pytest.approx(np.pi * (r * px) ** 2, rel=0.06)
        centroid = np.array([(a * xs)[near].sum(), (a * ys)[near].sum()]) / mass
        assert np.hypot(*(centroid - (sx, sy))) < 0.1
        assert np.hypot(xs - sx, ys - sy)[near & (a > 0.02)].max() < r * px + 1.0  # round: nothing beyond the rim
    two = np.array([[0.0, 0.0, 0.0], [0.05, 0.0, 0.0]])  # overlapping, at 0.9: their overlap no darker
    b = alpha_of(drawn(cam, cc.Dots([two], r, ["#000000"], 0.9)))
    assert b.max() <= 0.9 + 1.5 / 255
    # groups are painted in order: the second's colour on top where they overlap
    top = drawn(cam, cc.Dots([two[:1], two[1:]], r, ["#ff0000", "#0000ff"], 1.0))[H // 2, W // 2]
    assert top[2] > 200 and top[0] < 50


def test_smoothing_the_view_is_scipys_gaussian_filter():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    for T, sigma in ((3, 3.75), (300, 3.75), (1300, 15.0), (40, 1.0)):
        x = rng.standard_normal((T, 2)).cumsum(0)
        assert np.allclose(camera.smooth(x, sigma), ndimage.gaussian_filter1d(x, sigma, axis=0, mode="nearest"),
                           rtol=0, atol=1e-12)


def test_joined_path_indices_make_the_pieces_each_would():
    rng = np.random.default_rng(2)
    a = PathIndex.build([4, 6], closed=False)
    b = PathIndex.build([5, 3], closed=True)
    c = PathIndex.build([2, 3], closed=False, smooth=False)
    anchors = rng.standard_normal((3, 10 + 8 + 5 + 7, 3))
    joined = PathIndex.concat([(a, 0), (b, 10), (c, 25)]).bezier(anchors)
    each = np.concatenate([a.bezier(anchors[:, :10]), b.bezier(anchors[:, 10:18]), c.bezier(anchors[:, 25:])], 1)
    assert np.array_equal(joined, each)


def test_the_poster_is_the_last_frame_decoded_from_the_last_keyframe(tmp_path):
    from nntopo.video import encode

    path = tmp_path / "v.mp4"
    enc = encode.Encoder(path, "mp4", 64, 48, 30, False)
    rng = np.random.default_rng(0)
    for k in range(300):  # past libx264's keyframe interval (250)
        f = np.zeros((48, 64, 4), np.uint8)
        f[..., 3] = 255
        f[..., :3] = rng.integers(0, 255, 3)
        f[k % 48, :, 0] = 255
        enc.write(f)
    enc.close()
    last, whole = encode._last_frame(path, seek=True), encode._last_frame(path, seek=False)
    assert last is not None and last.pts == whole.pts
    assert np.array_equal(last.to_ndarray(format="rgb24"), whole.to_ndarray(format="rgb24"))
