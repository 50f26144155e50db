"""What a recording file must be before nntopo trusts it: a recording is untrusted input.

Checked in this order, so that a hostile file is refused before it costs anything:

1. the members' `.npy` headers, read without their data: plain numeric (or text) arrays, never
   objects, and every declared shape the one the file's own network implies (`declared`), under
   limits far beyond any network nntopo draws: nothing is allocated for a size the file only
   claims;
2. the JSON metadata (meta.Meta.from_json): the fields the scenes and reports read, with the
   types and ranges they need;
3. after reading, the numbers themselves (format._check): finite, labels in range, no overflow.

Every refusal is a RecordingError naming what is wrong.
"""

from __future__ import annotations

import math
import zipfile

import numpy as np

from ..errors import RecordingError


MAX_POINTS = 1_000_000  # data points in a recording
MAX_WIDTH = 4096  # units of a layer, dimensions of the data, anchors of a field step, classes
MAX_LAYERS = 256  # hidden layers
MAX_SNAPSHOTS = 100_000  # training snapshots
MAX_BYTES = 2**30  # all arrays together, as declared
MAX_META = 1_000_000  # characters of JSON metadata
MAX_VALUE = 1e30  # the largest value any stage may reach on the data and window: squares stay finite
NUMERIC = "biuf"  # dtype kinds of numbers (bool, int, uint, float)


