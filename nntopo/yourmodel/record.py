"""Recording the user's own trained torch network (yourmodel.read reads it) on the user's own points.

    rec = record(model, X, y)                 # an nn.Module, X (N, d), y (N,) labels 0 ... C-1
    rec = record_file(ModelFile("model.pt2", "points.csv"))   # `nntopo render --model --data`

The points are moved and scaled into the window the scenes draw (userdata.normalize) and the
same affine map is folded into the first dense layer (residual blocks and neural ODEs before it
conjugated by it), so the recorded network on the recorded points gives exactly the model's
outputs on the user's points: checked, against the model run by torch on the user's points in
float64, to EXACT (a model whose reading differs is refused). A model whose first layer is an
adaptive neural ODE is moved by a scale alone: its solver's steps depend on the whole batch and
on the coordinates' origin, so the recording's points are the user's batch X / s. Snapshots are
optional: a list of state_dicts (or models) taken while the user trained, which then animate
training.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..analysis import metrics
from ..config import ModelFile
from ..data.datasets import EXTENT
from ..data.userdata import Table, normalize, scale_of
from ..errors import NntopoError
from ..ranges import MAX_INPUT, RANGES

MAX_CLASSES = RANGES["classes"][1]
from ..nets.network import Dense, Network, Residual
from ..recording import Data, Meta, Metrics, NetSource, Recording, Snapshots, versions
from .read import ModelError, read_file, read_module


def _array(a, what: str) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except Exception:
        raise NntopoError(f"{what} is not an array of numbers") from None


def check_arrays(X, y, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """X (N, d) finite numbers and y (N,) integer labels the head has an output for."""
    X, y = _array(X, "X"), _array(y, "y")
    if X.dtype.kind not in "biuf" or X.ndim != 2 or X.shape[1] < 1:
        raise NntopoError(f"X must be a 2-D array of numbers (N, d); got shape {X.shape}, dtype {X.dtype}")
    if X.shape[1] > MAX_INPUT:
        raise NntopoError(f"X has {X.shape[1]:,} columns; nntopo reads up to {MAX_INPUT} features")
    if outputs > MAX_CLASSES:
        raise NntopoError(f"the model's head has {outputs} outputs: {outputs} classes; nntopo draws up to "
                          f"{MAX_CLASSES} classes")
    X = X.astype(np.float64)
    bad = ~np.isfinite(X).all(1)
    if bad.any():
        raise NntopoError(f"X has {int(bad.sum())} row(s) with NaN or infinite numbers (the first: row "
                          f"{int(np.flatnonzero(bad)[0])})")
    if y.ndim != 1 or len(y) != len(X):
        raise NntopoError(f"y must have one label per row of X: X has {len(X)} rows, y has shape {y.shape}")
    if y.dtype.kind not in "biuf" or not np.all(np.round(y) == y):
        raise NntopoError("y must hold integer labels 0 ... C-1")
    y = y.astype(np.int64)
    classes = max(2, outputs)
    if len(y) and not 0 <= y.min() <= y.max() < classes:
        raise NntopoError(f"y has label {int(y.max() if y.max() >= classes else y.min())}, but the model's "
                          f"head has {outputs} output{'s' * (outputs != 1)} (labels 0 ... {classes - 1})")
    if len(np.unique(y)) < 2:
        raise NntopoError("y has one class only: two are needed to separate")
    return X, y


def _moved(f: tuple[Dense, ...], c: np.ndarray, s: float) -> tuple[Dense, ...]:
    """The chain y -> f(s y + c) (its first len(c) inputs moved; any further one, a field's t,
    kept): the first Linear absorbs s y + c."""
    first, k = f[0], len(c)
    W = first.W.copy()
    W[:, :k] *= s
    return (replace(first, W=W, b=first.W[:, :k] @ c + first.b),) + f[1:]


def _conjugated_chain(f: tuple[Dense, ...], c: np.ndarray, s: float) -> tuple[Dense, ...]:
    """The chain y -> f(s y + c) / s: the last Linear / s when it has no activation, otherwise a
    Linear y / s appended (exact either way)."""
    f = _moved(f, c, s)
    last = f[-1]
    if last.activation == "identity":
        return f[:-1] + (replace(last, W=last.W / s, b=last.b / s),)
    return f + (Dense(np.eye(last.out_dim) / s, np.zeros(last.out_dim), "identity"),)


def _rescaled(net: Network, center: np.ndarray, scale: np.ndarray) -> Network:
    """The network that reads points (x - center) / scale as `net` reads x: the first dense map
    absorbs the change of coordinates. Residual blocks and neural ODEs before it are conjugated
    by it exactly (their representations are in the rescaled coordinates): x + h f(x) becomes
    y + (h / s) f(s y + c), or y + h f~(y) when f's last Linear has no activation; a flow
    dx/dt = f(t, x) becomes dy/dt = f(t, s y + c) / s, its atol / s (torchdiffeq's adaptive step
    control is the same only when c = 0: record() moves such models by a scale alone)."""
    c = np.asarray(center, dtype=np.float64)
    sv = np.asarray(scale, dtype=np.float64).reshape(-1)
    layers = list(net.layers)
    for i, layer in enumerate(layers):
        if layer.kind == "residual" or layer.kind == "ode":
            if not np.all(sv == sv[0]):  # normalize() scales all axes alike (per_column=False)
                raise ModelError("a residual block or neural ODE first: its points must be scaled alike on all axes")
            s = float(sv[0])
        if layer.kind == "residual":
            if layer.f[-1].activation == "identity":
                layers[i] = Residual(_conjugated_chain(layer.f, c, s), layer.h)
            else:  # y + (h / s) f(s y + c): the / s in h rather than in a further Linear
                layers[i] = Residual(_moved(layer.f, c, s), layer.h / s)
            continue
        if layer.kind == "ode":
            C = np.concatenate([c, np.zeros(layer.augment)])  # the padded zeros stay zeros
            solver = replace(layer.solver, atol=layer.solver.atol / s)
            layers[i] = replace(layer, f=_conjugated_chain(layer.f, C, s), solver=solver)
            c, sv = C, np.full(len(C), s)
            continue
        layers[i] = replace(layer, W=layer.W * sv[None], b=layer.W @ c + layer.b)
        return Network(tuple(layers), net.head_w, net.head_b)
    return Network(tuple(layers), net.head_w * sv[None], net.head_w @ c + net.head_b)


def _by_scale_alone(net: Network) -> bool:
    """Must the points be moved by a scale alone (center 0)? When an adaptive neural ODE comes
    before the first dense layer: its step control (err / (atol + rtol |y|)) stays the model's
    only under y = x / s, atol / s."""
    for layer in net.layers:
        if layer.kind == "dense":
            return False
        if layer.kind == "ode" and layer.solver.adaptive:
            return True
    return False


def _denses(net: Network):
    """(layer number, Dense) for every dense map of the network, in blocks' and flows' f too."""
    for i, layer in enumerate(net.layers):
        for d in getattr(layer, "f", (layer,)):
            yield i, d


def _check_finite(net: Network) -> None:
    for i, layer in _denses(net):
        if not (np.isfinite(layer.W).all() and np.isfinite(layer.b).all()):
            raise NntopoError(f"the model's layer {i + 1} has non-finite weights (NaN or infinity)")
    for i, layer in enumerate(net.layers):
        if layer.kind == "residual" and not np.isfinite(layer.h):
            raise NntopoError(f"the model's layer {i + 1} (a residual block) has a non-finite h")
    if not (np.isfinite(net.head_w).all() and np.isfinite(net.head_b).all()):
        raise NntopoError("the model's last Linear (the classifier) has non-finite weights (NaN or infinity)")


EXACT = 1e-5  # the largest difference allowed between the recording's outputs and the model's (float64)
EXACT_FLOAT32 = 1e-4  # when the model runs in float32 only (a .pt2 traced in float32): times 1 + |outputs|


def _eval(module) -> None:
    """Eval mode, for a module that has one (an exported program's module is traced in it)."""
    try:
        module.eval()
    except Exception:
        pass


def _run(module, X: np.ndarray, dtype, rows: int | None) -> np.ndarray:
    """module(X) without gradients, in `dtype`; `rows` at a time when it was traced for a fixed
    batch (the last chunk padded with copies of its first row)."""
    import torch

    chunks = [X] if rows is None or rows == len(X) else [X[i:i + rows] for i in range(0, len(X), rows)]
    outs = []
    with torch.no_grad():
        for part in chunks:
            n = len(part)
            if rows is not None and n < rows:
                part = np.concatenate([part, np.repeat(part[:1], rows - n, 0)])
            out = module(torch.tensor(part, dtype=dtype))
            outs.append(np.asarray(out.detach().double().cpu().numpy(), dtype=np.float64)[:n])
    return np.concatenate(outs) if len(outs) > 1 else outs[0]


def _reference(model, X: np.ndarray) -> tuple[np.ndarray, bool]:
    """The model's outputs on X, run by torch in float64 (a float64 copy of the model) when it can
    be, else in the model's own dtype; and whether they are float64."""
    import copy

    import torch

    rows = None
    if isinstance(model, (str, Path)):
        from .read import file_kind

        if file_kind(model) == "program":
            ep = torch.export.load(str(model))
            user = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name in ep.graph_signature.user_inputs]
            val = user[0].meta.get("val") if len(user) == 1 else None
            if val is not None and val.ndim == 2 and isinstance(val.shape[0], int):
                rows = int(val.shape[0])  # traced for a batch of this many rows (a static shape)
            module = ep.module()
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                module = torch.jit.load(str(model), map_location="cpu")
    else:
        module = model
    try:
        m = copy.deepcopy(module)
        m.double()
        _eval(m)
        return _run(m, X, torch.float64, rows), True
    except NntopoError:
        raise
    except Exception:
        pass
    param = next(module.parameters(), None) if hasattr(module, "parameters") else None
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    mode = getattr(module, "training", False)
    try:
        _eval(module)
        return _run(module, X, dtype, rows), dtype == torch.float64
    finally:
        if not isinstance(model, (str, Path)):
            try:
                module.train(mode)
            except Exception:
                pass


