"""End-to-end renders at low quality, checked by decoding the file with PyAV."""

import shutil
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import default_sigint
from nntopo import cli, recording, storyboard

pytestmark = pytest.mark.render


def top_level_atoms(path: Path) -> list[str]:
    names, data, i = [], path.read_bytes(), 0
    while i + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[i : i + 8])
        if size == 1:
            size = struct.unpack(">Q", data[i + 8 : i + 16])[0]
        names.append(name.decode("latin-1"))
        if size < 8:
            break
        i += size
    return names


def probe(path: Path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(video=0))
        return s.codec_context.name, s.codec_context.pix_fmt, s.width, s.height, n


def invoke(*args):
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 0, result.stderr
    return result


def test_render_from_recording(tiny_recording, tmp_path):
    rec_path = recording.save(tiny_recording, tmp_path / "tiny.npz")
    out = tmp_path / "tiny.mp4"
    out.write_bytes(b"old video")  # replaced atomically
    assert invoke("render", "--from", str(rec_path), "--fps", "6", "-o", str(out)).stdout.strip() == str(out)
    expected = storyboard.layers(tiny_recording, 6).n_frames
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, pix_fmt, w, h) == ("h264", "yuv420p", 854, 480)
    assert abs(n - expected) <= 2
    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat")  # faststart: plays while downloading
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.mp4", "tiny.npz", "tiny.png"]
    with av.open(str(tmp_path / "tiny.png")) as c:  # the poster: the last frame
        assert (c.streams.video[0].width, c.streams.video[0].height) == (854, 480)


def test_render_trains_then_renders_the_picture(tmp_path):
    out = tmp_path / "curves.mp4"
    invoke("render", "curves", "--layers", "1", "--steps", "200", "--points", "30",
           "--fps", "4", "-o", str(out))
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, pix_fmt) == ("h264", "yuv420p") and n > 10
    with av.open(str(out)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24")
    # white background, with the red and blue of the two classes drawn on it
    assert (first > 240).all(-1).mean() > 0.3
    red = (first[..., 0] > 180) & (first[..., 2] < 90)
    blue = (first[..., 2] > 150) & (first[..., 0] < 80)
    assert red.sum() > 50 and blue.sum() > 50


def test_interrupted_render_leaves_the_old_file_and_no_litter(long_recording, tmp_path):
    """Ctrl-C mid-render: exit 130, the previous video untouched, no temporary files anywhere.
    The recording's video is long by construction: the signal always finds it drawing."""
    import glob
    import os
    import signal
    import subprocess
    import sys
    import time

    rec_path = shutil.copy(long_recording, tmp_path / "long.npz")
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"the previous video")
    private = tmp_path / "tmp"  # the child's own temporary folder: other renders on this machine do not count
    private.mkdir()
    pattern = str(private / "nntopo-render-*")  # where render() works
    before = set(glob.glob(pattern))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nntopo", "render", "--from", str(rec_path), "--fps", "30",
         "--quality", "medium", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
        env={**os.environ, "TMPDIR": str(private)},
    )
    deadline = time.time() + 60
    while not set(glob.glob(pattern)) - before:  # wait until rendering started
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None  # still drawing: the interrupt must be seen
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "aborted" in err and "Traceback" not in err
    assert out.read_bytes() == b"the previous video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4", "long.npz", "tmp"]
    assert list(private.iterdir()) == []


def test_interrupted_training_stops_the_child_too(tmp_path):
    """Ctrl-C while `render DATASET` trains (in a child process, which gets the signal too): exit
    130, no output, no training process or folder left behind."""
    import glob
    import os
    import signal
    import subprocess
    import sys
    import time

    private = tmp_path.parent / f"{tmp_path.name}-tmp"  # the child's own temporary folder
    private.mkdir()
    pattern = str(private / "nntopo-train-*")  # where record_in_child works
    before = set(glob.glob(pattern))
    out = tmp_path / "v.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "nntopo", "render", "spirals", "--steps", "100000",
                             "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint,
                            env={**os.environ, "TMPDIR": str(private)})
    deadline = time.time() + 60
    while not set(glob.glob(pattern)) - before:  # wait until training started
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "aborted" in err and "Traceback" not in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert list(private.iterdir()) == []
    deadline = time.time() + 10  # nothing of the group is left (the helpers exit after the parent)
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.time() < deadline, subprocess.run(["ps", "-o", "pid,args", "-g", str(proc.pid)],
                                                      capture_output=True, text=True).stdout
        time.sleep(0.1)


