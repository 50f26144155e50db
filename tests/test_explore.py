"""nntopo explore: the video as a page. The page's geometry is the storyboard's (storyboard/world.py
reproduces the frames' points exactly); the page is one self-contained, deterministic file in
which no text from a recording can become markup; a damaged recording is refused before any file
is written. The browser part (marked browser and slow: not in make test-fast) drives Debian's
Chromium through playwright: no request but the page's own, no console error, the points where
the storyboard puts them to a pixel, the controls doing what they say."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nntopo.config import RenderOptions
from nntopo.errors import NntopoError

HOSTILE = "<img src=x onerror=alert(1)>"
CLOSER = "</script><script>alert(2)</script>"


def storyboard(rec, opts=RenderOptions()):
    from nntopo.video import storyboard_of

    return storyboard_of(rec, opts)


def data_of(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="nntopo-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text)


# --- the world: the storyboard's own points before the camera ------------------------------------

@pytest.mark.parametrize("which", [0, 1, 2, 3, 4, 6, 7])  # dense, field, 3d, user, three, residual, ode
def test_the_world_puts_every_point_where_the_frames_do(recordings_to_damage, which):
    from nntopo.recording import load
    from nntopo.storyboard import camera

    rec = load(recordings_to_damage[which])
    sb = storyboard(rec)
    w = sb.world()
    T = sb.n_frames
    assert w.n_frames == T and len(w.motions) == len(sb.blocks)
    frames = sb.frames(0, T)
    pos = w.positions(0, T)
    scr = camera.screen(camera.project(pos, np.arange(T), sb.fps), w.center, w.half, sb.layout)[:, w.data]
    for c, pts in enumerate(frames.points):
        np.testing.assert_allclose(scr[:, rec.y == c], pts, atol=1e-4)


def test_a_wide_network_is_held_in_the_few_directions_its_view_uses():
    from nntopo.storyboard.world import reduced

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(64, 3)))[0]  # the maps read 3 of 64 directions
    maps = np.einsum("dk,fke->fde", basis, rng.normal(size=(5, 3, 3)))
    x, d = rng.normal(size=(40, 64)), rng.normal(size=(40, 64))
    t = np.linspace(0, 1, 5)
    m = reduced(x, d, maps, t)
    assert m.x.shape == (40, 3) and m.maps.shape == (5, 3, 3)
    want = np.einsum("pd,fde->fpe", x, maps) + t[:, None, None] * np.einsum("pd,fde->fpe", d, maps)
    np.testing.assert_allclose(m.positions(), want, atol=1e-10)


# --- the page -------------------------------------------------------------------------------------

def test_the_page_is_self_contained_deterministic_and_refers_to_nothing(tiny_recording):
    from nntopo import explorer

    a, b = explorer.page(tiny_recording), explorer.page(tiny_recording)
    assert a == b  # the same recording and options: the same bytes
    assert "default-src 'none'" in a  # the page's own policy: nothing may be fetched
    for ref in ("http:", "https:", "src=", "href=", "@import", "url("):
        assert ref not in a.replace("default-src", ""), ref
    d = data_of(a)
    part = d["parts"][0]
    sb = storyboard(tiny_recording)
    assert part["frames"] == sb.n_frames and part["fps"] == sb.fps
    assert [b["caption"] for b in part["blocks"]] == [b.caption for b in sb.blocks]
    assert part["classes"] == list(sb.classes) and part["info"] == list(sb.info)


def test_the_render_options_that_change_the_picture_apply(tiny_recording):
    from nntopo import explorer
    from nntopo.video.theme import THEMES

    dark = data_of(explorer.page(tiny_recording, RenderOptions(background="dark", aspect="1:1", quality="medium")))
    part = dark["parts"][0]
    assert part["theme"]["background"] == THEMES["dark"]["background"]
    assert part["layout"]["aspect"] == 1.0 and part["layout"]["panel"] == "bottom"
    assert part["fps"] == 30


def test_no_text_from_a_recording_reaches_the_page_unescaped(tmp_path):
    import torch

    import nntopo
    from nntopo.data.datasets import make_dataset

    X, y = make_dataset("circles", 20, 0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    rec = nntopo.record(model, X, y, classes=[HOSTILE, CLOSER], name="<b>bold</b> & 'q'")
    out = nntopo.explore(rec, tmp_path / "hostile.html")
    html = out.read_text()
    body = html.split('id="nntopo-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body and ">" not in body and "&" not in body
    assert "<img" not in html and "<b>" not in html and CLOSER not in html
    part = data_of(html)["parts"][0]
    assert HOSTILE in part["classes"] and CLOSER in part["classes"]
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html


@pytest.mark.slow
def test_the_flagship_and_a_wide_network_fit_their_budgets(tmp_path):
    pytest.importorskip("torch")
    from nntopo import api

    flagship = api.explore("spirals", tmp_path / "spirals.html", layers=4, width=2)
    wide = api.explore("blobs", tmp_path / "wide.html", layers=4, width=64, classes=5, steps=300)
    assert flagship.stat().st_size <= 3_000_000, flagship.stat().st_size
    assert wide.stat().st_size <= 8_000_000, wide.stat().st_size


def test_a_notebook_gets_the_same_page_in_an_iframe(tiny_recording):
    import html as escape

    import nntopo
    from nntopo import explorer

    shown = nntopo.explore(tiny_recording)._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in shown
    inner = escape.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
    assert inner == explorer.page(tiny_recording)


# --- a storyboard drawn while its network trains: its own screen frames ------------------------------

def unblob(b: dict) -> np.ndarray:
    import base64
    import gzip

    return np.frombuffer(gzip.decompress(base64.b64decode(b["z"])), np.dtype(b["t"]).newbyteorder("<"))


def unframewise(b: dict, frames: int) -> np.ndarray:
    """document.framewise back: (T, k, 2), each frame's steps summed up again."""
    d = unblob(b).astype(np.int64).reshape(frames, b["k"], 2)
    q = np.cumsum(d, axis=0) % 65536
    return np.array(b["lo"]) + q * np.array(b["step"])


