"""The deck as PowerPoint (.pptx, python-pptx): 16:9, a slide per clip, every medium embedded.

python-pptx's movie shape plays on click; the timing tree written here is the one PowerPoint
writes for Start: Automatically (a media call, playFrom(0), after the slide begins), so each clip
plays as its slide opens, and freezes on its last frame (which the next clip starts from).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..config import RenderOptions

SLIDE = (12_192_000, 6_858_000)  # EMU: PowerPoint's own 16:9 (13.333 x 7.5 inches)
WIDE = (SLIDE[0] / 914_400, SLIDE[1] / 914_400)  # the same, in inches
MARGIN = 0.4  # inches around the picture
TITLE_HEIGHT = 0.9  # inches: the slide's title

# PowerPoint's timing tree for a video that starts automatically: {spid} is the movie shape's id,
# {ms} the clip's length in milliseconds.
AUTOPLAY = """<p:timing xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:tnLst><p:par>
<p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot"><p:childTnLst>
<p:seq concurrent="1" nextAc="seek"><p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>
<p:par><p:cTn id="3" fill="hold"><p:stCondLst><p:cond delay="indefinite"/><p:cond evt="onBegin" delay="0">
<p:tn val="2"/></p:cond></p:stCondLst><p:childTnLst><p:par><p:cTn id="4" fill="hold"><p:stCondLst>
<p:cond delay="0"/></p:stCondLst><p:childTnLst><p:par><p:cTn id="5" presetID="1" presetClass="mediacall"
presetSubtype="0" fill="hold" nodeType="afterEffect"><p:stCondLst><p:cond delay="0"/></p:stCondLst>
<p:childTnLst><p:cmd type="call" cmd="playFrom(0.0)"><p:cBhvr><p:cTn id="6" dur="{ms}" fill="hold"/>
<p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl></p:cBhvr></p:cmd></p:childTnLst></p:cTn></p:par>
</p:childTnLst></p:cTn></p:par></p:childTnLst></p:cTn></p:par></p:childTnLst></p:cTn>
<p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst>
<p:nextCondLst><p:cond evt="onNext" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst>
</p:seq><p:video><p:cMediaNode vol="80000"><p:cTn id="7" fill="hold" display="0"><p:stCondLst>
<p:cond delay="indefinite"/></p:stCondLst></p:cTn><p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl>
</p:cMediaNode></p:video></p:childTnLst></p:cTn></p:par></p:tnLst></p:timing>"""


def write(slides: list, path: Path, opts: RenderOptions) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE
    layout = deck.slide_layouts[5]  # Title Only
    w, h = opts.size
    for s in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = s.title
        title = slide.shapes.title
        title.left, title.top = Inches(MARGIN), Inches(0.2)
        title.width, title.height = Inches(WIDE[0] - 2 * MARGIN), Inches(TITLE_HEIGHT)
        for p in title.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(26)
        room_w = WIDE[0] - 2 * MARGIN  # the frame itself holds the run's description and numbers
        room_h = WIDE[1] - TITLE_HEIGHT - 0.2 - MARGIN
        scale = min(room_w / w, room_h / h)
        pw, ph = w * scale, h * scale
        left, top = (WIDE[0] - pw) / 2, TITLE_HEIGHT + 0.2 + (room_h - ph) / 2
        if s.clip is not None:
            movie = slide.shapes.add_movie(str(s.clip), Inches(left), Inches(top), Inches(pw), Inches(ph),
                                           poster_frame_image=str(s.poster), mime_type="video/mp4")
            _autoplay(slide, movie.shape_id, _milliseconds(s.clip))
        else:
            slide.shapes.add_picture(str(s.picture), Inches(left), Inches(top), Inches(pw), Inches(ph))
        slide.notes_slide.notes_text_frame.text = s.notes
    deck.save(str(path))


def _milliseconds(clip: Path) -> int:
    import av

    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        return max(1, int(round(1000 * float(s.frames / s.average_rate)))) if s.frames else 1000


def _autoplay(slide, spid: int, ms: int) -> None:
    """Replace the slide's timing (python-pptx's: play on click) with Start: Automatically."""
    from lxml import etree

    sld = slide._element
    for old in sld.findall("{http://schemas.openxmlformats.org/presentationml/2006/main}timing"):
        sld.remove(old)
    xml = re.sub(r">\s+<", "><", AUTOPLAY.format(spid=spid, ms=ms).replace("\n", " "))
    sld.append(etree.fromstring(xml))
