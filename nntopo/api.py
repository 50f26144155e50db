"""The Python API's entry points that are more than a re-export: train a dataset as the CLI does,
render with the CLI's options as keywords, and show a video in a notebook.

    rec = nntopo.train("spirals", layers=4, width=2, seed=0)         # nntopo train spirals ...
    nntopo.render(rec, "spirals.mp4", quality="medium", loop=True)  # nntopo render --from ...
    nntopo.show(rec)                                                # in Jupyter: the video inline
    nntopo.slides(rec, "talk.pptx")                                 # nntopo slides --from ...

Options are the CLI's, by their RenderOptions and NetConfig names, checked by the same config
objects, so both refuse the same things with the same words (raised here as NntopoError).
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import fields, replace
from pathlib import Path

from .config import NetConfig, Progress, RenderOptions, TrainConfig
from .errors import ConfigError
from .recording import Recording


def _known(cls, given: dict, what: str) -> None:
    names = [f.name for f in fields(cls)]
    for k in given:
        if k not in names:
            raise ConfigError(k, None, f"not a {what} option; expected one of {', '.join(names)}")


def options(opts: RenderOptions | None = None, **given) -> RenderOptions:
    """RenderOptions from keywords (quality="medium", loop=True, ...), over `opts` if given."""
    _known(RenderOptions, given, "render")
    return replace(opts or RenderOptions(), **given)


def train(dataset: str | Path, *, seed: int = 0, points: int = 250, training: TrainConfig | None = None,
          progress: Progress | None = None, classes: int | None = None, **net) -> Recording:
    """Train on a built-in dataset (a name) or a CSV of points (a path), as `nntopo train` does.

    classes: how many, for a dataset of any number of classes (blobs); a CSV's are its labels.
    net: NetConfig's fields by name (layers=4, width=2, activation="tanh", ...)."""
    from .training import record as trainer

    _known(NetConfig, net, "network")
    training = training or TrainConfig()
    if isinstance(dataset, Path) or str(dataset).endswith(".csv"):
        cfg = NetConfig(**{"in_dim": 2, "layers": 4, "width": 2, **net})
        return trainer.record_csv(dataset, cfg, training, seed, progress)
    from .data.datasets import DATASETS

    in_dim = DATASETS[dataset].dim if dataset in DATASETS else 2  # an unknown name is refused by record
    cfg = NetConfig(**{"in_dim": in_dim, "layers": 4, "width": 2, **net})
    return trainer.record(dataset, cfg, training, seed, points, progress, classes)


def render(rec: Recording, output: str | Path, opts: RenderOptions | None = None,
           progress: Progress | None = None, **given) -> Path:
    """Render `rec`'s layer-by-layer video to `output` (and its poster beside it); options as
    keywords (quality, fps, format, background, transparent, aspect, loop, overlay, ...)."""
    from .video import render as render_video

    return render_video(rec, output, options(opts, **given), progress)


def slides(source: Recording | str, output: str | Path, opts: RenderOptions | None = None, per: str = "stage",
           progress: Progress | None = None, **given) -> Path:
    """A deck of `source` (a recording, or the name of a figure of the catalogue) to `output`:
    .pptx, .html (reveal.js, offline) or .pdf, as `nntopo slides` makes it; a slide per stage
    (per="layer": per layer); the render options as keywords (quality defaults to medium)."""
    from . import deck
    from .config import PER, one_of

    one_of("per", per, PER)
    opts = options(opts or RenderOptions(quality="medium"), **given)
    if isinstance(source, Recording):
        parts = [deck.part(source, opts)]
    else:
        parts = deck.figure_parts(str(source), opts, Path(output).parent / ".cache")
    return deck.build(parts, output, opts, per, progress)


class Video:
    """A rendered video that Jupyter shows inline (embedded: no file server needed)."""

    def __init__(self, data: bytes, mime: str, width: int):
        self.data, self.mime, self.width = data, mime, width

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.data).decode("ascii")
        return (f'<video controls autoplay loop muted playsinline style="max-width: 100%" width="{self.width}">'
                f'<source src="data:{self.mime};base64,{b64}" type="{self.mime}"></video>')

    def save(self, path: str | Path) -> Path:
        from .atomic import write_bytes

        return write_bytes(Path(path), self.data)


def show(rec: Recording, opts: RenderOptions | None = None, **given) -> Video:
    """Render `rec` (480p by default, looping) and return it for a notebook to show inline."""
    opts = options(opts, **{"loop": True, **given})
    if opts.format not in ("mp4", "webm"):
        raise ConfigError("format", opts.format, "show plays mp4 or webm")
    with tempfile.TemporaryDirectory(prefix="nntopo-show-") as tmp:
        path = render(rec, Path(tmp) / f"show.{opts.format}", opts)
        return Video(path.read_bytes(), f"video/{opts.format}", min(opts.size[0], 854))
