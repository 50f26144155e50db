"""Reading the user's own torch network into nntopo's numpy Network, exactly (the chain of
operations comes from trace.py).

Any model is read the same way: traced (torch.export) into a chain of aten operations, or, for a
TorchScript file, frozen into one; `.pt2` files (torch.export.save) are such a trace already.
The chain must be Linear layers and elementwise activations, one value flowing through, with
residual blocks and neural ODEs between them:

    linear                          a Linear (a bias of zeros when it has none)
    batch_norm (eval)               folded into the Linear beside it: the affine map it is
    dropout, clone, detach, ...     dropped (the model is read in eval mode)
    tanh sigmoid softplus relu leaky_relu elu silu gelu (and identity: nothing)
                                    the activation of the Linear before it
    sigmoid / softmax / log_softmax after the last Linear
                                    dropped: the head's outputs are recorded as logits
    x + h f(x)                      a Residual: f read as such a chain of Linear layers (the last
                                    one's activation kept, the identity if none), R^d -> R^d
    odeint(func, y0, t, ...)[-1]    an ODE: func(t, y) read as such a chain of y, or of [y, t];
                                    zeros padded onto y0 right before it its `augment`; the
                                    method, tolerances and step_size its Solver (torchdiffeq's
                                    defaults otherwise), t[0] and t[-1] its interval

The last Linear is the head (one logit, or C scores under a softmax). Anything else (a
convolution, a shortcut that is not the identity, a concatenation) is refused with one line
naming the operation and where it sits. Nothing here unpickles: a `torch.save` pickle is
refused, not opened.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..nets.activations import SOFTPLUS_THRESHOLD, activation
from ..errors import ModelError, NntopoError
from ..nets.network import ODE, Dense, Network, Residual
from .trace import MIXING, SUPPORTED, Op, export, from_field, from_program, from_torchscript

# aten name -> (our activation, its parameter's argument name or None)
ACTIVATION_OPS = {
    "tanh": ("tanh", None), "sigmoid": ("sigmoid", None), "relu": ("relu", None),
    "leaky_relu": ("leaky-relu", "negative_slope"), "elu": ("elu", "alpha"), "silu": ("silu", None),
    "softplus": ("softplus", "beta"), "gelu": ("gelu", None),
}
PASS_OPS = {"dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout", "native_dropout",
            "clone", "detach", "alias", "contiguous", "lift_fresh_copy", "_assert_tensor_metadata"}
BATCH_NORM_OPS = {"batch_norm", "_native_batch_norm_legit_no_training", "native_batch_norm"}
SQUASH_OPS = {"sigmoid", "softmax", "log_softmax", "_softmax", "_log_softmax"}
# torch.nn modules read (anything else from torch.nn is refused before tracing)
MODULES = {"Linear", "BatchNorm1d", "Dropout", "AlphaDropout", "Identity", "Tanh", "Sigmoid", "Softplus",
           "ReLU", "LeakyReLU", "ELU", "SiLU", "GELU", "Softmax", "LogSoftmax"}
CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}


def _batch_norm(a: dict) -> tuple[np.ndarray, np.ndarray]:
    """An eval-mode batch norm as x -> scale * x + shift."""
    if a.get("training") is True:
        raise ModelError("a BatchNorm in training mode; nntopo reads the model in eval mode")
    mean, var = a["running_mean"], a["running_var"]
    if mean is None or var is None:
        raise ModelError("a BatchNorm without running statistics (track_running_stats=False) is not an affine map")
    scale = 1.0 / np.sqrt(var + a["eps"])
    w = a["weight"] if a["weight"] is not None else np.ones_like(scale)
    b = a["bias"] if a["bias"] is not None else np.zeros_like(scale)
    return w * scale, b - w * scale * mean


class _Chain:
    """A chain of ops read in order: Linear entries [W, b, activation, param, where] and layers
    (residual blocks, neural ODEs) between them; BatchNorms folded, dropout dropped."""

    def __init__(self, notes: list[str]):
        self.items: list = []  # [W, b, act, param, where] lists, or (layer, where) tuples
        self.pending = None  # a batch norm (scale, shift) not after a Linear: folded into the next one
        self.augment: tuple[int, str] | None = None  # zeros to pad the next ODE's state with
        self.time: tuple[bool, str] | None = None  # a field's time column before its first Linear
        self.notes = notes

    @property
    def last_linear(self) -> list | None:
        return self.items[-1] if self.items and isinstance(self.items[-1], list) else None

    def read(self, ops: list[Op], inside: str | None = None) -> "_Chain":
        for op in ops:
            a = op.args
            if self.augment is not None and op.name not in PASS_OPS | {"ode", "augment"}:
                raise ModelError(f"{self.augment[1]}: zeros appended to a value that is not then integrated; "
                                 "nntopo reads that padding only right before an odeint (an augmented neural ODE)")
            if op.name in PASS_OPS:
                if op.name != "alias" and a.get("train") is True:
                    raise ModelError(f"{op.where}: dropout in training mode")
                continue
            if op.name == "linear":
                W = a["weight"]
                b = a["bias"] if a.get("bias") is not None else np.zeros(W.shape[0])
                if not isinstance(W, np.ndarray) or W.ndim != 2:
                    raise ModelError(f"{op.where}: a linear layer whose weight is not a matrix")
                if self.pending is not None:  # y = W (s x + t) + b
                    s, t = self.pending
                    if len(s) != W.shape[1]:
                        raise ModelError(f"{op.where}: a BatchNorm of {len(s)} features before a Linear of "
                                         f"{W.shape[1]} inputs")
                    W, b = W * s[None], W @ t + b
                    self.pending = None
                if self.time is not None and not any(isinstance(i, list) for i in self.items):
                    first, _ = self.time  # t the first column: move it last, as ODE.time reads it
                    if first:
                        W = np.concatenate([W[:, 1:], W[:, :1]], 1)
                self.items.append([W, b, None, None, op.where])
            elif op.name in BATCH_NORM_OPS:
                s, t = _batch_norm(a)
                L = self.last_linear
                if L is not None and L[2] is None:  # right after a Linear: s (W x + b) + t
                    L[0], L[1] = L[0] * s[:, None], s * L[1] + t
                elif self.pending is None:  # on the input, after an activation or a block: into the next Linear
                    self.pending = (s, t)
                else:  # two in a row: s2 (s1 x + t1) + t2
                    self.pending = (s * self.pending[0], s * self.pending[1] + t)
                self.notes.append("BatchNorm folded into the Linear beside it")
            elif op.name in ACTIVATION_OPS or op.name in SQUASH_OPS:
                if not self.items:
                    raise ModelError(f"{op.where}: an activation before the first Linear"
                                     + (f" of {inside}" if inside else ""))
                if self.last_linear is None:  # relu(x + f(x)), the first ResNets' form: a layer I x + 0 of its own
                    d = self.items[-1][0].out_dim
                    self.items.append([np.eye(d), np.zeros(d), None, None, op.where])
                    self.notes.append("an activation after a block read as a layer of its own (W = I)")
                if self.pending is not None:
                    raise ModelError(f"{op.where}: a BatchNorm between two activations is not an affine "
                                     "map of one Linear")
                L = self.last_linear
                if L[2] is not None:
                    raise ModelError(f"{op.where}: two activations in a row ({L[2]} then {op.name})")
                if op.name in ACTIVATION_OPS:
                    name, param_arg = ACTIVATION_OPS[op.name]
                    if op.name == "gelu" and a.get("approximate", "none") == "tanh":
                        name = "gelu-tanh"
                    if op.name == "softplus" and float(a.get("threshold", 20)) != SOFTPLUS_THRESHOLD:
                        raise ModelError(f"{op.where}: Softplus with threshold {a['threshold']:g}; nntopo reads "
                                         f"torch's default, {SOFTPLUS_THRESHOLD:g}")
                    if op.name == "elu" and (a.get("scale", 1) != 1 or a.get("input_scale", 1) != 1):
                        raise ModelError(f"{op.where}: ELU with a scale (SELU) is not supported; "
                                         f"supported: {SUPPORTED}")
                    param = float(a[param_arg]) if param_arg else None
                    activation(name, param)  # a parameter nntopo cannot use is refused here
                    L[2], L[3] = name, param
                else:
                    L[2] = "squash:" + op.name
            elif op.name in ("residual", "ode"):
                if inside:
                    kind = "a residual block" if op.name == "residual" else "a neural ODE"
                    raise ModelError(f"{op.where}: {kind} inside {inside}; nntopo reads {inside} as a chain of "
                                     "Linear layers and activations"
                                     + (" (nested residuals are not read)" if op.name == "residual" else ""))
                if self.pending is not None:
                    raise ModelError(f"{op.where}: a BatchNorm right before a "
                                     f"{'residual block' if op.name == 'residual' else 'neural ODE'} (not after a "
                                     "Linear) is not folded into a Linear; put it after a Linear")
                layer = _residual(op, self.notes) if op.name == "residual" else _ode(op, self.notes, self.augment)
                self.augment = None
                self.items.append((layer, op.where))
            elif op.name == "augment":
                if self.pending is not None:
                    raise ModelError(f"{op.where}: a BatchNorm before the zeros padded onto an ODE's state")
                k = op.args["zeros"] + (self.augment[0] if self.augment else 0)
                self.augment = (k, op.where)
            elif op.name == "time":
                if self.items or self.time is not None or self.pending is not None:
                    raise ModelError(f"{op.where}: the field joins t to a value that is not its state; nntopo "
                                     "reads f(t, y) on [y, t] before its first Linear")
                self.time = (op.args["first"], op.where)
            else:
                why = MIXING.get(op.name, op.name)
                raise ModelError(f"{op.where}: {why} ({op.name}) is not a layer nntopo reads; supported: {SUPPORTED}")
        if self.augment is not None:
            raise ModelError(f"{self.augment[1]}: zeros appended to a value that is not then integrated; nntopo "
                             "reads that padding only right before an odeint (an augmented neural ODE)")
        return self

    def dense(self, what: str) -> tuple[Dense, ...]:
        """The chain as dense layers alone (a block's or a field's f), each Linear with its
        activation (the identity when it has none)."""
        if self.pending is not None:
            raise ModelError(f"a BatchNorm after the last Linear of {what}, after its activation; nntopo "
                             "folds a BatchNorm only into a Linear beside it")
        if not self.items:
            raise ModelError(f"{what} has no Linear layer; supported: {SUPPORTED}")
        out = []
        for W, b, act, param, where in self.items:
            if act is not None and act.startswith("squash:"):
                raise ModelError(f"{where}: {act[7:]} inside {what}; nntopo reads it only after the last Linear")
            out.append(Dense(W, b, act or "identity", param))
        return tuple(out)


def _residual(op: Op, notes: list[str]) -> Residual:
    """A residual block x + h f(x), its f read as a chain."""
    f = _Chain(notes).read(op.args["f"], inside="a residual block's f").dense(f"the residual block at {op.where}")
    if f[0].in_dim != f[-1].out_dim:
        raise ModelError(f"{op.where}: a residual block whose f changes the dimension ({f[0].in_dim} -> "
                         f"{f[-1].out_dim}); nntopo reads blocks x + h f(x) with f: R^d -> R^d")
    h = float(op.args["h"])
    if not np.isfinite(h):
        raise ModelError(f"{op.where}: a residual block x + h f(x) with h = {h}; h must be a finite number")
    return Residual(f, h)


# odeint options nntopo replays only at torchdiffeq's defaults (the default value, or any that means it)
DEFAULT_OPTIONS = {"min_step": 0, "max_step": float("inf"), "safety": 0.9, "ifactor": 10.0, "dfactor": 0.2,
                   "max_iters": 4, "max_order": 12}
NONE_OPTIONS = ("norm", "step_t", "jump_t", "grid_constructor", "callback_step")  # only None is the default
IGNORED_OPTIONS = ("max_num_steps", "interp")  # a cap that only raises; the interpolation between output times


def _changes_the_solve(key: str, value) -> bool:
    """Does odeint's option key=value make a forward pass other than torchdiffeq's default one?"""
    import torch

    if key in IGNORED_OPTIONS:
        return False
    if key in NONE_OPTIONS:
        return value is not None
    if key == "perturb":
        return value is not False
    if key == "dtype":
        return value is not torch.float64
    if key in DEFAULT_OPTIONS:
        return isinstance(value, bool) or not isinstance(value, (int, float)) or value != DEFAULT_OPTIONS[key]
    return False  # an option the solver does not take: torchdiffeq warns and ignores it


def _solver(call, where: str):
    """The call's solver settings as a solvers.Solver, or a refusal naming what is not replayed."""
    import torch

    from ..nets.solvers import ADAPTIVE, METHODS, Solver, UNREPLAYED

    method = "dopri5" if call.method is None else call.method
    if not isinstance(method, str) or method not in METHODS:
        has = method in UNREPLAYED
        raise ModelError(f"{where}: solver {method!r}: "
                         + ("torchdiffeq has it, but it hands the solve to scipy, which nntopo does not replay; "
                            if has else "torchdiffeq has no such method; ")
                         + f"nntopo replays {', '.join(METHODS)}")
    tol = {}
    for name in ("rtol", "atol"):
        v = getattr(call, name)
        if isinstance(v, np.ndarray) and v.size == 1:
            v = float(v.reshape(-1)[0])
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ModelError(f"{where}: {name} must be one number (nntopo reads no per-element tolerances)")
        if not (np.isfinite(v) and v > 0):
            raise ModelError(f"{where}: {name} {v!r} must be a finite number above 0")
        tol[name] = float(v)
    options = dict(call.options or {})
    step_size = options.pop("step_size", None)
    first_step = options.pop("first_step", None)
    adaptive = method in ADAPTIVE
    if adaptive:
        step_size = None  # torchdiffeq's adaptive solvers ignore it (with a warning)
    else:
        first_step = None  # the fixed grids ignore it
    for key, value in options.items():
        if _changes_the_solve(key, value):
            raise ModelError(f"{where}: the option {key}={value!r} changes the solve; nntopo replays "
                             "torchdiffeq's defaults besides step_size and first_step")
    for name, v in (("step_size", step_size), ("first_step", first_step)):
        if isinstance(v, torch.Tensor):
            v = float(v)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v <= 0):
            raise ModelError(f"{where}: {name} {v!r} must be a finite number above 0")
    try:
        return Solver(method, tol["rtol"], tol["atol"], None if step_size is None else float(step_size),
                      None if first_step is None else float(first_step))
    except ModelError as e:
        raise ModelError(f"{where}: {e}") from None


