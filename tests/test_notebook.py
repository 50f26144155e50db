"""examples/your_own_network.ipynb runs headless: its video cell shows a playable video, its explore
cell the explore page inline (an iframe's srcdoc: no server)."""

import base64
import html as escape
import io
import json
import re
from pathlib import Path

import av
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "your_own_network.ipynb"


@pytest.mark.render
def test_the_notebook_runs_and_shows_a_video(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert (tmp_path / "two_rings.npz").is_file()  # the recording the notebook saves
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "2 -> 3 -> 3 -> 1, tanh" in printed
    shows = next(c for c in nb.cells if c.cell_type == "code" and "nntopo.show(rec)" in c.source)
    html = next(o["data"]["text/html"] for o in shows.outputs if "text/html" in o.get("data", {}))
    payload = re.search(r'src="data:video/mp4;base64,([^"]+)"', html).group(1)
    with av.open(io.BytesIO(base64.b64decode(payload))) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) > 50 and frames[len(frames) // 2].std() > 10
    explores = next(c for c in nb.cells if c.cell_type == "code" and "nntopo.explore(rec)" in c.source)
    frame = next(o["data"]["text/html"] for o in explores.outputs if "text/html" in o.get("data", {}))
    page = escape.unescape(re.search(r'<iframe srcdoc="([^"]*)"', frame).group(1))
    data = json.loads(re.search(r'id="nntopo-data">(.*?)</script>', page, re.S).group(1))
    assert data["parts"][0]["classes"] == ["inner", "outer"] and data["parts"][0]["frames"] > 50
