"""The LayerFlow scene for the `manim` command (the scene itself is nntopo.video.scene):

    NNTOPO_RECORDING=run.npz manim -ql scenes/flow.py LayerFlow
"""

from nntopo.video.scene import LayerFlow

__all__ = ["LayerFlow"]
