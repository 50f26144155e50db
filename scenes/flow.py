"""The LayerFlow scene for the `manim` command (the scene itself is nntopo.video.scene):

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow

This file is the only reader of NNTOPO_RECORDING: a missing or bad recording is one `error: ...`
line, before anything is drawn.
"""

import os

from manim import config

from nntopo.errors import NntopoError
from nntopo.video import scene


def from_environment(env=os.environ):
    """The layer-by-layer storyboard of the recording NNTOPO_RECORDING names, at manim's frame rate."""
    from nntopo import recording, storyboard

    path = env.get("NNTOPO_RECORDING")
    if not path:
        raise NntopoError("set NNTOPO_RECORDING to a recording made by `nntopo train`")
    return storyboard.layers(recording.load(path), int(config.frame_rate))


class LayerFlow(scene.LayerFlow):
    """Defined here so that the manim command finds it in this file."""

    def __init__(self, **kwargs):
        try:
            board = from_environment()
        except NntopoError as e:
            raise SystemExit(f"error: {e}") from None
        super().__init__(board, **kwargs)