def test_a_training_page_holds_the_storyboards_own_frames(tiny_recording):
    from nntopo import explorer
    from nntopo.storyboard.paths import PathIndex

    opts = RenderOptions(scene="training")
    html = explorer.page(tiny_recording, opts)
    assert html == explorer.page(tiny_recording, opts)  # deterministic
    sb = storyboard(tiny_recording, opts)
    assert sb.world is None
    T = sb.n_frames
    fr = sb.frames(0, T)
    part = data_of(html)["parts"][0]
    scr = part["screen"]
    assert part["frames"] == T and part["E"] == 2 and part["N"] == len(tiny_recording.y)
    assert [b["caption"] for b in part["blocks"]] == [b.caption for b in sb.blocks]
    # the data, by row, where the frames put them: to the 16-bit steps (a thousandth of a pixel at 1080p)
    pts = unframewise(scr["points"], T)
    tol = max(scr["points"]["step"]) + 1e-6
    for c, want in enumerate(fr.points):
        np.testing.assert_allclose(pts[:, tiny_recording.y == c], want[..., :2], atol=tol)
    # the grid as its anchors: the same Catmull-Rom pieces as the frames'
    g = scr["grid"]
    assert g["smooth"] and not g["closed"] and sum(g["lengths"]) == g["k"] < fr.grid.shape[1] / 3
    anchors = unframewise(g, T)
    again = PathIndex.build(g["lengths"], closed=False).bezier(np.concatenate([anchors, np.zeros((T, g["k"], 1))], -1))
    np.testing.assert_allclose(again[..., :2], fr.grid[..., :2], atol=1e-3)
    # the separator and the counter follow the time
    np.testing.assert_allclose(unblob(scr["line"]).reshape(T, 2, 2), fr.line[..., :2], atol=1e-6)
    np.testing.assert_allclose(unblob(scr["line_opacity"]), fr.line_opacity, atol=1e-6)
    lines = scr["counter"]["lines"]
    assert [lines[k] for k in unblob(scr["counter"]["at"])] == [str(c) for c in fr.counter]
    assert len(set(lines)) == len(tiny_recording.snapshots.steps)
    # the view, to read a point back in the representation's coordinates
    center, half = unblob(scr["view"]["center"]).reshape(T, 2), unblob(scr["view"]["half"])
    np.testing.assert_allclose(center, sb.view[0], atol=1e-5)
    np.testing.assert_allclose(half, sb.view[1], rtol=1e-6)
    last_hold = sb.starts()[-1]
    assert scr["result_from"] == last_hold and sb.blocks[-1].still


def test_a_training_page_is_refused_for_a_recording_without_snapshots(recordings_to_damage, tmp_path):
    import nntopo

    with pytest.raises(NntopoError, match="snapshots"):  # the user's own model: no history
        nntopo.explore(str(recordings_to_damage[3]), tmp_path / "x.html", scene="training")
    assert not (tmp_path / "x.html").exists()


def small_trajectory(seed: int = 0):
    """A knn.Trajectory of 10 classes of 8 points over 6 snapshots, made up: the knn storyboard's
    input without training a conv net."""
    from nntopo.knn import Trajectory

    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(10), 8)
    centres = rng.normal(size=(10, 2)) * 3
    z = np.stack([centres[y] * (0.3 + 0.14 * s) + rng.normal(size=(80, 2)) * (1.5 - 0.2 * s) for s in range(6)])
    meta = {"dataset": "digits", "loss": "knn", "seed": seed, "k": 5, "n_train": 1300, "shown": 80}
    return Trajectory(meta, np.arange(6) * 20, z, y, np.linspace(0.6, 0.05, 6), np.linspace(1.0, 0.3, 6),
                      rng.random(80) < 0.1)


