"""Where a deck cuts its video: one clip per stage (or per layer), at the storyboard's own block
boundaries, each clip starting on the frame the one before ends on, so stepping through the
slides looks like the continuous video. Frames are numbered over the whole render (every act,
its title card included), as the scene draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..storyboard import Kind, Storyboard



@dataclass(frozen=True)
class Segment:
    first: int  # the clip's first frame (the last frame of the segment before it)
    last: int  # its last frame, inclusive
    caption: str  # what the video's caption says while it plays
    act: int  # which storyboard (a figure in two parts has two)
    layer: int  # the 0-based layer it plays (-1: the outro)
    stages: tuple[str, ...]  # the stages it plays: linear, translate, activate, flow; () the outro


@dataclass(frozen=True)
class Act:
    """One storyboard's part of the deck: its still first picture, and its clips."""

    index: int
    title_frame: int  # the frame the title slide shows: the input, before the first layer
    segments: tuple[Segment, ...]  # the stages' (or layers') clips, then the outro's


def acts(boards: list[Storyboard], per: str = "stage") -> list[Act]:
    """The cut of every storyboard, rendered one after another in one pass."""
    out, offset = [], 0
    for k, sb in enumerate(boards):
        offset += sb.title_frames  # a title card is drawn, but is in no clip
        starts = [offset + int(s) for s in sb.starts()]
        ends = [s + b.frames - 1 for s, b in zip(starts, sb.blocks)]  # inclusive
        groups: list[list[int]] = []  # the blocks of each segment: a stage (or layer) and its pauses
        key = None
        for i, b in enumerate(sb.blocks):
            if b.kind in (Kind.STAGE, Kind.ARROWS):  # a vector field's arrows belong to its flow
                mine = b.layer if per == "layer" else (b.layer, b.stage or "flow")
                if mine != key:
                    groups.append([])
                    key = mine
                groups[-1].append(i)
            elif b.kind is Kind.HOLD and key is not None:
                groups[-1].append(i)  # the pause after a stage
            else:
                key = None
        segments, first = [], ends[0]  # the intro's last frame: the input, before any layer
        for g in groups:
            stages = [sb.blocks[i] for i in g if sb.blocks[i].kind is Kind.STAGE]
            caption = stages[0].caption if stages else sb.blocks[g[0]].caption
            if per == "layer":
                caption = caption.split(":")[0]  # "Layer 2/4"
            last = ends[g[-1]]
            segments.append(Segment(first, last, caption, k, sb.blocks[g[0]].layer, tuple(b.stage for b in stages)))
            first = last
        fade = [i for i, b in enumerate(sb.blocks) if b.kind is Kind.FADE]
        if fade:  # the outro: the separating line fades in, the numbers appear
            last = ends[fade[0] + 1] if fade[0] + 1 < len(ends) else ends[fade[0]]
            segments.append(Segment(first, last, sb.blocks[fade[0]].caption, k, -1, ()))
        out.append(Act(k, ends[0], tuple(segments)))
        offset += sb.n_frames
    return out