def headers(zf: zipfile.ZipFile) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """name -> (shape, dtype) of every member, from its header alone."""
    out = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise RecordingError(f"member {info.filename!r} is not an array")
        with zf.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                read = {(1, 0): np.lib.format.read_array_header_1_0,
                        (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                if read is None:
                    raise ValueError(f"npy version {version}")
                shape, _, dtype = read(f)
            except Exception as e:  # numpy parses the header as a Python literal: any error is possible
                raise RecordingError(f"array {info.filename[:-4]!r} has an unreadable header "
                                     f"({type(e).__name__})") from None
        if dtype.hasobject or dtype.kind not in NUMERIC + "U":
            raise RecordingError(f"array {info.filename[:-4]!r} holds {dtype}, not numbers")
        out[info.filename[:-4]] = (tuple(int(n) for n in shape), dtype)
    return out


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def check_small(heads: dict, name: str, kind: str, limit: int) -> None:
    """A member that must exist and be a scalar of `kind`."""
    if name not in heads:
        raise RecordingError(f"not an nntopo recording (no {name})")
    shape, dtype = heads[name]
    if dtype.kind not in kind or shape != () or dtype.itemsize > limit:
        what = {"iu": "integer", "U": "text"}.get(kind, "number")
        raise RecordingError(f"{name} must be one {what}; it is {dtype} of shape {shape}")


def declared(heads: dict, hidden: list[dict], version: int) -> None:
    """Every array's declared shape is the one its network implies: X (N, d) and each layer's
    parameters chain, snapshots stack S of them. Nothing else may be in the file."""
    def shape(name: str) -> tuple[int, ...]:
        if name not in heads:
            raise RecordingError(f"array {name} is missing")
        s, dtype = heads[name]
        if dtype.kind not in NUMERIC:
            raise RecordingError(f"array {name} holds {dtype}, not numbers")
        return s

    def expect(name: str, want: tuple[int, ...]) -> None:
        got = shape(name)
        if got != want:
            raise RecordingError(f"array {name} has shape {got}; the network implies {want}")

    if len(hidden) > MAX_LAYERS:
        raise RecordingError(f"{len(hidden)} hidden layers; a recording has at most {MAX_LAYERS}")
    X = shape("X")
    if len(X) != 2 or not (1 <= X[0] <= MAX_POINTS and 1 <= X[1] <= MAX_WIDTH):
        raise RecordingError(f"X has shape {X}: expected (points, dimensions), 1 to {MAX_POINTS:,} points "
                             f"of 1 to {MAX_WIDTH} dimensions")
    N, dim = X
    expect("y", (N,))
    keys = {"format", "meta", "X", "y", "head_w", "head_b"}
    layer_shapes = []  # per layer: {file key: shape}
    for i, h in enumerate(hidden):
        if h.get("kind") == "dense":
            W = shape(f"W{i}")
            if len(W) != 2 or W[1] != dim:
                raise RecordingError(f"array W{i} has shape {W}; layer {i} takes {dim} inputs")
            if not 1 <= W[0] <= MAX_WIDTH:
                raise RecordingError(f"array W{i} declares {W[0]} units; a layer has 1 to {MAX_WIDTH}")
            shapes = {f"W{i}": W, f"b{i}": (W[0],)}
            dim = W[0]
        elif h.get("kind") in ("residual", "ode"):
            state = dim + (h["augment"] if h["kind"] == "ode" else 0)
            reads = state + (1 if h.get("time") else 0)
            shapes = {}
            for j in range(len(h["chain"])):
                W = shape(f"F{i}W{j}")
                if len(W) != 2 or W[1] != reads or not 1 <= W[0] <= MAX_WIDTH:
                    raise RecordingError(f"array F{i}W{j} has shape {W}; layer {j} of block {i}'s f takes "
                                         f"{reads} inputs and has 1 to {MAX_WIDTH} units")
                shapes |= {f"F{i}W{j}": W, f"F{i}b{j}": (W[0],)}
                reads = W[0]
            if reads != state:
                raise RecordingError(f"block {i}'s f gives {reads} outputs; it must give back its {state} "
                                     "dimensions")
            dim = state
        else:
            A = shape(f"A{i}")
            if len(A) != 2 or A[1] != dim:
                raise RecordingError(f"array A{i} has shape {A}; layer {i} acts on {dim} dimensions")
            if not 1 <= A[0] <= MAX_WIDTH:
                raise RecordingError(f"array A{i} declares {A[0]} anchors; a field step has 1 to {MAX_WIDTH}")
            shapes = {f"A{i}": A, f"V{i}": A, f"S{i}": (A[0],)}
        for k, s in shapes.items():
            expect(k, s)
        keys |= set(shapes)
        layer_shapes.append(shapes)
    head = shape("head_w")
    if version < 3:
        expect("head_w", (dim,))
        expect("head_b", ())
        C = None
    else:
        if len(head) != 2 or head[1] != dim or not 1 <= head[0] <= MAX_WIDTH:
            raise RecordingError(f"array head_w has shape {head}; the classifier reads {dim} units")
        C = head[0]
        expect("head_b", (C,))
    if "snap_steps" in heads or version < 3:
        S = shape("snap_steps")
        if len(S) != 1 or S[0] > MAX_SNAPSHOTS:
            raise RecordingError(f"snap_steps has shape {S}: expected (snapshots,), at most {MAX_SNAPSHOTS:,}")
        S = S[0]
        snap = {"snap_steps": (S,), "snap_loss": (S,), "snap_accuracy": (S,),
                "snap_head_w": (S, dim) if C is None else (S, C, dim), "snap_head_b": (S,) if C is None else (S, C)}
        for i, (h, shapes) in enumerate(zip(hidden, layer_shapes)):
            trained = {"dense": ("W", "b"), "vector-field": ("V", "S")}.get(h.get("kind"), ())
            snap |= {f"snap_{k}{i}": (S,) + shapes[f"{k}{i}"] for k in trained}
        for k, s in snap.items():
            expect(k, s)
        keys |= set(snap)
    extra = sorted(set(heads) - keys)
    if extra:
        raise RecordingError(f"arrays that no layer of the network uses: {', '.join(extra[:5])}")
    total = sum(_size(s) * d.itemsize for s, d in heads.values())
    if total > MAX_BYTES:
        raise RecordingError(f"the arrays would take {total / 2**20:,.0f} MB; a recording holds at most "
                             f"{MAX_BYTES // 2**20:,} MB")
