"""Every output format, decoded back: codec, pixel format (alpha included), frames, looping."""

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from nntopo import cli, recording, storyboard

pytestmark = pytest.mark.render
FPS = 4


@pytest.fixture(scope="module")
def rec_path(tiny_recording, tmp_path_factory):
    return recording.save(tiny_recording, tmp_path_factory.mktemp("rec") / "tiny.npz")


@pytest.fixture(scope="module")
def n_frames(tiny_recording):
    return storyboard.layers(tiny_recording, FPS).total_frames


def render(rec_path, out, *options):
    result = CliRunner().invoke(cli.app, ["render", "--from", str(rec_path), "--fps", str(FPS),
                                          "-o", str(out), *options])
    assert result.exit_code == 0, result.stderr
    return out


def decode(path: Path, decoder: str | None = None) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        if decoder is None:
            return [f.to_ndarray(format="rgba") for f in c.decode(s)]
        ctx = av.CodecContext.create(decoder, "r")
        return [f.to_ndarray(format="rgba") for p in c.demux(s) for f in ctx.decode(p)]


def test_gif_loops_forever(rec_path, n_frames, tmp_path):
    out = render(rec_path, tmp_path / "v.gif", "--format", "gif")
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "gif"
    with Image.open(out) as im:
        assert im.info.get("loop") == 0  # 0: forever
        assert abs(im.n_frames - n_frames) <= 2 and im.size == (854, 480)
        im.seek(0)
        first = np.asarray(im.convert("RGB"))
    assert (first > 240).all(-1).mean() > 0.3  # a real palette: the white background stays white
    assert (tmp_path / "v.png").exists()  # the poster


def test_transparent_webm_has_alpha(rec_path, n_frames, tmp_path):
    out = render(rec_path, tmp_path / "v.webm", "--format", "webm", "--transparent")
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "vp9" and s.metadata.get("alpha_mode") == "1"
    rgba = decode(out, decoder="libvpx-vp9")  # ffmpeg's own vp9 decoder drops the alpha plane
    assert abs(len(rgba) - n_frames) <= 2
    alpha = rgba[len(rgba) // 2][..., 3]
    assert alpha.min() == 0 and alpha.max() == 255  # empty background, opaque drawing


def test_png_last_frame_and_every_frame(rec_path, n_frames, tmp_path):
    out = render(rec_path, tmp_path / "last.png", "--format", "png", "--background", "transparent")
    with Image.open(out) as im:
        assert im.mode == "RGBA" and im.size == (854, 480)
        alpha = np.asarray(im)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255
    folder = render(rec_path, tmp_path / "seq", "--format", "png", "--frames")
    pngs = sorted(folder.iterdir())
    assert len(pngs) == n_frames and pngs[0].name == "0000.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.png", "seq"]  # no litter


def test_dark_background(rec_path, tmp_path):
    out = render(rec_path, tmp_path / "dark.mp4", "--background", "dark")
    first = decode(out)[0][..., :3]
    assert first.mean() < 80  # near-black, where the light theme is near-white


def test_loop_ends_where_it_began(rec_path, tmp_path):
    out = render(rec_path, tmp_path / "loop.mp4", "--loop")
    video = decode(out)
    first, last = video[0][..., :3].astype(float), video[-1][..., :3].astype(float)
    assert np.abs(first - last).mean() < 2.0  # the same picture, up to compression
    plain = decode(render(rec_path, tmp_path / "plain.mp4"))
    assert len(video) > len(plain)


@pytest.mark.parametrize("aspect,size", [("4:3", (640, 480)), ("1:1", (480, 480))])
def test_aspect_presets(rec_path, tmp_path, aspect, size):
    out = render(rec_path, tmp_path / "a.mp4", "--aspect", aspect, "--overlay")
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == size and s.codec_context.pix_fmt == "yuv420p"
    last = decode(out)[-1][..., :3]
    # the drawing stays inside the frame: the border columns are background (white)
    assert (last[:, :3] > 240).all() and (last[:, -3:] > 240).all()