def knn_page(tr, opts=RenderOptions()):
    from nntopo import storyboard as boards
    from nntopo.explorer import data, document

    sb = boards.knn(tr, opts.frame_rate, layout=boards.LAYOUTS[opts.aspect])
    return sb, document.html([data.build(sb, tr.y, opts.theme, opts.aspect)], "knn")


def test_a_knn_page_holds_its_storyboards_frames():
    tr = small_trajectory()
    sb, html = knn_page(tr)
    T = sb.n_frames
    fr = sb.frames(0, T)
    part = data_of(html)["parts"][0]
    assert part["classes"] == [str(c) for c in range(10)] and part["screen"]["grid"] is None
    pts = unframewise(part["screen"]["points"], T)
    for c, want in enumerate(fr.points):
        np.testing.assert_allclose(pts[:, tr.y == c], want[..., :2], atol=max(part["screen"]["points"]["step"]) + 1e-6)
    assert (unblob(part["wrong"]) == tr.wrong).all()
    lines = part["screen"]["counter"]["lines"]
    assert [lines[k] for k in unblob(part["screen"]["counter"]["at"])] == [str(c) for c in fr.counter]


# --- refusals: one line, before any file is written ------------------------------------------------

def test_bad_options_are_refused_before_anything_is_written(tiny_recording, tmp_path):
    import nntopo

    for kw in ({"background": "transparent"}, {"scene": "sideways"}, {"quality": "huge"},
               {"scene": "training", "overlay": True}):
        with pytest.raises(NntopoError):
            nntopo.explore(tiny_recording, tmp_path / "x.html", **kw)
    with pytest.raises(NntopoError, match=r"\.html"):
        nntopo.explore(tiny_recording, tmp_path / "x.mp4")
    with pytest.raises(NntopoError):
        nntopo.explore(None, tmp_path / "x.html", figure="no-such-figure")
    with pytest.raises(NntopoError, match="scene"):  # a figure's runs are shown in their own scenes
        nntopo.explore(None, tmp_path / "x.html", figure="knn", scene="training")
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_recording_is_refused_before_any_html_is_written(recordings_to_damage, tmp_path):
    import damage

    import nntopo

    rng = np.random.default_rng(0)
    refused = 0
    for k, (base, harm) in enumerate([(0, damage.truncate), (0, damage.flip_bits), (2, damage.huge_declared)]
                                     + [(b, h) for b in (0, 2, 7) for h in (damage.missing, damage.labels,
                                                                              damage.format_version, damage.shape)]):
        path = tmp_path / f"bad{k}.npz"
        path.write_bytes(Path(recordings_to_damage[base]).read_bytes())
        if harm in damage.FILE_DAMAGE:
            harm(path, rng)
        else:
            a = harm(damage.arrays_of(path), rng)
            np.savez(path, **a)
        out = tmp_path / f"bad{k}.html"
        try:
            nntopo.explore(str(path), out)
        except NntopoError:
            refused += 1
            assert not out.exists()
        else:  # harmless damage: then a whole page
            assert "nntopo-data" in out.read_text()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    assert refused >= 10


