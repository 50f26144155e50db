"""The terminal: one line for every error, progress bars on stderr, quiet otherwise.

Bad input never ends in a traceback: usage errors and NntopoError become one line on stderr,
`error: ...`, and exit code 2; Ctrl-C is `aborted` and exit code 130.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from ..errors import ConfigError, NntopoError

err = Console(stderr=True)

ABORTS = (typer.Abort, click.Abort, KeyboardInterrupt)
# A config field -> the option that sets it, where the two are not spelled alike.
OPTIONS = {"layer_types": "--layer-type", "learn_widths": "--fixed-widths", "all_frames": "--frames"}


def option(field: str) -> str:
    return OPTIONS.get(field, "--" + field.replace("_", "-"))


class OneLineErrors(TyperGroup):
    """Usage errors and NntopoError end as one line, `error: ...`, and exit code 2.

    Click would print a usage block and Typer a box; a script or a person wants the problem and
    the valid choices in one line. Living in the command group, this holds for the console
    script, `python -m nntopo` and Typer's CliRunner alike.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name or "nntopo", complete_var, False, **extra)
        except click.UsageError as e:
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `nntopo`: help was wanted
                typer.echo(ctx.get_help() if ctx else "")
                sys.exit(0)
            message = e.format_message().replace("Value error, ", "")
            hint = f" (see: nntopo {ctx.info_name} --help)" if ctx is not None and ctx.parent else ""
            fail(f"{message}{hint}")
        except ConfigError as e:
            fail(e.say(option(e.field)))
        except NntopoError as e:
            fail(str(e))
        except ABORTS:
            err.print("aborted", markup=False)
            sys.exit(130)
        if code == 130:  # Typer turns Ctrl-C into exit code 130
            err.print("aborted", markup=False)
        sys.exit(code if isinstance(code, int) else 0)


def fail(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


def say(message: str) -> None:
    """A line of information on stderr (stdout holds only the results: paths, tables)."""
    err.print(message, markup=False, highlight=False)


@contextmanager
def bar(description: str, total: int) -> Iterator:
    """A rich progress bar on stderr; yields advance(n)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
        progress.update(task, completed=total)


class Bars:
    """Consecutive bars for a command's phases: start(phase, total), then advance(n)."""

    def __init__(self, name: str):
        self.name, self._bar, self._advance = name, None, None

    def start(self, phase: str, total: int) -> None:
        self.close()
        self._bar = bar(f"{phase} {self.name}", total)
        self._advance = self._bar.__enter__()

    def advance(self, n: int = 1) -> None:
        self._advance(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> "Bars":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None