def _squashed(out: np.ndarray, notes: list[str]) -> np.ndarray:
    """The head's logits as the model returns them: through the final sigmoid or softmax the
    reading dropped."""
    if any("sigmoid dropped" in n for n in notes):
        return 0.5 * (1.0 + np.tanh(0.5 * out))
    if any("log_softmax dropped" in n for n in notes):
        z = out - out.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))
    if any("softmax dropped" in n for n in notes):
        e = np.exp(out - out.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)
    return out


def _check_exact(model, X: np.ndarray, net: Network, Xn: np.ndarray, notes: list[str]) -> float:
    """The largest difference between the recorded network's outputs on the recorded points and
    the model's on the user's (refused above EXACT)."""
    try:
        ref, wide = _reference(model, X)
    except NntopoError:
        raise
    except Exception as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"could not run the model on X to check the reading: {line}") from None
    ours = _squashed(net.outputs(Xn), notes)
    if ref.shape != ours.shape:
        ref = ref.reshape(ours.shape) if ref.size == ours.size else ref
    if ref.shape != ours.shape:
        raise ModelError(f"the model returns outputs of shape {ref.shape}; the network read from it gives "
                         f"{ours.shape}")
    diff = np.abs(ours - ref)
    worst = float(diff.max()) if diff.size else 0.0
    tol = EXACT if wide else EXACT_FLOAT32 * (1.0 + float(np.abs(ref).max(initial=0.0)))
    if not worst <= tol:
        row = int(np.unravel_index(np.nanargmax(diff), diff.shape)[0]) if np.isfinite(diff).any() else 0
        raise ModelError(f"the network read from the model does not compute its outputs: they differ by up to "
                         f"{worst:.3g} (row {row} of X; allowed {tol:.0e}); nntopo records a model only exactly")
    return worst


