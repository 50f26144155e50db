"""A cairo camera for many paths, many dots and pre-drawn text: the same pictures as manim's, faster."""

from __future__ import annotations

import ctypes
from functools import lru_cache

import numpy as np
from manim import Camera, VMobject

# cairo_path_data_t: a union of 16 bytes, a header {type, length} (two ints) or a point {x, y}
# (two doubles); a path is a header followed by its points, element after element.
_MOVE_TO, _LINE_TO, _CURVE_TO, _CLOSE_PATH = 0, 1, 2, 3


class _Path(ctypes.Structure):  # cairo_path_t
    _fields_ = [("status", ctypes.c_int), ("data", ctypes.c_void_p), ("num_data", ctypes.c_int)]


def _append_path():
    """cairo_append_path of the libcairo that pycairo itself uses, and how to reach the cairo_t
    of a pycairo Context; None where that is not possible (then paths go call by call).

    dlsym through pycairo's own extension module finds the libcairo it is linked against (its
    dependencies are searched too), never a second copy. A pycairo object is the Python object
    header followed by the pointer it wraps (the cast cairocffi documents for the same purpose);
    checked once here on a context and its surface before it is ever relied on."""
    try:
        import cairo

        lib = ctypes.CDLL(cairo._cairo.__file__)
        append, get_target = lib.cairo_append_path, lib.cairo_get_target
        append.argtypes, append.restype = [ctypes.c_void_p, ctypes.POINTER(_Path)], None
        get_target.argtypes, get_target.restype = [ctypes.c_void_p], ctypes.c_void_p
        status = lib.cairo_status
        status.argtypes, status.restype = [ctypes.c_void_p], ctypes.c_int
        offset = object.__basicsize__

        def pointer(obj) -> int:
            return ctypes.c_void_p.from_address(id(obj) + offset).value

        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 4, 4)
        ctx = cairo.Context(surface)
        if not pointer(ctx) or get_target(pointer(ctx)) != pointer(ctx.get_target()):
            return None
        data = np.zeros((4, 2))
        head = data.view(np.int32)
        head[0, :2], data[1] = (_MOVE_TO, 2), (1.0, 1.0)
        head[2, :2], data[3] = (_LINE_TO, 2), (3.0, 2.0)
        path = _Path(0, data.ctypes.data, len(data))
        append(pointer(ctx), ctypes.byref(path))
        if status(pointer(ctx)) != 0 or list(ctx.copy_path()) != [(_MOVE_TO, (1.0, 1.0)), (_LINE_TO, (3.0, 2.0))]:
            return None
        return append, pointer
    except Exception:  # another cairo binding or Python: the loop of calls below
        return None


_APPEND = _append_path()


def append_path(ctx, data: np.ndarray) -> None:
    """Append path data (num_data, 2) float64, headers written as int32 pairs, to ctx's path."""
    append, pointer = _APPEND
    append(pointer(ctx), ctypes.byref(_Path(0, data.ctypes.data, len(data))))


def _header(kind: int, length: int) -> np.ndarray:
    """A header element (2,) float64 holding the int32 pair (kind, length) in its first bytes."""
    h = np.zeros(2)
    h.view(np.int32)[:2] = kind, length
    return h


_HEAD = {k: _header(k, n) for k, n in ((_MOVE_TO, 2), (_LINE_TO, 2), (_CURVE_TO, 4), (_CLOSE_PATH, 1))}


class _Layout:
    """Where the points of n cubic pieces go in their path data, for one pattern of subpaths
    (which pieces start one, which end a closed one): a buffer with every header written, the
    rows of the subpaths' first points, and of the pieces' other three points."""

    def __init__(self, new: np.ndarray, closed: np.ndarray):
        self.new, self.closed = new, closed
        size = 4 + 2 * new + closed  # a move (header, point), the curve (header, 3 points), a close
        self.at = at = np.cumsum(size) - size
        self.data = np.empty((int(size.sum()), 2))
        self.firsts = at[new] + 1
        self.data[self.firsts - 1] = _HEAD[_MOVE_TO]
        c = at + 2 * new
        self.data[c] = _HEAD[_CURVE_TO]
        self.rest = (c[:, None] + np.arange(1, 4)).ravel()
        self.data[(c + 4)[closed]] = _HEAD[_CLOSE_PATH]


