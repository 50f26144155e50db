"""nntopo: Olah's "Neural Networks, Manifolds, and Topology" as reproducible videos.

The public surface, re-exported from the modules that hold it (each imported when first used,
so `import nntopo` is cheap and the CLI starts at once):

    X, y = make_dataset("spirals", 250, seed=0)
    rec = record("spirals", NetConfig(2, 4, 2, "tanh"), TrainConfig(), seed=0)   # torch
    save(rec, "run.npz"); rec = load("run.npz")
    render(rec, "spirals.mp4", RenderOptions(quality="medium"))                   # manim
    inspect(rec)                                    # per-stage topology and geometry
    sb = layers(rec, fps=15)                        # the storyboard: every frame, on demand
"""

from .lazy import exports
from .version import __version__

# name -> the module that holds it
_EXPORTS = {
    "ACTIVATIONS": "activations", "DATASETS": "datasets", "make_dataset": "datasets",
    "NetConfig": "config", "TrainConfig": "config", "RenderOptions": "config",
    "NntopoError": "errors", "ConfigError": "errors",
    "Network": "network", "Recording": "recording", "RecordingError": "recording",
    "load": "recording", "save": "recording", "record": "train", "record_csv": "train",
    "inspect": "diagnostics", "FIGURES": "figures", "layers": "storyboard", "render": "video",
}
__all__ = sorted(_EXPORTS) + ["__version__"]
__getattr__ = exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return __all__
