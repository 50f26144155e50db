"""A cairo camera for many paths and pre-drawn text: the same pictures as manim's, faster."""

from __future__ import annotations

import numpy as np
from manim import Camera


class FastCamera(Camera):
    """Cairo camera that hands paths to cairo from Python lists instead of numpy scalars.

    Manim's loop reads six numpy scalars per cubic piece; `tolist()` first is about twice as fast,
    which matters with thousands of pieces per frame. Same drawing: a subpath starts wherever a
    piece does not begin where the previous one ended, and closes when it ends where it began.
    """

    def set_cairo_context_path(self, ctx, vmobject):
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        n = len(points) // 4
        ctx.new_path()
        if n == 0:
            return self
        curves = points[: 4 * n, :2].reshape(n, 4, 2)
        tol = vmobject.tolerance_for_point_equality
        new = np.ones(n, bool)
        new[1:] = np.abs(curves[1:, 0] - curves[:-1, 3]).max(1) > tol
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], n)
        closed = np.abs(curves[starts, 0] - curves[ends - 1, 3]).max(1) <= tol
        controls = curves[:, 1:].reshape(n, 6).tolist()
        firsts = curves[starts, 0].tolist()
        move_to, curve_to, close = ctx.move_to, ctx.curve_to, ctx.close_path
        new_sub_path = ctx.new_sub_path
        for s, e, c, (x, y) in zip(starts.tolist(), ends.tolist(), closed.tolist(), firsts):
            new_sub_path()
            move_to(x, y)
            for x1, y1, x2, y2, x3, y3 in controls[s:e]:
                curve_to(x1, y1, x2, y2, x3, y3)
            if c:
                close()
        return self

    def display_image_mobject(self, image_mobject, pixel_array) -> None:
        """Blit an unscaled image (our text lines) pixel for pixel, alpha-blended.

        Manim's own path resamples every image through PIL (and, with Pillow 12, fails on its
        blank canvas). Text here is drawn at the output's pixel size, so a blit is exact.
        """
        img = image_mobject.get_pixel_array()
        corners = self.points_to_subpixel_coords(image_mobject, image_mobject.points)
        x0, y0 = np.floor(corners.min(0) + 0.5).astype(int)
        h, w = img.shape[:2]
        H, W = pixel_array.shape[:2]
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
        if xa >= xb or ya >= yb:
            return
        src = img[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)
        dst = pixel_array[ya:yb, xa:xb].astype(np.float32)
        a = src[..., 3:4] / 255.0
        dst[..., :3] = src[..., :3] * a + dst[..., :3] * (1.0 - a)
        dst[..., 3:] = src[..., 3:] + dst[..., 3:] * (1.0 - a)  # "over", for transparent output
        pixel_array[ya:yb, xa:xb] = dst.round().astype(np.uint8)
