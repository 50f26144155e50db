"""Lines of text drawn by cairo at the output's pixel size, and paths given as control points."""

from __future__ import annotations

import cairo
import numpy as np
from manim import ImageMobject, ManimColor, VMobject, config

FONT = "DejaVu Sans"


def text(s: str, font_size: float, color: str, bold: bool = False) -> ImageMobject:
    """A line of text, drawn once by cairo at the output's pixel size.

    Manim's Text goes through an SVG (about 60 ms a line); a video has some twenty lines, which
    at low quality was a fifth of the render. Sizes match Text's: the em is font_size / 72 units.
    """
    px = config.pixel_height / config.frame_height  # pixels per manim unit
    weight = cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL
    probe = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))
    probe.select_font_face(FONT, cairo.FONT_SLANT_NORMAL, weight)
    probe.set_font_size(font_size / 72 * px)
    ascent, descent = probe.font_extents()[:2]
    pad = 2
    w = int(np.ceil(probe.text_extents(s).x_advance)) + 2 * pad
    h = int(np.ceil(ascent + descent)) + 2 * pad
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    ctx = cairo.Context(surface)
    ctx.select_font_face(FONT, cairo.FONT_SLANT_NORMAL, weight)
    ctx.set_font_size(font_size / 72 * px)
    r, g, b = ManimColor(color).to_rgb()
    ctx.set_source_rgb(r, g, b)
    ctx.move_to(pad, pad + ascent)
    ctx.show_text(s)
    surface.flush()
    bgra = np.ndarray((h, surface.get_stride() // 4, 4), np.uint8, surface.get_data())[:, :w]
    alpha = bgra[..., 3:4].astype(np.float32)
    rgb = np.where(alpha > 0, bgra[..., 2::-1] * 255.0 / np.maximum(alpha, 1), 0)  # un-premultiply
    rgba = np.concatenate([rgb, alpha], -1).round().clip(0, 255).astype(np.uint8)
    return ImageMobject(rgba, scale_to_resolution=config.pixel_height)


def path_mobject(points: np.ndarray, **style) -> VMobject:
    """A VMobject whose subpaths are given as Bezier control points (n, 3)."""
    mob = VMobject(**style)
    mob.points = points.astype(np.float64)
    return mob