def _ode(op: Op, notes: list[str], augment: tuple[int, str] | None) -> ODE:
    """A neural ODE from its odeint call: the times, the solver, the field's chain."""
    from ..nets.solvers import ADAPTIVE

    call = op.args["call"]
    where = call.where
    if call.event_fn is not None:
        raise ModelError(f"{where}: an event function (event_fn); nntopo reads odeint over fixed times")
    t = call.t
    if t is None or t.ndim != 1 or len(t) < 2:
        n = 0 if t is None else (len(t) if t.ndim == 1 else f"shape {t.shape}")
        raise ModelError(f"{where}: t has {n} time{'s' * (n != 1) if isinstance(n, int) else ''}; nntopo reads "
                         "t of 2 or more times, t[0] the start and t[-1] the end")
    if not np.isfinite(t).all():
        raise ModelError(f"{where}: t holds numbers that are not finite")
    if t[0] == t[-1]:
        raise ModelError(f"{where}: an integration interval of length 0 (t[0] = t[-1] = {t[0]:g})")
    steps = np.diff(t)
    if not ((steps > 0).all() or (steps < 0).all()):
        raise ModelError(f"{where}: t must be strictly increasing or strictly decreasing (got "
                         f"{np.array2string(t, precision=4, threshold=6)})")
    solver = _solver(call, where)
    if solver.method not in ADAPTIVE and solver.step_size is None and len(t) > 2:
        raise ModelError(f"{where}: the fixed-step solver {solver.method!r} without step_size steps on every "
                         f"one of t's {len(t)} times; nntopo replays t = [t0, t1] or options=dict(step_size=h)")
    state = call.state
    if len(state) != 2:
        raise ModelError(f"{where}: a state of shape {tuple(state)}; nntopo reads states (N, D)")
    D = state[1]
    chain = _Chain(notes).read(from_field(call), inside="an ODE's field")
    f = chain.dense(f"the field of {where}")
    time = chain.time is not None
    reads = D + (1 if time else 0)
    if f[0].in_dim != reads or f[-1].out_dim != D:
        raise ModelError(f"{where}: the field maps {f[0].in_dim} to {f[-1].out_dim} numbers; for a state of "
                         f"{D} it must read {reads}{' (the state and t)' if time else ''} and give {D}")
    k = augment[0] if augment else 0
    if k >= D:
        raise ModelError(f"{augment[1]}: {k} zeros padded onto a state of {D}")
    return ODE(f, float(t[0]), float(t[-1]), solver, time, k)


