"""The `nntopo` command: thin Typer commands (commands), their options (options) and the
terminal (console: one-line errors, progress bars)."""

from .commands import app, main

__all__ = ["app", "main"]