def test_the_command_refuses_a_damaged_recording_in_one_line(recordings_to_damage, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(Path(recordings_to_damage[0]).read_bytes()[:500])
    out = tmp_path / "bad.html"
    r = subprocess.run([sys.executable, "-m", "nntopo", "explore", "--from", str(bad), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert not out.exists()


def test_the_command_writes_a_page(tiny_recording, tmp_path):
    rec = tiny_recording.save(tmp_path / "run.npz")
    out = tmp_path / "run.html"
    r = subprocess.run([sys.executable, "-m", "nntopo", "explore", "--from", str(rec), "-o", str(out),
                        "--background", "dark"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    from nntopo import explorer

    assert out.read_text() == explorer.page(tiny_recording, RenderOptions(background="dark"))


def test_the_command_writes_a_training_page(tiny_recording, tmp_path):
    rec = tiny_recording.save(tmp_path / "run.npz")
    out = tmp_path / "run.html"
    r = subprocess.run([sys.executable, "-m", "nntopo", "explore", "--from", str(rec), "-o", str(out),
                        "--scene", "training"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from nntopo import explorer

    assert out.read_text() == explorer.page(tiny_recording, RenderOptions(scene="training"))
    r = subprocess.run([sys.executable, "-m", "nntopo", "explore", "--figure", "knn", "-o", str(tmp_path / "k.html"),
                        "--scene", "training"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "k.html").exists()


# --- in a real browser ------------------------------------------------------------------------------

URL = "http://nntopo.test/page.html"  # served by the route below, from the page's own bytes


@pytest.fixture(scope="module")
def playwright_browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


class Opened:
    """A page open in the browser, watched: any other request, console error, page error or
    dialog (alert) is recorded, and the test fails on it."""

    def __init__(self, browser, html: str, hash_: str = "", size=(1280, 800)):
        self.problems = []
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        self.page = self.context.new_page()

        def route(r):
            if r.request.url.split("#")[0] == URL:
                r.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            else:
                self.problems.append(f"request: {r.request.url}")
                r.abort()

        self.context.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(URL + hash_)
        self.page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20000)

    def js(self, expr: str):
        return self.page.evaluate(expr)

    def close(self):
        problems = self.problems
        self.context.close()
        assert problems == []


def pixels(sb, frame: int, rec, width: float) -> np.ndarray:
    """Where the storyboard puts the data points in `frame`, in CSS pixels of a canvas `width`
    wide showing the whole video frame: (N, 2), by row."""
    fr = sb.frames(frame, frame + 1)
    FW = sb.layout.frame_width
    out = np.zeros((len(rec.y), 2))
    for c, pts in enumerate(fr.points):
        out[rec.y == c] = pts[0, :, :2]
    ppu = width / FW
    return np.stack([(out[:, 0] + FW / 2) * ppu, (4.0 - out[:, 1]) * ppu], 1)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("which", [0, 2, 1, 7])  # 2D dense, 3D, vector field (arrows), neural ODE
def test_the_page_draws_the_points_where_the_storyboard_does(playwright_browser, recordings_to_damage, which):
    from nntopo import explorer
    from nntopo.recording import load

    rec = load(recordings_to_damage[which])
    sb = storyboard(rec)
    opened = Opened(playwright_browser, explorer.page(rec))
    width = opened.js("window.nntopo.canvasRect().width")
    starts = sb.starts()
    for f in sorted({0, starts[len(starts) // 2] + 3, sb.n_frames // 3, sb.n_frames - 1}):
        got = np.array(opened.js(f"window.nntopo.project({f})"))
        want = pixels(sb, f, rec, width)
        assert np.abs(got - want).max() <= 1.0, (f, np.abs(got - want).max())
    opened.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_training_page_draws_the_points_where_its_frames_do(playwright_browser, tiny_recording):
    """A storyboard with no world (the training scene): the page shows its own screen frames,
    2D; panning and zooming move the picture, the reset puts it back, a hover names the row and
    its coordinates in the representation, the counter follows the time."""
    from nntopo import explorer

    opts = RenderOptions(scene="training")
    sb = storyboard(tiny_recording, opts)
    opened = Opened(playwright_browser, explorer.page(tiny_recording, opts))
    js, page = opened.js, opened.page
    assert js("window.nntopo.E") == 2 and js("window.nntopo.frames") == sb.n_frames
    width = js("window.nntopo.canvasRect().width")
    T = sb.n_frames
    for f in sorted({0, 7, T // 3, T // 2 + 1, T - 1}):
        got = np.array(js(f"window.nntopo.project({f})"))
        want = pixels(sb, f, tiny_recording, width)
        assert np.abs(got - want).max() <= 1.0, (f, np.abs(got - want).max())
    fr = sb.frames(0, T)
    for f in (0, T - 1):
        js(f"window.nntopo.seek({f})")
        assert page.inner_text("#counter") == str(fr.counter[f])
    assert page.inner_text("#caption") == sb.blocks[-1].caption
    assert not page.locator("#result").is_hidden()  # the numbers, at the end as in the video
    assert page.locator("#toggles input[data-key='turn']").count() == 0  # 2D: nothing turns
    rect = js("window.nntopo.canvasRect()")
    before = np.array(js(f"window.nntopo.project({T - 1})"))
    cx, cy = rect["x"] + rect["width"] * 0.3, rect["y"] + rect["height"] * 0.5
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 40, cy + 20, steps=4)
    page.mouse.up()
    s = js("window.nntopo.state()")
    assert s["az"] == 0 and s["el"] == 0 and s["px"] != 0  # a drag pans
    np.testing.assert_allclose(np.array(js(f"window.nntopo.project({T - 1})")) - before, [[40, 20]] * len(before), atol=0.5)
    page.click("#reset")
    assert np.abs(np.array(js(f"window.nntopo.project({T - 1})")) - before).max() < 1e-6
    pts = before
    gaps = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(len(pts)) * 1e9
    row = int(gaps.min(1).argmax())
    page.mouse.move(rect["x"] + pts[row, 0], rect["y"] + pts[row, 1])
    page.wait_for_selector("#tip:not([hidden])")
    assert page.get_attribute("#tip", "data-row") == str(row)
    tip = page.inner_text("#tip")
    assert f"row {row}" in tip and sb.classes[tiny_recording.y[row]] in tip and "in the representation" in tip
    c, h = sb.view[0][T - 1], sb.view[1][T - 1]  # the screen point read back through the video's view
    xy = (fr.points[tiny_recording.y[row]][T - 1, list(np.flatnonzero(tiny_recording.y == tiny_recording.y[row])).index(row), :2]
          - np.array(sb.layout.plot_center)) / sb.layout.plot_half * h + c
    assert f"({xy[0]:.3f}, {xy[1]:.3f}) in the representation" in tip or np.allclose(
        [float(v) for v in re.search(r"\(([-\d.]+), ([-\d.]+)\) in the representation", tip).groups()], xy, atol=2e-3)
    opened.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_knn_page_draws_the_points_where_its_frames_do(playwright_browser):
    tr = small_trajectory()
    sb, html = knn_page(tr)
    opened = Opened(playwright_browser, html)
    js = opened.js
    width = js("window.nntopo.canvasRect().width")
    T = sb.n_frames
    rec = type("Labels", (), {"y": tr.y})  # pixels() reads only the labels
    for f in sorted({0, 11, T // 2, T - 1}):
        got = np.array(js(f"window.nntopo.project({f})"))
        assert np.abs(got - pixels(sb, f, rec, width)).max() <= 1.0, f
    js(f"window.nntopo.seek({T - 1})")
    assert opened.page.inner_text("#counter") == str(sb.frames(T - 1, T).counter[0])
    assert opened.page.locator("#legend .class").count() == 10
    assert opened.page.locator("#toggles input[data-key='grid']").count() == 0  # no input plane
    opened.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_controls_do_what_they_say(playwright_browser, recordings_to_damage):
    from nntopo import explorer
    from nntopo.recording import load
    from nntopo.storyboard import Kind

    rec = load(recordings_to_damage[2])  # 3D
    sb = storyboard(rec)
    opened = Opened(playwright_browser, explorer.page(rec))
    page, js = opened.page, opened.js
    rect = js("window.nntopo.canvasRect()")
    # space plays: the time advances; space again pauses
    page.keyboard.press("Space")
    page.wait_for_timeout(600)
    page.keyboard.press("Space")
    s = js("window.nntopo.state()")
    assert s["t"] > 1 and not s["playing"]
    # -> lands on the next stage's start
    js("window.nntopo.seek(0)")
    page.keyboard.press("ArrowRight")
    first_stage = next(st for st, b in zip(sb.starts(), sb.blocks) if b.kind is Kind.STAGE)
    assert js("window.nntopo.state().t") == first_stage
    page.keyboard.press("ArrowRight")
    second = [st for st, b in zip(sb.starts(), sb.blocks) if b.kind in (Kind.STAGE, Kind.FADE)][1]
    assert js("window.nntopo.state().t") == second
    page.keyboard.press("ArrowLeft")
    assert js("window.nntopo.state().t") == first_stage
    # a drag turns the 3D camera, and the points move on the canvas
    before = np.array(js(f"window.nntopo.project({first_stage})"))
    cx, cy = rect["x"] + rect["width"] * 0.3, rect["y"] + rect["height"] * 0.5
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy + 30, steps=5)
    page.mouse.up()
    s = js("window.nntopo.state()")
    assert s["az"] != 0 and s["el"] != 0
    assert np.abs(np.array(js(f"window.nntopo.project({first_stage})")) - before).max() > 5
    # the reset button puts the camera back: the storyboard's own view again
    page.click("#reset")
    assert np.abs(np.array(js(f"window.nntopo.project({first_stage})")) - before).max() < 1e-6
    # the wheel zooms
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    assert js("window.nntopo.state().zoom") > 1
    page.click("#reset")
    # a hover shows the row of the point under the pointer
    f = sb.n_frames - 1
    js(f"window.nntopo.seek({f})")
    pts = np.array(js(f"window.nntopo.project({f})"))
    gaps = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(len(pts)) * 1e9
    row = int(gaps.min(1).argmax())  # the loneliest point: nothing else within reach
    page.mouse.move(rect["x"] + pts[row, 0], rect["y"] + pts[row, 1])
    page.wait_for_selector("#tip:not([hidden])")
    assert page.get_attribute("#tip", "data-row") == str(row)
    tip = page.inner_text("#tip")
    assert f"row {row}" in tip and sb.classes[rec.y[row]] in tip
    assert js("window.nntopo.state().hover") == row
    page.keyboard.press("n")  # the keyboard's way to question a point: the next row
    assert page.get_attribute("#tip", "data-row") == str((row + 1) % len(pts))
    page.keyboard.press("Escape")
    assert js("window.nntopo.state().hover") == -1
    # toggles and the legend; the hash keeps them, with the time and camera
    page.mouse.move(1, 1)
    page.click("#legend .class[data-cls='1']")
    page.uncheck("#toggles input[data-key='grid']")
    js("window.nntopo.seek(30)")
    page.wait_for_timeout(300)
    url = page.url
    assert "hide=1" in url and "off=grid" in url and "t=" in url
    opened.close()
    again = Opened(playwright_browser, explorer.page(rec), "#" + url.split("#", 1)[1])
    s = again.js("window.nntopo.state()")
    assert s["hidden"] == [1] and s["on"]["grid"] is False and abs(s["t"] - 30) < 0.01
    again.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_hostile_class_name_is_shown_as_text(playwright_browser, tmp_path):
    import torch

    import nntopo
    from nntopo.data.datasets import make_dataset

    X, y = make_dataset("circles", 20, 0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    rec = nntopo.record(model, X, y, classes=[HOSTILE, CLOSER], name=HOSTILE)
    opened = Opened(playwright_browser, nntopo.explore(rec).html)
    labels = opened.page.locator("#legend .class").all_inner_texts()
    assert [s.strip() for s in labels] == [HOSTILE, CLOSER]
    assert opened.page.locator("img").count() == 0
    assert HOSTILE in opened.page.inner_text("#info")
    opened.close()  # no dialog was opened, no request made


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_opens_from_disk(playwright_browser, tiny_recording, tmp_path):
    import nntopo

    out = nntopo.explore(tiny_recording, tmp_path / "disk.html")
    context = playwright_browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20000)
    assert page.inner_text("#caption") == storyboard(tiny_recording).blocks[0].caption
    context.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.render
def test_a_screenshot_matches_the_videos_frame(playwright_browser, tiny_recording, tmp_path):
    """The canvas at a frame's time, scaled to the video's 854 x 480, against that frame of the 480p
    video, over the plot square (the text is the browser's fonts, not cairo's): a mean absolute
    difference of at most TOLERANCE (of 255) per channel; the fonts, the antialiasing and the dots'
    outlines (cairo's polygons, the canvas' arcs) make up the rest. A frame of another time is far
    off, so the test can tell."""
    import io

    import av
    from PIL import Image

    import nntopo
    from nntopo import explorer
    from nntopo.storyboard import Kind

    TOLERANCE = 6.0
    video = nntopo.render(tiny_recording, tmp_path / "tiny.mp4", quality="low")
    sb = storyboard(tiny_recording)
    moving = [s + b.frames // 2 for s, b in zip(sb.starts(), sb.blocks) if b.kind is Kind.STAGE]
    wanted = set(moving[:: max(1, len(moving) // 4)]) | {sb.n_frames - 1}
    frames = {}
    with av.open(str(video)) as c:
        for i, f in enumerate(c.decode(video=0)):
            frames[i] = f.to_ndarray(format="rgb24").astype(float)
    lay = sb.layout
    ppu = 854 / lay.frame_width
    x0 = int((lay.plot_center[0] - lay.plot_half + lay.frame_width / 2) * ppu)
    y0 = int((4 - lay.plot_center[1] - lay.plot_half) * ppu)
    side = int(2 * lay.plot_half * ppu)
    box = (slice(y0, y0 + side), slice(x0, x0 + side))
    opened = Opened(playwright_browser, explorer.page(tiny_recording))
    told = 0  # frames whose neighbours differ enough to tell them apart
    for f in sorted(wanted):
        opened.js(f"window.nntopo.seek({f})")
        png = opened.page.locator("#view").screenshot()
        shot = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((854, 480), Image.LANCZOS)).astype(float)
        off = np.abs(shot[box] - frames[f][box]).mean()
        assert off <= TOLERANCE, (f, off)
        other = next((g for g in (f - 8, f + 8)
                      if g in frames and np.abs(frames[g][box] - frames[f][box]).mean() > 3 * TOLERANCE), None)
        if other is not None:
            assert np.abs(shot[box] - frames[other][box]).mean() > 2 * TOLERANCE
            told += 1
    assert told >= 1
    opened.close()


# --- the catalogue: a figure's page beside its video, linked from the gallery ------------------------

def test_the_gallery_links_a_figures_page(tmp_path):
    from nntopo.catalogue import figures, gallery
    from nntopo.catalogue.figures import FIGURES

    for name, page in (("spirals", True), ("linear-curves", False)):
        (tmp_path / f"{name}.mp4").write_bytes(b"not a video")
        (tmp_path / f"{name}.png").write_bytes(b"")
        if page:
            (tmp_path / f"{name}.html").write_text("a page")
        figures.sidecar(tmp_path / f"{name}.mp4", FIGURES[name], [{"train_accuracy": 1.0}], True,
                        tmp_path / f"{name}.html" if page else None)
    index = gallery.write_gallery(tmp_path).read_text()
    assert index.count('href="spirals.html"') == 1 and "linear-curves.html" not in index
    for bad in ("../x.html", "x.js", "/etc/x.html"):  # a page is a file beside the video, or nothing
        meta = json.loads((tmp_path / "spirals.json").read_text())
        (tmp_path / "spirals.json").write_text(json.dumps({**meta, "page": bad}))
        with pytest.raises(NntopoError):
            gallery.write_gallery(tmp_path)


@pytest.mark.slow
def test_a_figures_page_holds_each_of_its_runs(tmp_path):
    import nntopo
    from nntopo.catalogue.figures import FIGURES

    out = nntopo.explore(None, tmp_path / "intervals.html", figure="intervals")
    parts = data_of(out.read_text())["parts"]
    assert len(parts) == len(FIGURES["intervals"].runs) == 2
    assert [p["title"] for p in parts] == [r.title or FIGURES["intervals"].claim for r in FIGURES["intervals"].runs]
    assert (tmp_path / ".cache").is_dir()  # its recordings, kept for the video (nntopo figure) to reuse


# --- Firefox: Debian's firefox-esr, headless, from disk ----------------------------------------------

@pytest.fixture(scope="session")
def firefox():
    """Debian's Firefox ESR, installed here when missing (playwright's own Firefox build cannot be
    downloaded here, and stock Firefox speaks no playwright)."""
    from conftest import debian_program

    return debian_program("firefox-esr", "firefox-esr", recommends=False)


def near(img: np.ndarray, color: str, within: float = 40.0) -> np.ndarray:
    """Pixels of img (H, W, 3) within `within` (RGB distance) of `color` (#rrggbb) at DOT_OPACITY
    over white: where a data point of that colour is drawn."""
    from nntopo.video.theme import DOT_OPACITY

    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], float)
    want = DOT_OPACITY * rgb + (1 - DOT_OPACITY) * 255.0
    return np.linalg.norm(img - want, axis=-1) < within


class Marionette:
    """Firefox ESR driven headless through Marionette, its own remote protocol (the one geckodriver
    speaks; length-prefixed JSON over TCP): a fresh profile with no network (every proxy a dead
    port), its content's console copied to stdout, which `console` returns."""

    def __init__(self, firefox: str, folder: Path, size=(1280, 800)):
        import os
        import socket
        import time

        profile = folder / "profile"
        profile.mkdir()
        prefs = {"marionette.port": 0, "network.proxy.type": 1, "network.proxy.http": "127.0.0.1",
                 "network.proxy.http_port": 9, "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": 9,
                 "network.proxy.allow_hijacking_localhost": True, "network.dns.disablePrefetch": True,
                 "browser.shell.checkDefaultBrowser": False, "app.update.enabled": False,
                 "datareporting.policy.dataSubmissionEnabled": False, "toolkit.telemetry.enabled": False,
                 "browser.startup.homepage_override.mstone": "ignore", "devtools.console.stdout.content": True}
        (profile / "user.js").write_text("".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()))
        self.log = folder / "firefox.log"
        env = dict(os.environ, MOZ_HEADLESS="1", HOME=str(folder), MOZ_CRASHREPORTER_DISABLE="1")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([firefox, "--headless", "--marionette", "-no-remote", "-profile", str(profile),
                                          f"--window-size={size[0]},{size[1]}", "about:blank"],
                                         stdout=log, stderr=subprocess.STDOUT, env=env)
        active = profile / "MarionetteActivePort"
        deadline = time.time() + 90
        while not (active.exists() and active.read_text().strip()):
            if self.proc.poll() is not None or time.time() > deadline:
                self.quit()
                pytest.skip(f"firefox-esr --headless --marionette did not start here: {self.log.read_text()[-300:]!r}")
            time.sleep(0.2)
        self.sock = socket.create_connection(("127.0.0.1", int(active.read_text())), timeout=120)
        self.buf, self.id = b"", 0
        assert self._recv()["marionetteProtocol"] == 3
        self.version = self("WebDriver:NewSession", {"capabilities": {}})["capabilities"]["browserVersion"]
        self("WebDriver:SetWindowRect", {"width": size[0], "height": size[1]})

    def _recv(self):
        while b":" not in self.buf:
            self.buf += self.sock.recv(1 << 16)
        n, rest = self.buf.split(b":", 1)
        while len(rest) < int(n):
            rest += self.sock.recv(1 << 20)
        self.buf = rest[int(n):]
        return json.loads(rest[: int(n)])

    def __call__(self, command: str, params: dict):
        self.id += 1
        data = json.dumps([0, self.id, command, params]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        _, _, error, result = self._recv()
        assert error is None, error
        return result

    def js(self, body: str):
        return self("WebDriver:ExecuteScript", {"script": body, "args": []})["value"]

    def console(self) -> str:
        return self.log.read_text(errors="replace")

    def page_errors(self, uri: str) -> list[str]:
        """The errors of the page at `uri` in the console: its uncaught exceptions and its
        console.error calls, after a probe (console.error('nntopo-probe')) has reached the log, so
        everything before it has. The browser's own console (its chrome: resource:// and chrome://
        code, failing to reach the network here) is not the page's."""
        import re
        import time

        self.js("console.error('nntopo-probe')")
        deadline = time.time() + 10
        while '"nntopo-probe"' not in self.console():
            assert time.time() < deadline, "the content's console does not reach the log"
            time.sleep(0.1)
        out = []
        for entry in re.split(r"\n(?=\S)", self.console()):  # a line and its indented continuation
            if entry.startswith("JavaScript error: ") and uri in entry:
                out.append(entry)
            elif entry.startswith("console.error:") and not re.search(r"(resource|chrome)://", entry):
                out.append(entry)
        return [e for e in out if e.strip() != 'console.error: "nntopo-probe"']

    def quit(self):
        try:
            if hasattr(self, "sock"):
                self("WebDriver:DeleteSession", {})
                self.sock.close()
        finally:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scene", ["layers", "training"])
def test_the_page_opens_from_disk_in_firefox(firefox, tiny_recording, tmp_path, scene):
    """Debian's Firefox ESR, headless, opens the page from disk (file://, no network): no console
    error, the points where the storyboard puts them (to a pixel), and a screenshot with the
    picture drawn, each class's colour covering points in the plot region, left of the panel (whose
    legend swatches share the colours). `firefox-esr --screenshot` cannot tell: it shoots at the
    load event, before the page has inflated its data (DecompressionStream is asynchronous)."""
    import base64
    import io
    import time

    from PIL import Image

    import nntopo
    from nntopo.video.theme import THEMES

    opts = RenderOptions(scene=scene)
    page = nntopo.explore(tiny_recording, tmp_path / "page.html", opts)
    sb = storyboard(tiny_recording, opts)
    ff = Marionette(firefox, tmp_path)
    try:
        ff("WebDriver:Navigate", {"url": page.as_uri()})
        deadline = time.time() + 30
        while ff.js("return document.body.dataset.ready || ''") != "1":
            assert time.time() < deadline, ff.js("return document.body.innerText")
            time.sleep(0.1)
        assert ff.js("return document.getElementById('loading')") is None  # the script ran to its end
        width = ff.js("return window.nntopo.canvasRect().width")
        for f in sorted({0, sb.n_frames // 2, sb.n_frames - 1}):
            got = np.array(ff.js(f"return window.nntopo.project({f})"))
            assert np.abs(got - pixels(sb, f, tiny_recording, width)).max() <= 1.0, f
        ff.js(f"window.nntopo.seek({sb.n_frames // 2})")
        png = ff("WebDriver:TakeScreenshot", {"full": False})["value"]
        errors = ff.page_errors(page.as_uri())
    finally:
        ff.quit()
    (tmp_path / "firefox.png").write_bytes(base64.b64decode(png))
    assert errors == []
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")).astype(float)
    assert img.shape[1] == 1280, img.shape
    theme = THEMES["light"]
    bg = np.array([int(theme["background"][i:i + 2], 16) for i in (1, 3, 5)], float)
    drawn = np.linalg.norm(img - bg, axis=-1) > 30
    assert drawn.mean() > 0.02, drawn.mean()  # not blank
    plot = img[:650, :725]  # the plot square, left of the panel, for any canvas from 1000 to 1264 px wide
    for color in (theme["a"], theme["b"]):
        assert near(plot, color).sum() >= 200, (color, near(plot, color).sum())
        assert near(img[:, 735:], color).sum() > 0  # and its legend swatch, in the panel


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param("knn", marks=pytest.mark.xdist_group("knn")), "circles-2"])
def test_a_figure_drawn_while_it_trains_has_a_page(figure_folder, name):
    """The figures the training storyboards draw (history.py): a part per run, each its own screen
    frames; knn's two runs of 500 digits within the 8 MB of a wide network's page. (knn's conv
    nets are the claim test's: test_figures, the same group.)"""
    import nntopo
    from nntopo.catalogue.figures import FIGURES

    out = nntopo.explore(None, figure_folder / f"{name}.html", figure=name)
    parts = data_of(out.read_text())["parts"]
    fig = FIGURES[name]
    assert len(parts) == len(fig.runs) and all(p["screen"] for p in parts)
    assert [p["title"] for p in parts] == [r.title or fig.claim for r in fig.runs]
    assert all(p["screen"]["counter"] for p in parts)
    if name == "knn":
        assert all(f"shown: {p['N']} held-out images" in p["info"] and len(p["classes"]) == 10 for p in parts)
    else:
        assert parts[0]["screen"]["grid"]["smooth"]
    assert out.stat().st_size <= 8_000_000, out.stat().st_size