def network(ops: list[Op]) -> tuple[Network, list[str]]:
    """Linear layers with their activations, residual blocks and neural ODEs between them, then
    the head; and notes on what was dropped."""
    notes: list[str] = []
    chain = _Chain(notes).read(ops)
    items = chain.items
    if not any(isinstance(i, list) for i in items):
        raise ModelError(f"the model has no Linear layer; supported: {SUPPORTED}")
    if not isinstance(items[-1], list):
        layer, where = items[-1]
        raise ModelError(f"{where}: the model ends with a {layer.kind.replace('ode', 'neural ODE')}"
                         f"{' block' if layer.kind == 'residual' else ''}; nntopo reads its last Linear as the "
                         "classifier")
    *hidden, head = items
    layers = []
    for item in hidden:  # a Linear with no activation after it: the identity
        if isinstance(item, tuple):
            layers.append(item[0])
            continue
        W, b, act, param, where = item
        if act is not None and act.startswith("squash:"):
            raise ModelError(f"{where}: {act[7:]} inside the network; it is read only after the last Linear")
        layers.append(Dense(W, b, act or "identity", param))
    W, b, act, param, where = head
    if act is not None:
        if act not in ("sigmoid", "squash:softmax", "squash:log_softmax", "squash:_softmax", "squash:_log_softmax"):
            raise ModelError(f"{where}: the last Linear (the classifier) is followed by {act}; nntopo "
                             "reads its outputs as logits (only a sigmoid or softmax may follow it)")
        notes.append(f"the final {act.removeprefix('squash:').strip('_')} dropped: outputs recorded as logits")
    if chain.pending is not None:
        raise ModelError("a BatchNorm after the last Linear; nntopo reads the last Linear's outputs as logits")
    return Network(tuple(layers), W, b), sorted(set(notes))


