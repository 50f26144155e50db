"""The storyboard: every frame of a video as typed data, made on demand; the scene only draws.

In data-flow order:

    layout     frame layouts, timing, detail, the panel's sizes and gaps
    timeline   Kind, Block, Frames (every per-frame quantity), Storyboard, looped
    plane      the input window's grid, the heat map, a vector field's arrows (input coordinates)
    paths      cubic Bezier paths: Catmull-Rom lines and regions, dots, arrows
    camera     3D and 4D projections, the view that follows the points, the separator on screen
    script     the blocks with their captions, the panel's lines, the overlay's numbers
    flow       builder: the layer-by-layer video (`layers`)
    history    builders: a representation while its network trains (`training`, `knn`)
"""

from .flow import layers
from .layout import DOT_RADIUS, LAYOUTS, RING_RADIUS, Detail, Layout, Timing
from .paths import dot_paths
from .timeline import Block, Frames, Kind, Storyboard, looped
from .history import knn, training

__all__ = [
    "DOT_RADIUS", "LAYOUTS", "RING_RADIUS", "Block", "Detail", "Frames", "Kind", "Layout",
    "Storyboard", "Timing", "dot_paths", "knn", "layers", "looped", "training",
]
