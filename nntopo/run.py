"""One path from config objects to a recording, for the CLI and the Python API alike: every
check that can be made is made in `prepare`, before any slow work (training, reading a model,
measuring), so a command and its Python twin refuse the same input with the same words at the
same moment.

    Source     where a recording comes from: a DataConfig (train on a dataset or the user's CSV),
               a ModelFile (read the user's model on their CSV), a recording's path, a Recording
    prepare    the checks: the data, the network, the render the recording is for (its scene, its
               memory, whether the video can show the network); a Plan
    obtain     the recording of a Plan: as it is, loaded, read or trained (in a child process
               when asked, so that a render after it never carries torch)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Union

from .config import MAX_DIM, DataConfig, ModelFile, NetConfig, Progress, RenderOptions, TrainConfig, check_scene
from .errors import NntopoError
from .recording import Recording

if TYPE_CHECKING:
    from .data.userdata import Table

Source = Union[DataConfig, ModelFile, Recording, str, Path]  # str or Path: a recording file (.npz)


@dataclass(frozen=True)
class Plan:
    """A checked job: what `obtain` does, with everything it needs already read."""

    source: DataConfig | ModelFile | Recording  # a file was loaded into a Recording
    net: NetConfig | None = None  # training: the network, with the data's dimension
    train: TrainConfig | None = None  # training: the recipe
    table: Table | None = None  # the user's CSV, read once

    @property
    def work(self) -> int:
        """Units of progress training reports (optimiser steps over all restarts); 0: none."""
        return self.train.restarts * self.train.steps if isinstance(self.source, DataConfig) else 0


def prepare(source: Source, net: NetConfig | None = None, train: TrainConfig | None = None,
            opts: RenderOptions | None = None) -> Plan:
    """Check `source` (and, for training, `net` and `train`) for a render with `opts` (None: no
    render), reading what must be read to check it: a CSV, a recording. Nothing slow is done."""
    from .data.userdata import load_table
    from .video.memory import check_memory

    if isinstance(source, (str, Path)):
        from .recording import load

        source = load(source)
    if isinstance(source, Recording):
        if opts is not None:
            check_render(source, opts)
        return Plan(source)
    if isinstance(source, ModelFile):
        from .yourmodel.read import file_kind

        file_kind(Path(source.model))  # a file that is no model, or a pickle, is refused before torch loads
        table = load_table(source.csv, label=source.label)
        if opts is not None:  # the model's widths are not read yet: the input's; a file has no history
            check_scene(opts.scene, [table.X.shape[1], 2], snapshots=0)
            check_memory(opts, len(table.X), min(table.X.shape[1], MAX_DIM))
        return Plan(source, table=table)
    if not isinstance(source, DataConfig):
        raise NntopoError(f"a recording comes from a DataConfig, a ModelFile, a Recording or a recording's "
                          f"path; not {type(source).__name__}")
    table = load_table(source.csv, label=source.label) if source.csv is not None else None
    if table is not None:
        in_dim, points = table.X.shape[1], len(table.X)
    else:
        from .data.datasets import REAL, dim_of

        in_dim, points = dim_of(source.dataset), source.points * source.n_classes
        if source.dataset in REAL:
            from .data.real import available

            available(source.dataset)  # its package, before a progress bar
            points = min(points, REAL[source.dataset].size)
    net = replace(net or NetConfig(), in_dim=in_dim)
    train = train or TrainConfig()
    if opts is not None:  # refused before minutes of training, not after
        dims = net.dims()
        check_scene(opts.scene, dims)
        check_memory(opts, points, carried_width(net), len(dims) - 1)
    return Plan(source, net, train, table)


def carried_width(net: NetConfig) -> int:
    """The widest representation the video carries: a wide input a dense first layer reads is
    carried in its principal directions and that layer's rows (nets/reduce.py)."""
    from .nets.reduce import VIEW
    from .ranges import RANGES

    dims = net.dims()
    first = net.types()[0] if net.layers else "dense"
    rows = dims[1] if net.layers else RANGES["classes"][1]  # the first map's rows: its width, or the head's
    k = dims[0] if first != "dense" else min(dims[0], VIEW + rows)
    return max([k] + dims[1:])


def check_render(rec: Recording, opts: RenderOptions) -> None:
    """Can `rec` be rendered with `opts`: its scene, the memory it needs, a network the video can
    show? One NntopoError if not, before the storyboard (or the overlay's measuring) starts."""
    from .storyboard.flow import drawable
    from .video.memory import check_memory

    dims = [rec.X.shape[1]] + rec.net.widths
    if opts.scene == "training":
        check_scene("training", dims, len(rec.snapshots))
        widest = max(dims)
    else:
        widest = drawable(rec).dim  # the padded dimension of what the video carries
    check_memory(opts, len(rec.X), widest, len(rec.net.layers))


def obtain(plan: Plan, progress: Progress | None = None, child: bool = False,
           on_start: Callable[[str, int], None] | None = None,
           meanwhile: Callable[[], None] | None = None) -> Recording:
    """The recording of `plan`: as it is, or the user's model read, or trained, reporting
    progress(n) per n optimiser steps after on_start("training", plan.work). child: in a child
    process (training.child), so that this process never imports torch; meanwhile() then runs
    here while the child works (what comes next imports what it needs)."""
    source = plan.source
    if isinstance(source, Recording):
        return source
    if isinstance(source, ModelFile):
        if child:
            from .training.child import record_in_child

            return record_in_child((source, plan.table), meanwhile=meanwhile)
        from .yourmodel.record import record_file

        return record_file(source, plan.table)
    if on_start is not None:
        on_start("training", plan.work)
    if child:
        from .training.child import record_in_child

        return record_in_child((source, plan.net, plan.train, plan.table), progress, meanwhile)
    from .training.recipe import train_recording

    return train_recording(source, plan.net, plan.train, progress, plan.table)