def read_module(model, width: int) -> tuple[Network, list[str]]:
    """A torch nn.Module, traced in eval mode on inputs of `width` columns (its mode restored)."""
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ModelError(f"expected a torch.nn.Module, got {type(model).__name__}")
    if isinstance(model, torch.jit.ScriptModule):
        return network(from_torchscript(model))
    for path, m in model.named_modules():  # outer modules first: an attention block, not its Linear
        if type(m).__module__.startswith("torch.nn") and type(m).__name__ not in MODULES | CONTAINERS:
            raise ModelError(f"module {path or '(top)'} ({type(m).__name__}) is not a layer nntopo "
                             f"reads; supported: {SUPPORTED}")
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    mode = model.training
    try:
        model.eval()
        try:
            ep, calls = export(model, width, dtype)
        except NntopoError:
            raise
        except Exception as e:
            first = next((m for m in model.modules() if isinstance(m, torch.nn.Linear)), None)
            if first is not None and first.in_features != width:
                raise ModelError(f"the model's first Linear takes {first.in_features} inputs, but X has {width} "
                                 f"column{'s' * (width != 1)}") from None
            line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"could not trace the model with torch.export: {line}") from None
        return network(from_program(ep, calls))  # (an ODE's field is traced here too, in eval mode)
    finally:
        model.train(mode)


