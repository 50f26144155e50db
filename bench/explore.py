"""`nntopo explore`'s numbers: what writing a page costs against rendering the 480p video of the
same recording, how big the page is, how fast it loads and plays in headless Chromium.

    python bench/explore.py                      # the flagship, 5,000 points, MNIST
    python bench/explore.py --from a.npz b.npz   # these recordings instead

For each recording: `nntopo explore --from X` and `nntopo render --from X --quality low` in a
child process each (wall time, median of --repeat runs); the page's size; then in Debian's
Chromium (playwright's client, software rendering, no GPU) the load time (navigation to the first
frame drawn, median of 3 loads), and while it plays for --seconds: frames drawn per second and
the mean time to draw one (the rate the page could reach, whatever the browser's frame clock).
Prints one Markdown row per recording. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def nntopo(*args: str, cwd: Path) -> float:
    """Wall seconds of `python -m nntopo ARGS` in a child process (it must succeed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "nntopo", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"nntopo {' '.join(args)}: {r.stderr.strip()}")
    return time.perf_counter() - t


def recordings(folder: Path) -> list[tuple[str, Path]]:
    """The flagship (spirals, four 2-unit tanh layers, seed 0), 5,000 points (five blobs of 1,000,
    two 16-unit layers: projected) and MNIST (two 16-unit layers; its recording holds the 2,500
    training images of the 5,000), trained once into `folder`."""
    out = []
    for name, args in (("spirals 4x2", ["spirals", "--layers", "4", "--width", "2"]),
                       ("blobs 2x16 (5,000 points)", ["blobs", "--classes", "5", "--points", "1000", "--layers", "2",
                                                      "--width", "16"]),
                       ("mnist 2x16 (784-D, 2,500 points)", ["mnist", "--layers", "2", "--width", "16"])):
        path = folder / (name.split()[0] + ".npz")
        if not path.exists():
            nntopo("train", *args, "-o", str(path), cwd=folder)
        out.append((name, path))
    return out


def in_browser(page: Path, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        loads = []
        for _ in range(3):
            ctx = b.new_context(viewport={"width": 1280, "height": 800})
            pg = ctx.new_page()
            pg.goto(page.as_uri())
            pg.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
            loads.append(pg.evaluate("window.nntopo.stats.first"))  # ms since navigation started
            if len(loads) < 3:
                ctx.close()
        before = pg.evaluate("({n: window.nntopo.stats.frames, ms: window.nntopo.stats.ms, t: performance.now()})")
        pg.keyboard.press("Space")
        pg.wait_for_timeout(seconds * 1000)
        after = pg.evaluate("({n: window.nntopo.stats.frames, ms: window.nntopo.stats.ms, t: performance.now()})")
        played = pg.evaluate("window.nntopo.state().t")
        ctx.close()
        b.close()
    n = after["n"] - before["n"]
    return {"load_ms": statistics.median(loads), "fps": n / ((after["t"] - before["t"]) / 1000),
            "draw_ms": (after["ms"] - before["ms"]) / max(n, 1), "played_frames": played}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="sources", nargs="*", type=Path, help="recordings (default: trained here)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--keep", type=Path, help="a folder for the recordings and pages (default: a temporary one)")
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="nntopo-bench-explore-"))
    folder.mkdir(parents=True, exist_ok=True)
    recs = [(p.stem, p.resolve()) for p in a.sources] if a.sources else recordings(folder)
    print("| recording | page | write (s) | render 480p (s) | load (ms) | playing (fps) | draw (ms/frame) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path in recs:
        page, video = folder / f"{path.stem}.html", folder / f"{path.stem}.mp4"
        write = statistics.median(nntopo("explore", "--from", str(path), "-o", str(page), cwd=folder)
                                  for _ in range(a.repeat))
        render = statistics.median(nntopo("render", "--from", str(path), "-o", str(video), "--quality", "low",
                                          cwd=folder) for _ in range(a.repeat))
        m = in_browser(page, a.seconds)
        print(f"| {name} | {page.stat().st_size / 1e6:.2f} MB | {write:.2f} | {render:.2f} | {m['load_ms']:.0f} "
              f"| {m['fps']:.0f} | {m['draw_ms']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
