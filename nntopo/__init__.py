"""nntopo: Olah's "Neural Networks, Manifolds, and Topology" as reproducible videos.

The public surface, re-exported from the modules that hold it:

    X, y = make_dataset("spirals", 250, seed=0)
    rec = record("spirals", NetConfig(2, 4, 2, "tanh"), TrainConfig(), seed=0)
    save(rec, "run.npz"); rec = load("run.npz")
    render(rec, Path("spirals.mp4"))        # manim is imported only here
    inspect(rec)                            # per-stage topology and geometry
"""

__version__ = "0.1.0"

from .datasets import DATASETS, make_dataset  # noqa: E402
from .diagnostics import inspect  # noqa: E402
from .figures import FIGURES  # noqa: E402
from .frames import timeline  # noqa: E402
from .model import ACTIVATIONS, NetConfig  # noqa: E402
from .recording import Recording, RecordingError, load, save  # noqa: E402
from .render import RenderOptions, render  # noqa: E402
from .train import TrainConfig, record  # noqa: E402

__all__ = [
    "ACTIVATIONS", "DATASETS", "FIGURES", "NetConfig", "Recording", "RecordingError",
    "RenderOptions", "TrainConfig", "inspect", "load", "make_dataset", "record", "render",
    "save", "timeline",
]
