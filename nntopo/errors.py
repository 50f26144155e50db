"""The exceptions a user sees as one line (the CLI: `error: ...` and exit code 2)."""

from __future__ import annotations


class NntopoError(Exception):
    """A problem with the user's input or files, stated in one line."""


class ConfigError(NntopoError, ValueError):
    """An option out of its range: names the option, the value and the rule.

    str(e) names the Python field ("width 0: must be 1 or more"); the CLI writes the same words
    with the option's spelling ("--width 0: must be 1 or more").
    """

    def __init__(self, field: str, value: object, rule: str):
        self.field, self.value, self.rule = field, value, rule
        super().__init__(self.say(field))

    def say(self, name: str) -> str:
        """The message, naming the option as `name`."""
        return f"{name}: {self.rule}" if self.value is None else f"{name} {self.value}: {self.rule}"


class ModelError(NntopoError):
    """A torch model nntopo cannot read exactly: names the layer or operation, and what is read."""


class RecordingError(NntopoError):
    """A file that is not a readable nntopo recording: names what is wrong with it."""


class HeadError(NntopoError):
    """What a picture of two classes cannot show of a C-way head (a single separating line)."""
