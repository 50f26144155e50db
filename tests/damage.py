"""Ways to damage a recording, for the fuzz tests: each takes the file's arrays and a seeded rng
and returns them changed (or rewrites the file's bytes). Real recordings go in; what comes out
is what a bad disk, a bad tool or a hostile sender could hand nntopo."""

import io
import json
import zipfile

import numpy as np

JUNK = [None, -1, 0, 1e308, float("nan"), float("inf"), "x", "", [], {}, [1, 2], {"a": 1}, True, 2**70, -0.0]


def arrays_of(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _floats(a: dict, rng):
    keys = sorted(k for k, v in a.items() if v.dtype.kind == "f" and v.size)
    return keys[rng.integers(len(keys))] if keys else None


def _any(a: dict, rng):
    keys = sorted(a)
    return keys[rng.integers(len(keys))]


def non_finite(a, rng):
    k = _floats(a, rng)
    if k:
        v = a[k].copy()
        v.flat[rng.integers(v.size)] = [np.nan, np.inf, -np.inf][rng.integers(3)]
        a[k] = v
    return a


def extreme(a, rng):
    k = _floats(a, rng)
    if k:
        v = a[k].copy()
        v.flat[rng.integers(v.size)] = [1e300, -1e300, 1e-300, 1e18, -1e30, 0.0, 5e-324][rng.integers(7)]
        a[k] = v
    return a


def zeros(a, rng):
    k = _floats(a, rng)
    if k:
        a[k] = np.zeros_like(a[k])
    return a


def dtype(a, rng):
    k = _any(a, rng)
    to = ["int8", "int64", "bool", "complex128", "U3", "float16", "uint8", "float32", "S4"][rng.integers(9)]
    try:
        a[k] = a[k].astype(to)
    except (ValueError, TypeError):
        a[k] = np.array(["x"])
    return a


def shape(a, rng):
    k = _any(a, rng)
    v = a[k]
    op = rng.integers(6)
    if op == 0:
        a[k] = v[None]
    elif op == 1 and v.ndim:
        a[k] = v.reshape(-1)
    elif op == 2 and v.ndim >= 2:
        a[k] = v.T.copy()
    elif op == 3 and v.ndim:
        a[k] = v[: rng.integers(0, max(1, len(v)))]
    elif op == 4:
        a[k] = np.zeros((0,) + v.shape[1:], v.dtype)
    else:
        a[k] = np.concatenate([v, v]) if v.ndim else np.array([v, v])
    return a


def missing(a, rng):
    del a[_any(a, rng)]
    return a


def extra(a, rng):
    a[["W9", "snap_W9", "junk", "A0", "V1", "head_w2"][rng.integers(6)]] = rng.normal(size=(3, 3))
    return a


def labels(a, rng):
    if "y" in a and a["y"].size:
        y = a["y"].copy()
        y[rng.integers(y.size)] = [-1, 2, 7, 2**40][rng.integers(4)]
        a["y"] = y
    return a


def meta_field(a, rng):
    """One field of the JSON metadata (at any depth) replaced by junk of another type, or deleted."""
    m = json.loads(str(a["meta"]))
    paths = []

    def walk(o, p):
        paths.append(p)
        if isinstance(o, dict):
            for k in sorted(o):
                walk(o[k], p + [k])
        elif isinstance(o, list):
            for i, v in enumerate(o[:3]):
                walk(v, p + [i])

    walk(m, [])
    p = paths[rng.integers(len(paths))]
    junk = JUNK[rng.integers(len(JUNK))]
    if not p:
        m = junk
    else:
        o = m
        for q in p[:-1]:
            o = o[q]
        if isinstance(o, dict) and rng.random() < 0.2:
            del o[p[-1]]
        else:
            o[p[-1]] = junk
    a["meta"] = np.array(json.dumps(m))
    return a


def meta_text(a, rng):
    a["meta"] = np.array(["", "{", "null", "[]", "3", '"x"', '{"net": 1}', "{" * 5000][rng.integers(8)])
    return a


def format_version(a, rng):
    a["format"] = np.array([0, 1, 2, 3, 4, -1, 99, 2**62][rng.integers(8)]) if rng.random() < 0.8 else np.array([3, 3])
    return a


ARRAY_DAMAGE = [non_finite, extreme, zeros, dtype, shape, missing, extra, labels, meta_field, meta_text,
                format_version]


def truncate(path, rng):
    b = path.read_bytes()
    path.write_bytes(b[: rng.integers(1, len(b))])


def flip_bits(path, rng):
    b = bytearray(path.read_bytes())
    for _ in range(rng.integers(1, 8)):
        b[rng.integers(len(b))] ^= 1 << rng.integers(8)
    path.write_bytes(bytes(b))


def huge_declared(path, rng):
    """One member's header declares an enormous array, with 64 bytes behind it."""
    a = arrays_of(path)
    key = ["X", "W0", "snap_W0", "y", "meta", "head_w", "snap_steps"][rng.integers(7)]
    shape = [(10**12,), (10**6, 10**6), (2**31, 3), (10**9, 2), (999_999, 2)][rng.integers(5)]
    header = {"descr": "<U10" if key == "meta" else "<f8", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in a.items():
            buf = io.BytesIO()
            if k == key:
                np.lib.format.write_array_header_1_0(buf, header)
                buf.write(b"\0" * 64)
            else:
                np.save(buf, v)
            z.writestr(k + ".npy", buf.getvalue())


FILE_DAMAGE = [truncate, flip_bits, huge_declared]
