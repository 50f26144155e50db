"""figures/index.html: every rendered figure with its poster, the essay's claim and the numbers.

One self-contained page (inline CSS, no script, no CDN), so it works offline, from a USB stick or
a static host. The numbers come from each figure's sidecar NAME.json, which `nntopo figure`
writes from the run itself; each figure links its page (NAME.html, nntopo explore) when it has one.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..atomic import write_text
from ..errors import NntopoError
from ..recording.meta import is_number
from .figures import FIGURES

STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #222; background: #fafafa; }
h1 { font-weight: 600; } .lede { color: #555; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1.5rem; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem; }
video { width: 100%; height: auto; display: block; background: #fff; }
figcaption h2 { font-size: 1.1rem; margin: 0.6rem 0 0.2rem; font-family: DejaVu Sans Mono, monospace; }
.claim { margin: 0.2rem 0; } .numbers { color: #444; font-size: 0.9rem; margin: 0.2rem 0; }
.verdict-ok { color: #1b7a2e; } .verdict-no { color: #b3261e; }
"""


def _numbers(m: dict) -> str:
    parts = [f"training {100 * m['train_accuracy']:.1f}%"]
    if m.get("test_accuracy") is not None:
        kind = m.get("test") or "fresh"
        fresh = f" ({m['test_points']:,} {kind} points)" if isinstance(m.get("test_points"), int) else ""
        parts.append(f"test {100 * m['test_accuracy']:.2f}%{fresh}")
    if m.get("max_stretch") is not None:
        parts.append(f"max stretch |J| {m['max_stretch']:.3g}")
    return ", ".join(parts)


def read_sidecar(path: Path) -> dict:
    """A figure's NAME.json as `sidecar` wrote it; anything else is refused naming the file."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        ok = (isinstance(meta, dict) and isinstance(meta.get("holds"), bool)
              and all(isinstance(meta.get(k), str) for k in ("poster", "video", "claim"))
              and (meta.get("page") is None or isinstance(meta["page"], str) and meta["page"].endswith(".html")
                   and Path(meta["page"]).name == meta["page"])  # a page beside the video, nowhere else
              and isinstance(meta.get("runs"), list) and all(
                  isinstance(m, dict) and is_number(m.get("train_accuracy"))
                  and all(m.get(k) is None or is_number(m[k]) for k in ("test_accuracy", "max_stretch"))
                  for m in meta["runs"]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        ok = False
    if not ok:
        raise NntopoError(f"{path}: not the sidecar `nntopo figure` writes (render that figure again)")
    return meta


def write_gallery(folder: str | Path) -> Path:
    """Write folder/index.html for the figures rendered there (in the catalogue's order)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NntopoError(f"{folder}: no such folder (render figures there first: make figures)")
    cards = []
    for name in FIGURES:
        meta_path = folder / f"{name}.json"
        if not meta_path.exists() or not (folder / f"{name}.mp4").exists():
            continue
        meta = read_sidecar(meta_path)
        e = html.escape
        verdict = ('<span class="verdict-ok">the claim holds in this run</span>' if meta["holds"]
                   else '<span class="verdict-no">the claim does not hold in this run</span>')
        numbers = "".join(f'<p class="numbers">{e(_numbers(m))}</p>' for m in meta["runs"])
        page = meta.get("page")
        if page is not None and (folder / page).exists():  # its page to scrub, turn and question
            numbers += f'<p class="explore"><a href="{e(page)}">explore: scrub, turn and question the points</a></p>'

        cards.append(f"""<figure id="{e(name)}">
<video controls muted loop playsinline preload="metadata" poster="{e(meta['poster'])}">
<source src="{e(meta['video'])}" type="video/mp4"></video>
<figcaption><h2>{e(name)}</h2><p class="claim">{e(meta['claim'])}: {verdict}</p>
{numbers}</figcaption></figure>""")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nntopo: Neural Networks, Manifolds, and Topology</title>
<style>{STYLE}</style></head>
<body><h1>Neural Networks, Manifolds, and Topology</h1>
<p class="lede">The figures of Chris Olah's essay, rendered by nntopo. Every number below comes
from the run in its video; "test" is a fresh dense sample of the true sets.</p>
<div class="grid">
{chr(10).join(cards)}
</div></body></html>
"""
    return write_text(folder / "index.html", page)