_LAYOUTS: dict = {}  # id of a path's mobject -> its _Layout: the grid's and the heat map's keep theirs


def curve_path_data(curves: np.ndarray, tol: float, breaks: np.ndarray | None = None, key=None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """cairo path data (num_data, 2) for cubic pieces (n, 4, 2): a subpath starts wherever a
    piece does not begin where the previous one ended (and at the pieces `breaks`), and closes
    when it ends where it began. Also the row where each piece's elements start (n,).

    key: whose path this is (a mobject's id); its layout is kept while its pattern of subpaths
    stays the same, and the array returned is then the same one, rewritten at the next call."""
    n = len(curves)
    new = np.ones(n, bool)
    new[1:] = np.abs(curves[1:, 0] - curves[:-1, 3]).max(1) > tol
    if breaks is not None:
        new[breaks] = True
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    closed = np.zeros(n, bool)
    closed[ends - 1] = np.abs(curves[starts, 0] - curves[ends - 1, 3]).max(1) <= tol
    lay = _LAYOUTS.get(key)
    if lay is None or not (np.array_equal(lay.new, new) and np.array_equal(lay.closed, closed)):
        lay = _Layout(new, closed)
        if key is not None:
            if len(_LAYOUTS) >= 64:
                _LAYOUTS.clear()
            _LAYOUTS[key] = lay
    data = lay.data
    data[lay.firsts] = curves[starts, 0]
    data[lay.rest] = curves[:, 1:].reshape(-1, 2)
    return data, lay.at


def _rgbas(colours, opacity: float) -> np.ndarray:
    """(k, 4) RGBA of manim colours at one opacity, as manim's fills hold them."""
    from manim import ManimColor

    return np.array([[*ManimColor(c).to_rgb(), opacity] for c in colours], float).reshape(-1, 4)


class Fills(VMobject):
    """Paths filled in several colours, one layer after another (the heat map's levels): drawn by
    FastCamera as manim draws one filled VMobject per layer, without the per-mobject work.

    Its points are the layers' Bezier control points one after another; `layers` sets them."""

    def __init__(self, layers: list[np.ndarray], colours, opacity: float = 1.0):
        super().__init__(fill_opacity=opacity, stroke_width=0)
        self.rgbas = _rgbas(colours, opacity)
        self.layers = layers

    @property
    def layers(self) -> list[np.ndarray]:
        bounds = np.cumsum([0] + self.counts) * 4
        return [self.points[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    @layers.setter
    def layers(self, layers: list[np.ndarray]) -> None:
        self.counts = [len(x) // 4 for x in layers]
        self.points = np.concatenate(layers).astype(np.float64) if layers else np.zeros((0, 3))


class Dots(VMobject):
    """Round dots of one radius in groups of one colour each (a class's), the groups painted in
    order: drawn by FastCamera as glyphs of a font of discs (_Stamps), else as one path of small
    polygons per group, with as many sides as a dot's size in pixels needs to look round (`sides`).

    Its points are the dots' centres (m, 3), the groups one after another (what manim's family,
    bounds and copies read; nothing else reads a dot's outline); `groups` sets them."""

    def __init__(self, groups: list[np.ndarray], radius: float, colours, opacity: float):
        super().__init__(fill_opacity=opacity, stroke_width=0)
        self.radius = radius
        self.rgbas = _rgbas(colours, opacity)
        self.groups = groups

    @property
    def groups(self) -> list[np.ndarray]:
        bounds = np.cumsum([0] + self.counts)
        return [self.points[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    @groups.setter
    def groups(self, groups: list[np.ndarray]) -> None:
        self.counts = [len(g) for g in groups]
        pts = np.zeros((sum(self.counts), 3))
        if groups:
            pts[:, :2] = np.concatenate([np.asarray(g)[:, :2] for g in groups])
        self.points = pts


# The outline of a dot of radius r in pixels may stray from the circle by at most this many
# pixels (the two-piece Bezier circle drawn before strays by 1.2% of r, then cairo flattens it
# to within 0.1 px: 0.13 px at 480p, 0.17 px at 1080p, 0.25 px at 4K).
DOT_TOLERANCE = 0.15


@lru_cache(maxsize=64)
def sides(pixels: float, tolerance: float = DOT_TOLERANCE) -> int:
    """Sides of the polygon that stands for a circle of radius `pixels`: the fewest whose
    outline stays within `tolerance` pixels of the circle, its area the circle's (its corners
    then lie outside by about as much as its edges' middles lie inside); at least 6."""
    for n in range(6, 256):
        k = polygon_scale(n)
        if pixels * max(k - 1.0, 1.0 - k * np.cos(np.pi / n)) <= tolerance:
            return n
    return 256


def polygon_scale(n: int) -> float:
    """The radius of the regular n-gon whose area is the unit circle's."""
    return float(np.sqrt(2 * np.pi / (n * np.sin(2 * np.pi / n))))


@lru_cache(maxsize=16)
def _polygon(radius: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One dot's path data (2 n + 1, 2) centred on 0 (headers written) and its corners (n, 2)."""
    a = 2 * np.pi * (np.arange(n) + 0.5) / n
    corners = polygon_scale(n) * radius * np.stack([np.cos(a), np.sin(a)], -1)
    one = np.empty((2 * n + 1, 2))
    one[0:-1:2] = _HEAD[_LINE_TO]
    one[0] = _HEAD[_MOVE_TO]
    one[-1] = _HEAD[_CLOSE_PATH]
    one[1::2] = corners
    return one, corners


def dot_path_data(centres: np.ndarray, radius: float, n: int) -> np.ndarray:
    """cairo path data of n-gons (area-matched to circles of `radius`) at centres (m, 2+):
    move, n - 1 lines, close for each."""
    one, corners = _polygon(float(radius), n)
    data = np.empty((len(centres),) + one.shape)
    data[:] = one
    data[:, 1::2] = centres[:, None, :2] + corners
    return data.reshape(-1, 2)


def _shows(vmobject) -> bool:
    """Does drawing `vmobject` (its fill, its stroke, its background stroke) change any pixel?"""
    if vmobject.get_fill_rgbas()[:, 3].max(initial=0.0) > 0:
        return True
    return any(vmobject.get_stroke_width(background) > 0
               and vmobject.get_stroke_rgbas(background)[:, 3].max(initial=0.0) > 0
               for background in (False, True))


def _curves_by_calls(ctx, curves: np.ndarray, tol: float) -> None:
    """Cubic pieces (n, 4, 2) onto ctx's path a call per piece (where append_path is not
    available), the subpaths as curve_path_data finds them."""
    n = len(curves)
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


def _polygons_by_calls(ctx, data: np.ndarray, n: int) -> None:
    """dot_path_data's n-gons onto ctx's path a call per corner (no append_path)."""
    pts = data.reshape(-1, 2 * n + 1, 2)[:, 1::2].tolist()
    move_to, line_to, close = ctx.move_to, ctx.line_to, ctx.close_path
    for poly in pts:
        move_to(*poly[0])
        for x, y in poly[1:]:
            line_to(x, y)
        close()


class FastCamera(Camera):
    """Cairo camera that hands whole paths to cairo at once (cairo_append_path of path data made
    by numpy) instead of a call per piece; where that is unavailable, from Python lists, which
    is still about twice as fast as manim's loop over numpy scalars. Same drawing: a subpath
    starts wherever a piece does not begin where the previous one ended, and closes when it
    ends where it began. Fills and Dots are drawn layer by layer, group by group, each as manim
    fills one VMobject (dots stamped, or as polygons fitted to their size in pixels); a path
    with neither fill nor stroke to show is skipped (cairo would lay it over the frame at alpha 0).
    """

    def display_vectorized(self, vmobject, ctx):
        if isinstance(vmobject, Fills):
            self._fills(ctx, vmobject)
            return self
        if isinstance(vmobject, Dots):
            self._dots(ctx, vmobject)
            return self
        if not _shows(vmobject):
            return self
        return super().display_vectorized(vmobject, ctx)

    def set_cairo_context_path(self, ctx, vmobject):
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        n = len(points) // 4
        ctx.new_path()
        if n == 0:
            return self
        curves = points[: 4 * n, :2].reshape(n, 4, 2)
        tol = vmobject.tolerance_for_point_equality
        if _APPEND is not None:
            append_path(ctx, curve_path_data(curves, tol, key=id(vmobject))[0])
        else:
            _curves_by_calls(ctx, curves, tol)
        return self

    @staticmethod
    def _fill_source(ctx, rgba: np.ndarray) -> None:
        """rgba (r, g, b, a) as ctx's source, as manim's apply_fill sets it (its channels
        reversed: the pixel array holds RGBA where cairo writes BGRA)."""
        r, g, b, a = rgba.tolist()
        ctx.set_source_rgba(b, g, r, a)

    @classmethod
    def _fill(cls, ctx, rgba: np.ndarray) -> None:
        """Fill ctx's path with rgba, as manim's apply_fill does."""
        cls._fill_source(ctx, rgba)
        ctx.fill()

    def _fills(self, ctx, mob: Fills) -> None:
        """Each layer of `mob` filled in its colour, in order; a layer with a point that is not
        finite is left out (as manim leaves out such a VMobject)."""
        counts = np.array(mob.counts, int)
        if not counts.sum():
            return
        curves = mob.points[: 4 * counts.sum(), :2].reshape(-1, 4, 2)
        first = np.cumsum(counts) - counts  # each layer's first piece
        ok = [True] * len(counts)
        if not np.isfinite(curves).all():
            ok = [bool(np.isfinite(curves[f : f + c]).all()) for f, c in zip(first, counts)]
        tol = mob.tolerance_for_point_equality
        if _APPEND is not None:
            data, at = curve_path_data(curves, tol, first[counts > 0], key=id(mob))
            rows = np.append(at, len(data))[np.append(first, len(curves))]
        for k, (c, rgba) in enumerate(zip(counts.tolist(), mob.rgbas)):
            if c == 0 or not ok[k] or rgba[3] <= 0:
                continue
            ctx.new_path()
            if _APPEND is not None:
                append_path(ctx, data[rows[k] : rows[k + 1]])
            else:
                _curves_by_calls(ctx, curves[first[k] : first[k] + c], tol)
            self._fill(ctx, rgba)
        ctx.new_path()

    def _dots(self, ctx, mob: Dots) -> None:
        """Each group of `mob` in its colour, in order, its dots as one layer (where dots of a
        group overlap they are not darker: a union, as one filled path is): stamped as glyphs of
        a font of discs (_Stamps), else filled as one path of polygons per group. A dot whose
        centre is not finite is left out."""
        counts = np.array(mob.counts, int)
        if not counts.sum():
            return
        m = ctx.get_matrix()
        pixels = mob.radius * float(np.sqrt(abs(m.xx * m.yy - m.xy * m.yx)))  # the radius on screen
        bounds = np.cumsum(np.append(0, counts)).tolist()  # each group's dots
        finite = np.isfinite(mob.points[:, :2]).all(1)
        groups = [(mob.points[a:b][finite[a:b]], rgba) for a, b, rgba in zip(bounds[:-1], bounds[1:], mob.rgbas)]
        groups = [(c, rgba) for c, rgba in groups if len(c) and rgba[3] > 0]
        if _STAMPS is not None:
            _STAMPS.draw(ctx, m, pixels, groups)
        else:
            self._polygons(ctx, pixels, mob.radius, groups)

    def _polygons(self, ctx, pixels: float, radius: float, groups) -> None:
        """The dots' groups as paths of polygons (where glyphs cannot be stamped), filled."""
        n = sides(pixels)
        for centres, rgba in groups:
            ctx.new_path()
            data = dot_path_data(centres, radius, n)
            if _APPEND is not None:
                append_path(ctx, data)
            else:
                _polygons_by_calls(ctx, data, n)
            self._fill(ctx, rgba)
        ctx.new_path()

    def display_image_mobject(self, image_mobject, pixel_array) -> None:
        """Blit an unscaled image (our text lines) pixel for pixel, alpha-blended ("over").

        Manim's own path resamples every image through PIL (and, with Pillow 12, fails on its
        blank canvas). Text here is drawn at the output's pixel size, so a blit is exact: cairo
        lays the image, premultiplied once and kept while it is shown, at its integer corner
        (the same blend as in floats, to within one level of 255)."""
        img = image_mobject.get_pixel_array()
        corners = self.points_to_subpixel_coords(image_mobject, image_mobject.points)
        x0, y0 = (int(v) for v in np.floor(corners.min(0) + 0.5))
        h, w = img.shape[:2]
        H, W = pixel_array.shape[:2]
        if max(x0, 0) >= min(x0 + w, W) or max(y0, 0) >= min(y0 + h, H):
            return
        ctx = self.get_cairo_context(pixel_array)
        ctx.save()
        ctx.identity_matrix()
        ctx.set_source_surface(_image_surface(image_mobject, img), x0, y0)
        ctx.paint()
        ctx.restore()


def _image_surface(mob, img: np.ndarray):
    """A cairo surface of an image mobject's RGBA pixels `img` (h, w, 4) uint8, premultiplied,
    in the pixel array's channel order (cairo writes BGRA where manim keeps RGBA: both are read
    the same way round). Made once and kept on the mobject while its pixel array is the same
    (nntopo never changes an image's pixels: it swaps the array, as the counter does)."""
    import cairo

    kept = getattr(mob, "_nntopo_surface", None)
    if kept is not None and kept[0] is img:
        return kept[1]
    h, w = img.shape[:2]
    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_ARGB32, w)
    buf = np.zeros((h, stride // 4, 4), np.uint8)
    a = img[..., 3:4].astype(np.uint16)
    buf[:, :w, :3] = (img[..., :3] * a + 127) // 255
    buf[:, :w, 3:] = img[..., 3:4]
    surface = cairo.ImageSurface.create_for_data(memoryview(buf).cast("B"), cairo.FORMAT_ARGB32, w, h, stride)
    mob._nntopo_surface = (img, surface, buf)
    return surface


class _Stamps:
    """Round dots stamped as glyphs: a font (cairo's user fonts, through ctypes: pycairo has
    none) whose glyphs are discs of one radius, Q x Q of them, each offset by a fraction of a
    pixel. cairo renders each glyph once, antialiased as finely as any fill, keeps it, and lays
    a group's dots as one mask (overlapping glyphs add up to full coverage, never beyond: the
    union a filled path gives), in a fraction of the time a path of thousands of small polygons
    takes. A dot at (x, y) on screen is the glyph for the fractions of x and y, at their whole
    pixels: within 1 / (2 Q) of a pixel of where it belongs."""

    Q = 8

    def __init__(self):
        import cairo

        lib = ctypes.CDLL(cairo._cairo.__file__)
        vp, c_int, c_double = ctypes.c_void_p, ctypes.c_int, ctypes.c_double

        def fn(name, restype, *argtypes):
            f = getattr(lib, name)
            f.restype, f.argtypes = restype, list(argtypes)
            return f

        self.render_type = ctypes.CFUNCTYPE(c_int, vp, ctypes.c_ulong, vp, vp)
        self.create = fn("cairo_user_font_face_create", vp)
        self.set_render = fn("cairo_user_font_face_set_render_glyph_func", None, vp, self.render_type)
        self.arc = fn("cairo_arc", None, vp, c_double, c_double, c_double, c_double, c_double)
        self.fill = fn("cairo_fill", None, vp)
        self.set_face = fn("cairo_set_font_face", None, vp, vp)
        self.set_size = fn("cairo_set_font_size", None, vp, c_double)
        self.set_options = fn("cairo_set_font_options", None, vp, vp)
        self.show = fn("cairo_show_glyphs", None, vp, vp, c_int)
        self.status = fn("cairo_status", c_int, vp)
        self.options = fn("cairo_font_options_create", vp)()
        fn("cairo_font_options_set_antialias", None, vp, c_int)(self.options, int(cairo.ANTIALIAS_GRAY))
        fn("cairo_font_options_set_hint_style", None, vp, c_int)(self.options, int(cairo.HINT_STYLE_NONE))
        fn("cairo_font_options_set_hint_metrics", None, vp, c_int)(self.options, int(cairo.HINT_METRICS_OFF))
        self.faces: dict = {}  # radius in pixels -> (font face, its size, its render callback)
        self.glyph = np.dtype([("index", np.uint64), ("x", np.float64), ("y", np.float64)])  # cairo_glyph_t

    def face(self, pixels: float):
        """The font of discs of radius `pixels`. Its size (pixels per unit of the glyphs' space)
        is well above the disc's: cairo sizes a glyph's image by the font's, not the ink's."""
        key = round(pixels, 9)
        if key not in self.faces:
            size, Q = max(16.0, 4.0 * pixels), self.Q

            def render(_font, glyph, cr, _extents):
                i, j = divmod(int(glyph), Q)
                self.arc(cr, (i + 0.5) / Q / size, (j + 0.5) / Q / size, pixels / size, 0.0, 2 * np.pi)
                self.fill(cr)
                return 0

            callback = self.render_type(render)
            face = self.create()
            self.set_render(face, callback)
            self.faces[key] = (face, size, callback)
        return self.faces[key][:2]

    def draw(self, ctx, m, pixels: float, groups) -> None:
        """Groups [(centres (k, 2+), rgba)] of dots of radius `pixels`, in ctx's user space m."""
        face, size = self.face(pixels)
        cr = _APPEND[1](ctx)
        ctx.save()
        try:
            ctx.identity_matrix()  # glyphs are placed in pixels
            self.set_face(cr, face)
            self.set_size(cr, size)
            self.set_options(cr, self.options)
            for centres, rgba in groups:
                x = m.xx * centres[:, 0] + m.xy * centres[:, 1] + m.x0
                y = m.yx * centres[:, 0] + m.yy * centres[:, 1] + m.y0
                X, Y = np.floor(x), np.floor(y)
                i = np.minimum(((x - X) * self.Q).astype(np.int64), self.Q - 1)
                j = np.minimum(((y - Y) * self.Q).astype(np.int64), self.Q - 1)
                glyphs = np.empty(len(centres), self.glyph)
                glyphs["index"], glyphs["x"], glyphs["y"] = i * self.Q + j, X, Y
                FastCamera._fill_source(ctx, rgba)
                self.show(cr, glyphs.ctypes.data, len(glyphs))
            if self.status(cr) != 0:
                raise RuntimeError(f"cairo could not stamp the dots (status {self.status(cr)})")
        finally:
            ctx.restore()


def _stamps() -> _Stamps | None:
    """The stamps, if they draw here what they should (checked once on a small surface: a dot
    of the right area where it belongs, two overlapping dots no darker than one); else None."""
    if _APPEND is None:
        return None
    try:
        import cairo

        stamps = _Stamps()
        arr = np.zeros((40, 40, 4), np.uint8)
        surface = cairo.ImageSurface.create_for_data(arr.data, cairo.FORMAT_ARGB32, 40, 40)
        ctx = cairo.Context(surface)
        r = 2.7
        stamps.draw(ctx, ctx.get_matrix(), r, [(np.array([[10.3, 20.6], [30.0, 20.0], [31.0, 20.0]]),
                                                 np.array([0.0, 0.0, 0.0, 0.9]))])
        surface.flush()
        alpha = arr[..., 3].astype(float) / 255
        left, right = alpha[:, :20], alpha[:, 20:]
        ys, xs = np.mgrid[0:40, 0:20] + 0.5
        centre = ((left * xs).sum() / left.sum(), (left * ys).sum() / left.sum())
        if not (abs(left.sum() / 0.9 - np.pi * r * r) < 0.5 and np.hypot(centre[0] - 10.3, centre[1] - 20.6) < 0.1
                and right.max() <= 0.9 + 1 / 255 and stamps.status(_APPEND[1](ctx)) == 0):
            return None
        return stamps
    except Exception:
        return None


_STAMPS = _stamps()