def file_kind(path: str | Path) -> str:
    """"program" (a .pt2 of torch.export.save) or "torchscript" (torch.jit.save), told from the
    archive's listing without torch; anything else is refused (a torch.save pickle never opened)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    not_one = (f"{path}: not a model file (expected a .pt2 from torch.export.save or a TorchScript "
               "file from torch.jit.save)")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        raise ModelError(not_one) from None
    tails = {n.split("/", 1)[-1] for n in names}
    if "archive_format" in tails or "models/model.json" in tails:
        return "program"
    if any(t.startswith("code/") for t in tails):
        return "torchscript"
    if "data.pkl" in tails:
        raise ModelError(f"{path}: a pickle (torch.save); nntopo never unpickles. Save the model with "
                         "torch.export.save(torch.export.export(model, (x,)), 'model.pt2')")
    raise ModelError(not_one)


def read_file(path: str | Path) -> tuple[Network, list[str]]:
    """A `.pt2` file (torch.export.save) or a TorchScript file (torch.jit.save); never a pickle."""
    kind = file_kind(path)
    import torch

    try:
        if kind == "program":
            return network(from_program(torch.export.load(str(path))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu")
        return network(from_torchscript(module))
    except NntopoError:
        raise
    except Exception as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"{path}: could not read the model: {line}") from None
