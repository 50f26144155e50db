"""Helpers shared by test modules (not tests themselves)."""

import subprocess
from pathlib import Path

CHECK = """<pre id="nntopo-check">pending</pre><script>
const vids = Array.from(document.querySelectorAll('video')), out = [];
function done() { document.getElementById('nntopo-check').textContent = JSON.stringify(out); }
vids.forEach(v => {
  const note = tag => { out.push({tag, src: v.currentSrc, readyState: v.readyState,
      duration: v.duration, error: v.error && v.error.code, time: v.currentTime});
      if (out.length === vids.length) done(); };
  v.addEventListener('error', () => note('error'), true);
  v.querySelectorAll('source').forEach(s => s.addEventListener('error', () => note('error')));
  v.addEventListener('canplay', () => v.play().then(() => setTimeout(() => note('played'), 400),
                                                  e => note('play failed: ' + e)), {once: true});
  v.preload = 'auto'; v.load();
});
</script>"""


def default_sigint() -> None:
    """In a child before it runs (Popen's preexec_fn): Ctrl-C does what it does at a terminal,
    even when the test run itself was started where SIGINT is ignored (a shell's background job,
    as CI may be), which children inherit: a Ctrl-C test must not depend on how it was started."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def check_in_chromium(page: Path, n_videos: int) -> None:
    """Open a copy of `page` in headless Chromium with a probe that plays every video."""
    import json
    import shutil
    import tempfile

    chromium_path = shutil.which("chromium")
    assert chromium_path, "the chromium fixture installs it"
    probe = page.parent / "check.html"
    probe.write_text(page.read_text().replace("</body>", CHECK + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [chromium_path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--autoplay-policy=no-user-gesture-required",
             "--virtual-time-budget=15000", "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120,
        ).stdout
    probe.unlink()
    text = dom.split('<pre id="nntopo-check">', 1)[1].split("</pre>", 1)[0]
    results = json.loads(text)
    assert len(results) == n_videos, results
    for r in results:
        assert r["tag"] == "played" and r["error"] is None, r
        assert r["readyState"] >= 3 and r["duration"] > 1 and r["time"] > 0, r




def to_torch(net, cfg):
    """The torch MLP (config `cfg`) holding the numpy network `net`'s parameters: the one
    numpy -> torch converter of the tests (training.network is the other way)."""
    import numpy as np
    import torch

    from nntopo.training.model import MLP

    m = MLP(cfg)
    with torch.no_grad():
        for t, n in zip(m.hidden, net.layers):
            if n.kind == "vector-field":
                t.set_anchors(torch.tensor(n.anchors, dtype=torch.float32))
                t.vectors.copy_(torch.tensor(n.vectors))
                widths = torch.log(torch.tensor(np.asarray(n.widths)))
                (t.log_widths if t.log_widths is not None else t.fixed_log_widths).copy_(widths)
            else:
                t.weight.copy_(torch.tensor(n.W))
                t.bias.copy_(torch.tensor(n.b))
        m.head.weight.copy_(torch.tensor(net.head_w))
        m.head.bias.copy_(torch.tensor(net.head_b))
    return m


def sides_of_the_drawn_plane(sb, frame: int):
    """On screen, at `frame` (when the separating plane is seen edge on): how flat the drawn plane
    is (the spread of its corners across their line, over their length) and, per class, the side
    of that line each data point is on (+1 / -1)."""
    import numpy as np

    fr = sb.frames(frame, frame + 1)
    corners = fr.plane[0][::4, :2].astype(float)  # the first control point of each straight piece
    centre = corners.mean(0)
    _, s, Vt = np.linalg.svd(corners - centre)
    flatness = s[1] / s[0]
    normal = Vt[1]
    return flatness, [np.sign((p[0][:, :2] - centre) @ normal) for p in fr.points]


def decoded(path) -> list:
    """Every frame of a video, decoded: (H, W, 3) int arrays (differences do not wrap around)."""
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]


def trained(dataset, net, cfg, seed=0, n_per_class=250, progress=None, classes=None):
    """nntopo's training of `net` on a dataset's sample, as the tests spell it."""
    from nntopo.config import DataConfig
    from nntopo.training.recipe import train_recording

    return train_recording(DataConfig(dataset, points=n_per_class, classes=classes, seed=seed), net, cfg, progress)


# --- the isotopy's paths as whole matrices and outputs, for checking them (nets/isotopy.py) -------

def rotation_path(U, t):
    """exp(t log U) for a rotation U (n, n), det U = +1, at times t (T,) -> (T, n, n)."""
    import numpy as np

    from nntopo.nets import isotopy

    Q, planes = isotopy._schur_planes(U)
    t = np.asarray(t, dtype=np.float64)
    eye = np.broadcast_to(np.eye(len(U)), (len(t),) + U.shape)
    return Q @ isotopy._turn(eye, planes, t) @ Q.T


def linear_path(M, t):
    """p(t) (T, n, n) from I to M (n, n), det M >= 0: invertible for every t < 1 (LinearPath)."""
    from nntopo.nets import isotopy

    return isotopy.LinearPath.of(M).matrices(t)


def layer_output(layer, x):
    """The layer's output on padded points x (P, D), through its stages."""
    from nntopo.nets import isotopy

    for name in layer.stages:
        x = isotopy.stage_end(layer, name, x)
    return x
