"""The LayerFlow scene for the `manim` command (the scene itself is nntopo.video.scene):

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow
"""

from nntopo.video import scene


class LayerFlow(scene.LayerFlow):
    """Defined here so that the manim command finds it in this file."""
