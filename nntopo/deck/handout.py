"""The deck as a PDF handout: a page per slide (A4 landscape), its title, the picture where its
clip ends, and its speaker notes; drawn with matplotlib, nothing else needed."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ..config import RenderOptions

PAGE = (11.69, 8.27)  # inches: A4 landscape


def write(slides: list, path: Path, opts: RenderOptions) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from PIL import Image

    with PdfPages(str(path)) as pdf:
        for n, s in enumerate(slides, 1):
            fig = plt.figure(figsize=PAGE)
            fig.text(0.04, 0.95, s.title, fontsize=16, weight="bold", va="top")
            ax = fig.add_axes((0.04, 0.36, 0.92, 0.54))
            ax.imshow(Image.open(s.picture))
            ax.axis("off")
            fig.text(0.04, 0.32, "\n".join(textwrap.wrap(s.notes, 150)), fontsize=9.5, va="top", linespacing=1.45)
            fig.text(0.96, 0.03, f"{n} / {len(slides)}", fontsize=8, ha="right", color="0.4")
            pdf.savefig(fig)
            plt.close(fig)