def _loss(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """The cross-entropy of the head's outputs: binary for one logit, softmax for C."""
    out = net.outputs(X)
    if out.shape[1] == 1:
        z = out[:, 0]
        return float(np.mean(np.logaddexp(0.0, z) - y * z))
    z = out - out.max(1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]))


def _snapshots(model, snapshots, steps, width, center, scale, final: Network, X, y) -> Snapshots:
    import copy

    import torch

    nets = []
    for k, s in enumerate(snapshots):
        if isinstance(s, torch.nn.Module):
            m = s
        else:
            m = copy.deepcopy(model)
            try:
                m.load_state_dict(s)
            except Exception as e:
                raise NntopoError(f"snapshot {k} does not fit the model: {str(e).splitlines()[0]}") from None
        net = _rescaled(read_module(m, width)[0], center, scale)
        _check_finite(net)
        if [(type(a), getattr(a, "W", np.zeros(0)).shape, getattr(a, "activation", None)) for a in net.layers] != \
                [(type(a), getattr(a, "W", np.zeros(0)).shape, getattr(a, "activation", None)) for a in final.layers] \
                or net.head_w.shape != final.head_w.shape:
            raise NntopoError(f"snapshot {k} is not the same architecture as the model")
        nets.append(net)
    S = len(nets)
    steps = np.arange(S) if steps is None else _array(steps, "steps").astype(np.int64)
    if steps.shape != (S,):
        raise NntopoError(f"steps must give one step per snapshot ({S}); got shape {steps.shape}")
    return Snapshots(
        steps=steps,
        loss=np.array([_loss(n, X, y) for n in nets]),
        accuracy=np.array([np.mean(n.predict(X) == y) for n in nets]),
        params=tuple({k: np.stack([getattr(n.layers[i], k) for n in nets]) for k in layer.trained}
                     for i, layer in enumerate(final.layers)),
        head_w=np.stack([n.head_w for n in nets]),
        head_b=np.stack([n.head_b for n in nets]),
    )


