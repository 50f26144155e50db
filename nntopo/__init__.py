"""nntopo: Olah's "Neural Networks, Manifolds, and Topology" as reproducible videos.

The public surface, re-exported from the modules that hold it (each imported when first used,
so `import nntopo` is cheap and the CLI starts at once):

    rec = train("spirals", layers=4, width=2, seed=0)     # what `nntopo train` does (torch)
    rec = record(model, X, y)                             # your own trained torch model
    rec.save("run.npz"); rec = load("run.npz")            # a self-describing .npz
    render(rec, "spirals.mp4", quality="medium")          # the CLI's render options (manim)
    show(rec)                                             # in Jupyter: the video, inline
    slides(rec, "talk.pptx")                              # a deck: .pptx, .html (reveal.js), .pdf
    explore(rec, "run.html")                              # the video as a page to scrub and turn
    inspect(rec)                                          # per-stage topology and geometry
    sb = layers(rec, fps=15)                              # the storyboard: every frame, on demand

Every bad input raises NntopoError (ConfigError for an option, RecordingError for a file,
ModelError for a model nntopo cannot read) with the line the CLI prints.
"""

from .lazy import exports
from .version import __version__

# name -> the module that holds it
_EXPORTS = {
    "ACTIVATIONS": "nets.activations", "DATASETS": "data.datasets", "make_dataset": "data.datasets",
    "DataConfig": "config", "ModelFile": "config", "NetConfig": "config", "TrainConfig": "config",
    "RenderOptions": "config",
    "NntopoError": "errors", "ConfigError": "errors",
    "Network": "nets.network", "Recording": "recording", "RecordingError": "recording",
    "load": "recording", "save": "recording", "record": "yourmodel.record",
    "ModelError": "errors", "train": "api", "render": "api", "show": "api", "Video": "api", "slides": "api",
    "sweep": "api", "explore": "api", "Page": "api",
    "inspect": "analysis.inspect", "FIGURES": "catalogue.figures", "layers": "storyboard",
}
__all__ = sorted(_EXPORTS) + ["__version__"]
__getattr__ = exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return __all__
