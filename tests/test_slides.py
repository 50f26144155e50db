"""nntopo.video.slides: the deck's cut as a manim-slides presentation. `manim-slides render` on
scenes/slides.py makes the slides `nntopo slides` makes (the same frames, the same notes), and
manim-slides' own converter reads them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nntopo import storyboard
from nntopo.config import RenderOptions
from nntopo.deck import cut, notes, part
from nntopo.recording import load

from helpers import decoded

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "slides.py"
BIN = Path(sys.executable).parent


def manim_settings(tmp_path, width=854, height=480, **more) -> dict:
    """manim's settings for a scene rendered from Python at 5 fps, quietly, into tmp_path/media."""
    return {"media_dir": str(tmp_path / "media"), "frame_rate": 5, "pixel_width": width, "pixel_height": height,
            "disable_caching": True, "progress_bar": "none", "verbosity": "ERROR", **more}


def manim_slides(*args, env=None, cwd=None):
    return subprocess.run([str(BIN / "manim-slides"), *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env=dict(os.environ, **(env or {})))


@pytest.fixture(scope="module")
def recording_file(tiny_recording, tmp_path_factory):
    return tiny_recording.save(tmp_path_factory.mktemp("slides") / "tiny.npz")


@pytest.mark.render
def test_manim_slides_render_cuts_where_the_deck_cuts(recording_file, tmp_path):
    from manim_slides.config import PresentationConfig
    from nntopo.video import render_clips

    r = manim_slides("render", "-ql", "--fps", "5", "--media_dir", "media", str(SCENE), "LayerFlowSlides",
                     env={"NNTOPO_RECORDING": str(recording_file)}, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    shown = PresentationConfig.from_file(tmp_path / "slides" / "LayerFlowSlides.json")  # manim-slides' own schema
    rec = load(recording_file)
    sb = storyboard.layers(rec, 5)
    act = cut.acts([sb])[0]
    stages = sum(b.kind is storyboard.Kind.STAGE for b in sb.blocks)
    assert len(shown.slides) == len(act.segments) + 1 == stages + 2  # the title, every stage, the outro
    assert shown.resolution == (854, 480) and shown.background_color.as_hex() == "#fff"
    assert [s.notes for s in shown.slides] == notes.act(act, part(rec, RenderOptions(fps=5)).report)

    theirs = [decoded(tmp_path / s.file) for s in shown.slides]
    # slides do not share frames: the title slide is the intro, then each segment after its first frame
    assert [len(f) for f in theirs] == [act.title_frame + 1] + [s.last - s.first for s in act.segments]
    (tmp_path / "ours").mkdir()
    ours = render_clips([sb], [(s.first, s.last) for s in act.segments], tmp_path / "ours", RenderOptions(fps=5)).paths
    for k, clip in enumerate(decoded(p) for p in ours):
        assert np.abs(clip[-1] - theirs[k + 1][-1]).mean() < 1.5  # both end on the same frame
        assert np.abs(clip[0] - theirs[k][-1]).mean() < 1.5  # and start where the slide before ends
        assert np.abs(clip[0] - clip[-1]).mean() > 1.5  # which is another picture: every stage moves

    # manim-slides' converter takes it as it is: a PowerPoint deck of the same slides and notes
    r = manim_slides("convert", "--to", "pptx", "LayerFlowSlides", "talk.pptx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    from pptx import Presentation

    deck = Presentation(str(tmp_path / "talk.pptx"))
    assert [s.notes_slide.notes_text_frame.text for s in deck.slides] == [s.notes for s in shown.slides]


@pytest.mark.render
def test_a_slide_per_layer_from_python_on_dark(tiny_recording, tmp_path):
    """The scene from Python, inside manim's tempconfig: NNTOPO_PER=layer's cut, the dark palette;
    manim's cache limit (100 partial movies by default, 3 here) prunes none of the files the
    slides are cut from."""
    from manim import tempconfig
    from manim_slides.config import PresentationConfig
    from nntopo.deck import manim_slides

    p = part(tiny_recording, RenderOptions(fps=5))
    with tempconfig(manim_settings(tmp_path, max_files_cached=3)):
        manim_slides([p], "layer", theme="dark", output_folder=tmp_path / "slides").render()
    shown = PresentationConfig.from_file(tmp_path / "slides" / "LayerFlowSlides.json")
    act = cut.acts([p.board], "layer")[0]
    assert len(shown.slides) == len(tiny_recording.net.layers) + 2
    assert [len(decoded(tmp_path / s.file)) for s in shown.slides[1:]] == [s.last - s.first for s in act.segments]
    said = shown.slides[1].notes
    assert said.startswith("Layer 1, the linear map W.") and "Layer 1, the activation." in said
    assert shown.background_color.as_hex() == "#15171c"
    last = decoded(tmp_path / shown.slides[-1].file)[-1]
    assert last.mean() < 60  # light ink on near-black


@pytest.mark.parametrize("env, words", [
    ({}, "set NNTOPO_RECORDING to a recording made by `nntopo train`, or NNTOPO_FIGURE"),
    ({"NNTOPO_RECORDING": "r.npz", "NNTOPO_FIGURE": "tori"}, "set NNTOPO_RECORDING to a recording"),
    ({"NNTOPO_RECORDING": "nope.npz"}, "nope.npz: no such file"),
    ({"NNTOPO_FIGURE": "knn"}, "knn: its runs are drawn while they train"),
    ({"NNTOPO_FIGURE": "nope"}, "figure 'nope': expected one of"),
    ({"NNTOPO_FIGURE": "tori", "NNTOPO_PER": "slide"}, "per 'slide': expected one of stage, layer"),
    ({"NNTOPO_FIGURE": "tori", "NNTOPO_BACKGROUND": "blue"}, "background 'blue': expected one of"),
])
def test_the_environment_is_checked_before_any_work(env, words):
    """scenes/slides.py, the only reader of the NNTOPO_* settings, checks each before any work."""
    from nntopo.errors import NntopoError
    from nntopo_scenes.slides import from_environment

    with pytest.raises(NntopoError, match="^" + re.escape(words)):
        from_environment(env)  # (tori with a bad setting would train for a minute before failing)


@pytest.mark.render
def test_the_manim_slides_command_refuses_in_one_line(tmp_path):
    r = manim_slides("render", "-ql", str(SCENE), "LayerFlowSlides", env={"NNTOPO_RECORDING": "", "NNTOPO_FIGURE": "nope"},
                     cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr, r.stdout[-2000:] + r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1].startswith("error: figure 'nope': expected one of"), r.stderr
    assert not (tmp_path / "slides").exists()


def test_without_manim_slides_the_scene_says_how_to_install():
    code = ("import runpy, sys; sys.modules['manim_slides'] = None; "  # as if it were not installed
            f"runpy.run_path({str(SCENE)!r})")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.strip() == ("error: the manim-slides scene needs manim-slides: "
                                                      "pip install 'nntopo[slides]'"), r.stderr


@pytest.mark.render
def test_a_figure_in_two_parts_is_two_runs_of_slides(tiny_recording, tmp_path):
    """Each act starts a slide with its title card and intro, as a figure of two runs plays."""
    from manim import tempconfig
    from manim_slides.config import PresentationConfig
    from nntopo.deck import Part, manim_slides

    p = part(tiny_recording, RenderOptions(fps=5))
    acts = [Part(p.board.titled(t), p.report, t) for t in ("Part one", "Part two")]
    with tempconfig(manim_settings(tmp_path, 256, 144)):
        scene = manim_slides(acts, output_folder=tmp_path / "slides")
        scene.skip_reversing = True
        scene.render()
    shown = PresentationConfig.from_file(tmp_path / "slides" / "LayerFlowSlides.json")
    one, two = cut.acts([a.board for a in acts])
    assert len(shown.slides) == 2 * (len(one.segments) + 1)
    lengths = [len(decoded(tmp_path / s.file)) for s in shown.slides]
    title_two = two.title_frame - one.segments[-1].last  # act two's title card and intro
    assert lengths == ([one.title_frame + 1] + [s.last - s.first for s in one.segments]
                       + [title_two] + [s.last - s.first for s in two.segments])
    assert shown.slides[len(one.segments) + 1].notes == shown.slides[0].notes  # the run's numbers again


def test_the_private_pieces_of_manim_slides_are_there():
    """With manim 0.22 the scene calls two private pieces of manim-slides 5.7 (the extra pins
    5.7.x): BaseSlide.__init__ and Slide._save_slides with these keywords. A manim-slides that
    changes them fails here, not in a user's render."""
    import inspect

    from manim_slides.slide.base import BaseSlide
    from manim_slides.slide.manim import Slide

    from nntopo.video import slides

    assert callable(BaseSlide.__init__)
    params = inspect.signature(Slide._save_slides).parameters
    assert {"use_cache", "flush_cache", "skip_reversing"} <= set(params)
    assert slides.OLD_MANIM == hasattr(type(__import__("manim").config), "write_to_movie")
