"""Training in a child process: the parent (a render that trains first) never imports torch, so
it carries only what rendering needs. The recording crosses over as a file, like any other."""

from __future__ import annotations

from pathlib import Path

from ..config import Progress
from ..errors import NntopoError
from ..recording import Recording


def record_in_child(job: tuple, progress: Progress | None = None, meanwhile=None) -> Recording:
    """The recording of `job` made in a child process: (DataConfig, NetConfig, TrainConfig,
    Table or None) is trained (recipe.train_recording), (ModelFile, Table or None) is read
    (yourmodel.record.record_file); the table is the user's CSV, already read and checked. The
    child writes the recording (atomically, as any recording) for this process to load.

    The caller never imports torch: a render that trains first then carries only what rendering
    needs. Progress crosses over every 50 steps; an NntopoError in the child is raised here with
    the same words; a child that dies some other way is a RuntimeError, never a wait forever;
    Ctrl-C stops both. meanwhile(): run here once the child has started (its progress waits
    in the queue)."""
    import multiprocessing
    import queue
    import tempfile

    from ..recording import load

    ctx = multiprocessing.get_context("spawn")
    messages = ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="nntopo-train-") as folder:
        path = Path(folder) / "run.npz"
        child = ctx.Process(target=_record_child, args=(job, str(path), messages), daemon=True)
        child.start()
        try:
            if meanwhile is not None:
                meanwhile()
            while True:
                try:
                    what, value = messages.get(timeout=0.5)
                except queue.Empty:
                    if not child.is_alive():  # gone without a word (killed, or out of memory)
                        raise RuntimeError(f"training stopped: its process exited with code {child.exitcode}") from None
                    continue
                if what == "steps" and progress is not None:
                    progress(value)
                elif what == "error":
                    raise NntopoError(value)
                elif what == "failed":
                    raise RuntimeError(f"training failed in its process: {value}")
                elif what == "done":
                    break
            child.join()
            return load(path)
        finally:
            if child.is_alive():
                child.terminate()
                child.join()


def _record_child(job: tuple, path: str, messages) -> None:
    """The child of record_in_child: train (or read), save, report."""
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] >= 50:
            messages.put(("steps", done[0]))
            done[0] = 0

    try:
        if len(job) == 2:  # the user's model file, on their points
            from ..yourmodel.record import record_file

            rec = record_file(job[0], table=job[1])
        else:
            from .recipe import train_recording

            data, net, train, table = job
            rec = train_recording(data, net, train, progress, table)
        rec.save(path)
    except NntopoError as e:
        messages.put(("error", str(e)))
        return
    except KeyboardInterrupt:
        return
    except Exception as e:  # noqa: BLE001: a bug, said to the parent rather than left to hang it
        import traceback

        messages.put(("failed", "".join(traceback.format_exception_only(e)).strip()))
        return
    messages.put(("steps", done[0]))
    messages.put(("done", None))
