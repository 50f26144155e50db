"""The panel around the plot, laid out by manim without rendering a video: nothing overlaps,
nothing leaves the frame, and the counter keeps its size."""

import dataclasses

import pytest

from nntopo import storyboard
from nntopo.config import RenderOptions
from nntopo.storyboard import LAYOUTS

manim = pytest.importorskip("manim")

NOTES = ("det W +1.23, cond 4.56: homeomorphism", "Betti A (1, 0), B (1, 0)*",
         "best linear fit 100.0%, |J| max 12.3", "* squashed finer than the samples resolve")


def panel_for(sb, aspect):
    from nntopo.video.panel import Panel
    from nntopo.video.text import text

    def draw(s, size, bold=False):
        return text(s, size, "#222222", bold)

    return Panel(sb, ["#d62728", "#1f5fbf"], draw), draw


def box(m):
    return m.get_left()[0], m.get_right()[0], m.get_bottom()[1], m.get_top()[1]


def overlap(a, b) -> bool:
    (l1, r1, b1, t1), (l2, r2, b2, t2) = box(a), box(b)
    return l1 < r2 and l2 < r1 and b1 < t2 and b2 < t1


def settings(aspect):
    w, h = RenderOptions(aspect=aspect).size
    return {"pixel_width": w, "pixel_height": h, "frame_height": 8.0, "frame_width": 8.0 * w / h}


@pytest.fixture(scope="module")
def crowded(tiny_recording):
    """A storyboard with as much panel text as any figure has (easy-way-out, a 3D note)."""
    sb = storyboard.layers(tiny_recording, fps=5)
    return dataclasses.replace(
        sb, info=sb.info + ("4D: turned in the x-w plane, w dropped",),
        result=("training accuracy 98.4%", "test accuracy 97.12% (40,000 fresh points)",
                "max stretch |J| = 52.3 (99th pct 17.1)"))


@pytest.mark.parametrize("aspect", list(LAYOUTS))
def test_the_overlay_never_covers_the_result(crowded, aspect):
    with manim.tempconfig(settings(aspect)):
        sb = dataclasses.replace(crowded, layout=LAYOUTS[aspect])
        panel, _ = panel_for(sb, aspect)
        half_w, half_h = manim.config.frame_width / 2, 4.0
        texts = [panel.result, panel.legend] + ([panel.info] if len(panel.info) else [])
        for before, after in [(False, False), (True, True)]:
            notes = panel.notes(NOTES, result_shown=after)
            if notes is None:  # no room even when drawn smaller: the result has it
                continue
            shown = texts if after else texts[1:]
            for m in shown:
                assert not overlap(notes, m), (aspect, after, box(notes), box(m))
            texts_in_frame = [notes, *shown]
            for m in texts_in_frame:
                left, right, bottom, top = box(m)
                assert -half_w <= left and right <= half_w and -half_h <= bottom and top <= half_h, (aspect, box(m))


@pytest.mark.parametrize("aspect", list(LAYOUTS))
def test_the_counter_keeps_its_size(tiny_recording, aspect):
    """Every frame's counter is drawn at the size its place was laid out for (it was once drawn
    at the 16:9 size after the first frame)."""
    with manim.tempconfig(settings(aspect)):
        sb = storyboard.training(tiny_recording, fps=5, seconds=2, hold=1, layout=LAYOUTS[aspect])
        panel, draw = panel_for(sb, aspect)
        line = str(sb.frames(0, 1).counter[0])
        expected = draw(line, LAYOUTS[aspect].size("counter")).pixel_array.shape[0]
        assert panel.counter.pixel_array.shape[0] == expected
        assert panel.counter_pixels(line).shape[0] == expected


@pytest.mark.parametrize("aspect", list(LAYOUTS))
def test_the_usual_overlay_is_shown_while_the_layers_play(tiny_recording, aspect):
    """Three lines of numbers (the usual stage) fit in every layout before the result shows."""
    with manim.tempconfig(settings(aspect)):
        sb = storyboard.layers(tiny_recording, fps=5, layout=LAYOUTS[aspect])
        panel, _ = panel_for(sb, aspect)
        notes = panel.notes(NOTES[:3], result_shown=False)
        assert notes is not None and len(notes) == 3
        assert notes.get_bottom()[1] >= -4.0


@pytest.mark.parametrize("aspect", list(LAYOUTS))
def test_the_numbers_of_five_classes_stay_in_the_frame(crowded, aspect):
    """Five classes (a legend of five) and five result lines: every line is in the frame, in
    two columns in the 1:1 strip if need be, smaller or fewer only if even that does not fit."""
    sb = dataclasses.replace(crowded, layout=LAYOUTS[aspect], classes=tuple(f"class {c}" for c in "ABCDE"),
                             result=crowded.result[:1] + ("lowest per class: C 97.5%, A 99.0% (others 100%)",)
                             + crowded.result[1:] + ("one more line of numbers",))
    with manim.tempconfig(settings(aspect)):
        panel, _ = panel_for(sb, aspect)
        half_w = manim.config.frame_width / 2
        for m in [panel.result, panel.legend]:
            left, right, bottom, top = box(m)
            assert -half_w <= left and right <= half_w and -4.0 <= bottom and top <= 4.0, (aspect, box(m))
        assert not overlap(panel.result, panel.legend)
        assert len(panel.result) >= 4  # at most the last line given up
