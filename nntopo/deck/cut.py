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


def segment_of(blocks, per: str = "stage") -> list[int | None]:
    """Per block, the segment (slide) it belongs to: a stage (or layer) with its pauses, a vector
    field's arrows with its flow, the outro (its fade and hold); None for the intro, which is the
    title slide's still. The one rule of the cut."""
    out: list[int | None] = []
    n, key = -1, None
    for b in blocks:
        if b.kind in (Kind.STAGE, Kind.ARROWS):
            mine = b.layer if per == "layer" else (b.layer, b.stage or "flow")
            if mine != key:
                n, key = n + 1, mine
        elif b.kind is Kind.FADE:
            n, key = n + 1, "outro"
        elif b.kind is not Kind.HOLD or key is None:
            out.append(None)
            continue
        out.append(n)
    return out


def acts(boards: list[Storyboard], per: str = "stage") -> list[Act]:
    """The cut of every storyboard, rendered one after another in one pass."""
    out, offset = [], 0
    for k, sb in enumerate(boards):
        offset += sb.title_frames  # a title card is drawn, but is in no clip
        starts = [offset + int(s) for s in sb.starts()]
        ends = [s + b.frames - 1 for s, b in zip(starts, sb.blocks)]  # inclusive
        which = segment_of(sb.blocks, per)
        segments, first = [], ends[0]  # the intro's last frame: the input, before any layer
        for n in sorted({w for w in which if w is not None}):
            mine = [i for i, w in enumerate(which) if w == n]
            stages = [sb.blocks[i] for i in mine if sb.blocks[i].kind is Kind.STAGE]
            head = sb.blocks[mine[0]]
            outro = head.kind is Kind.FADE
            caption = stages[0].caption if stages else head.caption
            if per == "layer" and not outro:
                caption = caption.split(":")[0]  # "Layer 2/4"
            last = ends[mine[-1]]
            segments.append(Segment(first, last, caption, k, -1 if outro else head.layer,
                                    tuple(b.stage for b in stages)))
            first = last
        out.append(Act(k, ends[0], tuple(segments)))
        offset += sb.n_frames
    return out
