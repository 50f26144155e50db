"""Re-exports imported on first use: a package's names resolve to its modules' only when asked,
so importing the package costs nothing (the CLI starts without torch or manim)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def exports(package: str, names: dict[str, str], namespace: dict) -> Callable[[str], object]:
    """A module __getattr__ for `package`: name -> getattr(package.names[name], name), cached
    in the package's `namespace` once imported."""

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        namespace[name] = value
        return value

    return __getattr__
