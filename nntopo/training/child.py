"""Training in a child process: the parent (a render that trains first) never imports torch, so
it carries only what rendering needs. The recording crosses over as a file, like any other."""

from __future__ import annotations

from pathlib import Path

from ..config import Progress
from ..errors import NntopoError
from ..recording import Recording


def record_apart(job: tuple, progress: Progress | None = None) -> Recording:
    """The recording of `job` made in a child process: (DataConfig, NetConfig, TrainConfig) is
    trained (recipe.train_recording), a ModelFile is read (yourmodel.record.record_file). The child
    writes the recording (atomically, as any recording) for this process to load.

    The caller never imports torch: a render that trains first then carries only what rendering
    needs. Progress crosses over every 50 steps; an NntopoError in the child is raised here with
    the same words; Ctrl-C stops both."""
    import multiprocessing
    import tempfile

    from ..recording import load

    ctx = multiprocessing.get_context("spawn")
    messages = ctx.SimpleQueue()
    with tempfile.TemporaryDirectory(prefix="nntopo-train-") as folder:
        path = Path(folder) / "run.npz"
        child = ctx.Process(target=_record_child, args=(job, str(path), messages), daemon=True)
        child.start()
        try:
            while True:
                what, value = messages.get()
                if what == "steps" and progress is not None:
                    progress(value)
                elif what == "error":
                    raise NntopoError(value)
                elif what == "done":
                    break
            child.join()
            return load(path)
        finally:
            if child.is_alive():
                child.terminate()
                child.join()


def _record_child(job: tuple, path: str, messages) -> None:
    """The child of record_apart: train, save, report."""
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] >= 50:
            messages.put(("steps", done[0]))
            done[0] = 0

    try:
        if len(job) == 1:  # the user's model file, on their points
            from ..yourmodel.record import record_file

            rec = record_file(*job)
        else:
            from .recipe import train_recording

            rec = train_recording(*job, progress=progress)
        rec.save(path)
    except NntopoError as e:
        messages.put(("error", str(e)))
        return
    except KeyboardInterrupt:
        return
    messages.put(("steps", done[0]))
    messages.put(("done", None))