def test_vector_field_render_shows_the_arrows(tmp_path):
    """A vector-field network, trained and rendered from the CLI; the quiver is on screen."""
    rec_path = tmp_path / "vf.npz"
    invoke("train", "curves", "--layers", "1", "--layer-type", "vector-field", "--anchors", "6",
           "--steps", "150", "--points", "30", "-o", str(rec_path))
    out = tmp_path / "vf.mp4"
    invoke("render", "--from", str(rec_path), "--fps", "6", "-o", str(out))
    rec = recording.load(rec_path)
    sb = storyboard.layers(rec, 6)
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, pix_fmt, w, h) == ("h264", "yuv420p", 854, 480) and abs(n - sb.total_frames) <= 2
    opacity = sb.frames(0, sb.n_frames).arrow_opacity
    shown = int(np.argmax(opacity >= 1.0))  # the first frame with the arrows at full strength
    start = sb.starts()[1]  # the ARROWS block: the points still, the arrows fading in
    assert sb.blocks[1].kind is storyboard.Kind.ARROWS
    with av.open(str(out)) as c:
        imgs = {i: f.to_ndarray(format="rgb24").astype(int) for i, f in enumerate(c.decode(video=0))
                if i in (start - 1, shown)}
    # The arrows' green (#2a7d3b: g - r 83, g - b 66) is in no other colour of the scene.
    def green(img):
        return int(((img[..., 1] - img[..., 0] > 25) & (img[..., 1] - img[..., 2] > 20)).sum())

    assert green(imgs[start - 1]) < 20 and green(imgs[shown]) > 500


def test_knn_scene_draws_ten_classes(tmp_path):
    """The k-NN figure's scene: held-out digits in ten colours, rendered and decoded."""
    from nntopo import knn
    from nntopo.config import RenderOptions
    from nntopo.video import render_storyboards

    tr = knn.trajectory("digits", "knn", knn.KnnConfig(epochs=1, rep_dim=2), 0, per_class=20)
    sb = storyboard.knn(tr, fps=4, seconds=2, hold=1)
    out = tmp_path / "knn.mp4"
    render_storyboards([sb], out, RenderOptions(fps=4))
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, pix_fmt, w, h) == ("h264", "yuv420p", 854, 480) and abs(n - sb.total_frames) <= 2
    with av.open(str(out)) as c:
        last = list(c.decode(video=0))[-1].to_ndarray(format="rgb24").astype(int)
    plot = last[60:470, 40:480]
    # the palette's green (#2ca02c, digit 2) and purple (#9467bd, digit 4) are both on the plot
    def near(rgb):
        return int((np.abs(plot - np.array(rgb)).max(-1) < 40).sum())
    assert near((0x2C, 0xA0, 0x2C)) > 30 and near((0x94, 0x67, 0xBD)) > 30


def test_the_manim_command_renders_a_recording(tiny_recording, tmp_path):
    """The README's `NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow` works."""
    import os
    import subprocess
    import sys

    rec_path = recording.save(tiny_recording, tmp_path / "tiny.npz")
    manim = Path(sys.executable).parent / "manim"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([str(manim), "-ql", "--fps", "4", "--media_dir", str(tmp_path / "media"),
                           str(root / "scenes" / "flow.py"), "LayerFlow"],
                          env=dict(os.environ, NNTOPO_RECORDING=str(rec_path)), capture_output=True,
                          text=True, timeout=300)
    videos = list((tmp_path / "media").rglob("LayerFlow.mp4"))
    assert proc.returncode == 0 and len(videos) == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    expected = storyboard.layers(tiny_recording, 4).total_frames
    assert abs(probe(videos[0])[4] - expected) <= 3


def test_three_classes_from_a_csv_render_in_their_colours(tmp_path):
    """A CSV of three named classes, trained and rendered from the CLI: the legend's names, the
    palette's three colours on the plot, and the heat map tinted by the most probable class."""
    from nntopo.data.datasets import make_dataset

    X, y = make_dataset("blobs", 25, 0, 3)
    names = ["oak", "pine", "elm"]
    data = tmp_path / "trees.csv"
    data.write_text("".join(f"{a:.5f},{b:.5f},{names[c]}\n" for (a, b), c in zip(X, y)))
    out = tmp_path / "trees.mp4"
    invoke("render", "--data", str(data), "--layers", "1", "--width", "3", "--steps", "150",
           "--fps", "5", "-o", str(out))
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, pix_fmt, w, h) == ("h264", "yuv420p", 854, 480) and n > 20
    with av.open(str(out)) as c:
        first = next(iter(c.decode(video=0))).to_ndarray(format="rgb24").astype(int)
    plot = first[60:470, 40:480]

    def near(rgb, tol=40):
        return int((np.abs(plot - np.array(rgb)).max(-1) < tol).sum())

    # the points: blue #1f77b4, orange #ff7f0e, green #2ca02c; the heat map: their pale tints
    assert min(near((0x1F, 0x77, 0xB4)), near((0xFF, 0x7F, 0x0E)), near((0x2C, 0xA0, 0x2C))) > 30
    # each class's region, palest band: its colour a fifth of the way over white (theme.HEAT_MIX)
    assert min(near((0xD0, 0xE2, 0xEF), 8), near((0xFF, 0xE4, 0xCD), 8), near((0xD3, 0xEB, 0xD3), 8)) > 150


def test_a_sixteen_wide_recording_renders(tmp_path):
    rec_path = tmp_path / "wide.npz"
    invoke("train", "spirals", "--layers", "2", "--width", "16", "--steps", "100", "--points", "30",
           "-o", str(rec_path))
    out = tmp_path / "wide.mp4"
    invoke("render", "--from", str(rec_path), "--fps", "5", "--view", "2d", "-o", str(out))
    sb = storyboard.layers(recording.load(rec_path), 5, view="2d")
    assert "R^16 → R^2: principal directions" in sb.info
    codec, pix_fmt, w, h, n = probe(out)
    assert (codec, w, h) == ("h264", 854, 480) and abs(n - sb.total_frames) <= 2