def record(model, X, y, *, classes=None, features=None, name: str | None = None, snapshots=None,
           steps=None) -> Recording:
    """Record the user's trained model on their points: a Recording like `nntopo train` writes.

    model: a torch nn.Module of Linear layers and elementwise activations (yourmodel.read), or the
    path of a .pt2 / TorchScript file. X (N, d), y (N,) labels 0 ... C-1 (numpy or torch).
    classes: C names (default '0', '1', ...); features: d names of X's columns (they travel with
    the recording). snapshots: state_dicts or models while training, with their training steps
    (default 0, 1, ...)."""
    X = _array(X, "X")
    width = X.shape[-1] if X.ndim == 2 else 0
    if isinstance(model, (str, Path)):
        raw, notes = read_file(model)
        source = Path(model).name
        if snapshots:
            raise NntopoError("snapshots are taken from a model object, not a file")
    else:
        raw, notes = read_module(model, width)
        source = type(model).__name__
    if raw.layers and raw.layers[0].in_dim != width:
        raise ModelError(f"the model's first Linear takes {raw.layers[0].in_dim} inputs, but X has {width} columns")
    _check_finite(raw)
    X, y = check_arrays(X, y, len(raw.head_b))
    Xn, center, scale = normalize(X)
    if _by_scale_alone(raw):  # an adaptive neural ODE first: x / s, the same steps as the model's
        center = np.zeros(X.shape[1])
        scale = np.full(X.shape[1], float(np.abs(X).max()) or 1.0)
        Xn = np.clip(X / scale, -1.0, 1.0)
    net = _rescaled(raw, center, scale)
    _check_exact(model, X, net, Xn, notes)
    C = net.classes
    names = [str(c) for c in range(C)] if classes is None else [str(c) for c in classes]
    if len(names) != C:
        raise NntopoError(f"{len(names)} class names for a model with {C} classes")
    if features is not None:
        features = tuple(str(f) for f in features)
        if len(features) != X.shape[1]:
            raise NntopoError(f"{len(features)} feature names for X of {X.shape[1]} columns")
    snaps = (Snapshots.none(net) if not snapshots else
             _snapshots(model, snapshots, steps, width, center, scale, net, Xn, y))
    stretch = metrics.stretch(raw, X)  # in the user's own coordinates
    steps = metrics.field_steps(net, Xn, EXTENT)  # residual blocks' invertibility, as measured
    import torch

    measured = Metrics(
        train_accuracy=float(np.mean(net.predict(Xn) == y)),
        loss=_loss(net, Xn, y),
        max_stretch=float(stretch.max()),
        p99_stretch=float(np.percentile(stretch, 99)),
        parameters=net.parameters,
        field_steps=steps,
        flows=metrics.flows(net, Xn, EXTENT),  # per neural ODE: its flow's det, stretch and evaluations
        homeomorphism=metrics.homeomorphism(net, steps),
    )
    meta = Meta(
        data=Data(name or "your data", "torch", EXTENT, n_points=len(X), center=tuple(center.tolist()),
                  scale=scale_of(scale), features=features),
        net=NetSource(model=source, read=tuple(notes)),
        metrics=measured,
        classes=tuple(names),
        versions=versions(torch=torch.__version__),
    )
    return Recording(meta, Xn, y, net, snaps)


def record_file(job: ModelFile, table: Table | None = None) -> Recording:
    """A model file (.pt2 or TorchScript) on a CSV of points (userdata): the labels in sorted
    order (integers numerically) are the head's outputs 0, 1, ... table: the CSV, already read."""
    from ..data.userdata import load_table

    table = table if table is not None else load_table(job.csv, label=job.label)
    X = table.X * table.scale + table.center  # the file's own coordinates: what the model was trained on
    return record(job.model, X, table.y, classes=table.labels, features=table.features, name=Path(job.csv).name)
