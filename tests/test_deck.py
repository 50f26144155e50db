"""nntopo slides: where the video is cut, what the notes say, and the decks themselves, opened by
python-pptx, converted by LibreOffice, played by headless Chromium with no network."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from nntopo import storyboard
from nntopo.config import NetConfig, TrainConfig
from nntopo.deck import cut, notes
from nntopo.recording import load
from helpers import trained

from helpers import decoded, default_sigint


def stage_blocks(sb):
    return [b for b in sb.blocks if b.kind is storyboard.Kind.STAGE]


def test_clips_meet_frame_to_frame(tiny_recording):
    sb = storyboard.layers(tiny_recording, fps=5)
    act = cut.acts([sb])[0]
    segs = act.segments
    assert len(segs) == len(stage_blocks(sb)) + 1  # every stage, then the outro
    assert segs[0].first == act.title_frame == sb.blocks[0].frames - 1  # the input, still
    assert all(a.last == b.first for a, b in zip(segs, segs[1:]))  # a clip starts where the last ended
    assert segs[-1].last == sb.n_frames - 1 and segs[-1].layer == -1
    assert [s.stages for s in segs[:3]] == [("linear",), ("translate",), ("activate",)]
    layers = cut.acts([sb], "layer")[0].segments
    assert len(layers) == len(tiny_recording.net.layers) + 1 and layers[0].caption == "Layer 1/2"
    assert layers[0].stages == ("linear", "translate", "activate") and layers[0].last == segs[2].last


def test_a_vector_field_step_is_one_clip_with_its_arrows():
    rec = trained("curves", NetConfig(2, 1, 2, "tanh", ("vector-field",), anchors=4),
                 TrainConfig(steps=30, restarts=1), seed=0, n_per_class=15)
    sb = storyboard.layers(rec, fps=5)
    segs = cut.acts([sb])[0].segments
    assert len(segs) == 2 and segs[0].stages == ("flow",)
    assert segs[0].last - segs[0].first == sum(b.frames for b in sb.blocks[1:-2])  # arrows, flow, pause


def test_a_title_card_is_in_no_clip(tiny_recording):
    a = storyboard.layers(tiny_recording, fps=5).titled("Part one")
    b = storyboard.layers(tiny_recording, fps=5).titled("Part two")
    first, second = cut.acts([a, b])
    assert first.title_frame == a.title_frames + a.blocks[0].frames - 1
    assert second.title_frame == a.total_frames + b.title_frames + b.blocks[0].frames - 1
    assert first.segments[-1].last == a.total_frames - 1 < second.segments[0].first


def test_notes_say_the_numbers_in_words():
    from nntopo.analysis.inspect import StageReport

    s = StageReport(2, "linear", -0.5, 3.0, True, "det W != 0", False, 0.875, ((1, 0), (1, 1)), (), 2.5, 2.0)
    said = notes.stage(s, ("A", "B"))
    assert "Layer 2, the linear map W. det W is -0.5: it flips the orientation; condition number 3." in said
    assert "class A is one piece; class B is one piece with 1 hole" in said
    assert "the best gets 87.5% right" in said and "stretched by up to 2.5" in said
    assert notes.betti((2, 1, 1)) == "2 pieces with 1 hole and 1 void"


def slides_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "nntopo", "slides", *args], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def recording_file(tiny_recording, tmp_path_factory):
    return tiny_recording.save(tmp_path_factory.mktemp("deck") / "tiny.npz")


@pytest.mark.render
def test_the_clips_are_one_continuous_video(tiny_recording, tmp_path):
    """Cut in one pass: the last frame of a clip is the first of the next, and the clips hold
    every frame of the video (the shared ones twice)."""
    from nntopo.config import RenderOptions
    from nntopo.video import render_clips

    sb = storyboard.layers(tiny_recording, fps=5)
    segs = cut.acts([sb])[0].segments
    paths = render_clips([sb], [(s.first, s.last) for s in segs], tmp_path, RenderOptions(fps=5)).paths

    clips = [decoded(p) for p in paths]
    assert [len(c) for c in clips] == [s.last - s.first + 1 for s in segs]
    for a, b in zip(clips, clips[1:]):
        assert np.abs(a[-1] - b[0]).mean() < 1.5  # the same frame, encoded twice
    moving = [np.abs(c[0] - c[-1]).mean() for c in clips]
    assert min(moving) > 1.5  # while a clip's own frames differ: every stage moves something


@pytest.mark.render
def test_a_powerpoint_deck_opens_and_converts(recording_file, tmp_path, libreoffice):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    out = tmp_path / "talk.pptx"
    r = slides_cli("--from", str(recording_file), "--quality", "low", "--fps", "5", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    deck = Presentation(str(out))
    sb = storyboard.layers(load(recording_file), 5)
    stages = len(stage_blocks(sb))
    assert len(deck.slides) == stages + 2
    assert deck.slide_width * 9 == deck.slide_height * 16  # 16:9
    for i, slide in enumerate(deck.slides):
        movies = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.MEDIA]
        assert len(movies) == (0 if i == 0 else 1)
        xml = slide._element.xml
        if i:
            parts = {rel.target_part.content_type for rel in slide.part.rels.values()}
            assert "video/mp4" in parts and "image/png" in parts  # the clip and its poster, embedded
            assert 'cmd="playFrom(0.0)"' in xml and 'nodeType="afterEffect"' in xml  # plays on its own
    said = [s.notes_slide.notes_text_frame.text for s in deck.slides]
    assert said[1].startswith("Layer 1, the linear map W. det W is ")
    assert re.search(r"stretched by up to [0-9.]+", said[3]) and "Training accuracy" in said[-1]
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[1:-1] == [b.caption for b in stage_blocks(sb)]
    # LibreOffice reads it: one PDF page per slide
    with tempfile.TemporaryDirectory() as home:
        conv = subprocess.run([libreoffice, "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                               str(tmp_path), str(out)], capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, HOME=home))
    pdf = (tmp_path / "talk.pdf").read_bytes()
    assert conv.returncode == 0, conv.stderr
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == stages + 2


PROBE = """<pre id="nntopo-check">pending</pre><script>
function nntopoGo() {
  const out = {slides: Reveal.getTotalSlides()};
  Reveal.slide(1);
  setTimeout(() => {
    const v = Reveal.getCurrentSlide().querySelector('video');
    out.time = v ? v.currentTime : -1; out.error = v && v.error ? v.error.code : null;
    out.fetched = performance.getEntriesByType('resource').map(e => e.name);
    document.getElementById('nntopo-check').textContent = JSON.stringify(out);
  }, 2000);
}
Reveal.isReady() ? nntopoGo() : Reveal.on('ready', nntopoGo);
</script>"""


@pytest.mark.render
def test_a_reveal_deck_plays_offline_in_chromium(recording_file, tmp_path, chromium):
    out = tmp_path / "talk.html"
    r = slides_cli("--from", str(recording_file), "--quality", "low", "--fps", "5", "--per", "layer", "-o", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.count("<section>") == 2 + 2 and page.count("data-autoplay") == 3  # 2 layers
    assert page.count('<aside class="notes">') == 4
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:  # no network: every host unresolvable, no proxy
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--autoplay-policy=no-user-gesture-required",
             "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120).stdout
    result = json.loads(dom.split('<pre id="nntopo-check">', 1)[1].split("</pre>", 1)[0])
    assert result["slides"] == 4 and result["error"] is None and result["time"] > 0, result
    assert result["fetched"] == []  # nothing but what the page holds


@pytest.mark.render
def test_a_pdf_handout_has_a_page_per_slide(recording_file, tmp_path):
    out = tmp_path / "hand.pdf"
    r = slides_cli("--from", str(recording_file), "--quality", "low", "--fps", "5", "-o", str(out))
    assert r.returncode == 0, r.stderr
    sb = storyboard.layers(load(recording_file), 5)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", out.read_bytes())) == len(stage_blocks(sb)) + 2


@pytest.mark.parametrize("args, words", [
    (["--figure", "nope", "-o", "t.pptx"], "--figure"),
    (["--figure", "knn", "-o", "t.pptx"], "knn: its runs are drawn while they train"),
    (["spirals", "-o", "talk.key"], "--output talk.key: the file name must end in .pptx or .html or .pdf"),
    (["spirals", "-o", "no/such/folder/t.pptx"], "folder no/such/folder does not exist"),
    (["spirals", "--background", "transparent", "-o", "t.pptx"], "--background transparent"),
    (["spirals", "--figure", "tori", "-o", "t.pptx"], "give exactly one of"),
    (["spirals"], "Missing option '--output'"),
])
def test_bad_input_is_one_line_and_nothing_written(tmp_path, args, words):
    r = slides_cli(*args, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.render
def test_ctrl_c_leaves_no_partial_deck(long_recording, tmp_path):
    """Ctrl-C while the clips are cut: the recording's twelve layers make 37 clips, so when the
    second clip appears most of the deck is still to draw (by construction, not by timing)."""
    out = tmp_path / "talk.pptx"
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    p = subprocess.Popen([sys.executable, "-m", "nntopo", "slides", "--from", str(long_recording), "--quality",
                          "medium", "-o", str(out)], stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True, preexec_fn=default_sigint)
    deadline = time.time() + 120
    while not any((tmp_path / "tmp").glob("nntopo-deck-*/clip-1.mp4")):  # until it is cutting clips
        assert p.poll() is None and time.time() < deadline, p.communicate()
        time.sleep(0.05)
    assert p.poll() is None  # still drawing: the interrupt must be seen
    os.killpg(p.pid, signal.SIGINT)
    _, stderr = p.communicate(timeout=60)
    assert p.returncode == 130 and "aborted" in stderr
    assert not out.exists() and list((tmp_path / "tmp").iterdir()) == []
