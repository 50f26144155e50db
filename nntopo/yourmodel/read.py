"""Reading the user's own torch network into nntopo's numpy Network, exactly (the chain of
operations comes from trace.py).

Any model is read the same way: traced (torch.export) into a chain of aten operations, or, for a
TorchScript file, frozen into one; `.pt2` files (torch.export.save) are such a trace already.
The chain must be Linear layers and elementwise activations, one value flowing through:

    linear                          a Linear (a bias of zeros when it has none)
    batch_norm (eval)               folded into the Linear beside it: the affine map it is
    dropout, clone, detach, ...     dropped (the model is read in eval mode)
    tanh sigmoid softplus relu leaky_relu elu silu gelu (and identity: nothing)
                                    the activation of the Linear before it
    sigmoid / softmax / log_softmax after the last Linear
                                    dropped: the head's outputs are recorded as logits

The last Linear is the head (one logit, or C scores under a softmax). Anything else (a
convolution, a residual sum, a concatenation) is refused with one line naming the operation and
where it sits. Nothing here unpickles: a `torch.save` pickle is refused, not opened.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..nets.activations import SOFTPLUS_THRESHOLD, activation
from ..errors import ModelError, NntopoError
from ..nets.network import Dense, Network
from .trace import MIXING, SUPPORTED, Op, from_program, from_torchscript

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


def network(ops: list[Op]) -> tuple[Network, list[str]]:
    """Linear layers with their activations, then the head; and notes on what was dropped."""
    linears: list[list] = []  # [W, b, activation name, param, where]
    pending = None  # a batch norm (scale, shift) not after a Linear: folded into the next one
    notes = []
    for op in ops:
        a = op.args
        if op.name in PASS_OPS:
            if op.name != "alias" and a.get("train") is True:
                raise ModelError(f"{op.where}: dropout in training mode")
            continue
        if op.name == "linear":
            W = a["weight"]
            b = a["bias"] if a.get("bias") is not None else np.zeros(W.shape[0])
            if not isinstance(W, np.ndarray) or W.ndim != 2:
                raise ModelError(f"{op.where}: a linear layer whose weight is not a matrix")
            if pending is not None:  # y = W (s x + t) + b
                s, t = pending
                W, b = W * s[None], W @ t + b
                pending = None
            linears.append([W, b, None, None, op.where])
        elif op.name in BATCH_NORM_OPS:
            s, t = _batch_norm(a)
            if linears and linears[-1][2] is None:  # right after a Linear: s (W x + b) + t
                L = linears[-1]
                L[0], L[1] = L[0] * s[:, None], s * L[1] + t
            elif pending is None:  # on the input or after an activation: into the next Linear
                pending = (s, t)
            else:  # two in a row: s2 (s1 x + t1) + t2
                pending = (s * pending[0], s * pending[1] + t)
            notes.append("BatchNorm folded into the Linear beside it")
        elif op.name in ACTIVATION_OPS or op.name in SQUASH_OPS:
            if not linears:
                raise ModelError(f"{op.where}: an activation before the first Linear")
            if pending is not None:
                raise ModelError(f"{op.where}: a BatchNorm between two activations is not an affine "
                                 "map of one Linear")
            if linears[-1][2] is not None:
                raise ModelError(f"{op.where}: two activations in a row ({linears[-1][2]} then {op.name})")
            if op.name in ACTIVATION_OPS:
                name, param_arg = ACTIVATION_OPS[op.name]
                if op.name == "gelu" and a.get("approximate", "none") == "tanh":
                    name = "gelu-tanh"
                if op.name == "softplus" and float(a.get("threshold", 20)) != SOFTPLUS_THRESHOLD:
                    raise ModelError(f"{op.where}: Softplus with threshold {a['threshold']:g}; nntopo reads "
                                     f"torch's default, {SOFTPLUS_THRESHOLD:g}")
                if op.name == "elu" and (a.get("scale", 1) != 1 or a.get("input_scale", 1) != 1):
                    raise ModelError(f"{op.where}: ELU with a scale (SELU) is not supported; supported: {SUPPORTED}")
                param = float(a[param_arg]) if param_arg else None
                activation(name, param)  # a parameter nntopo cannot use is refused here
                linears[-1][2], linears[-1][3] = name, param
            else:
                linears[-1][2] = "squash:" + op.name
        else:
            why = MIXING.get(op.name, op.name)
            raise ModelError(f"{op.where}: {why} ({op.name}) is not a layer nntopo reads; supported: {SUPPORTED}")
    if not linears:
        raise ModelError(f"the model has no Linear layer; supported: {SUPPORTED}")
    *hidden, head = linears
    layers = []
    for W, b, act, param, where in hidden:  # a Linear with no activation after it: the identity
        if act is not None and act.startswith("squash:"):
            raise ModelError(f"{where}: {act[7:]} inside the network; it is read only after the last Linear")
        layers.append(Dense(W, b, act or "identity", param))
    W, b, act, param, where = head
    if act is not None:
        if act not in ("sigmoid", "squash:softmax", "squash:log_softmax", "squash:_softmax", "squash:_log_softmax"):
            raise ModelError(f"{where}: the last Linear (the classifier) is followed by {act}; nntopo "
                             "reads its outputs as logits (only a sigmoid or softmax may follow it)")
        notes.append(f"the final {act.removeprefix('squash:').strip('_')} dropped: outputs recorded as logits")
    if pending is not None:
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
    first = next((m for m in model.modules() if isinstance(m, torch.nn.Linear)), None)
    if first is not None and first.in_features != width:
        raise ModelError(f"the model's first Linear takes {first.in_features} inputs, but X has {width} "
                         f"column{'s' * (width != 1)}")
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    mode = model.training
    try:
        model.eval()
        with torch.no_grad():
            ep = torch.export.export(model, (torch.zeros(2, width, dtype=dtype),))
    except NntopoError:
        raise
    except Exception as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"could not trace the model with torch.export: {line}") from None
    finally:
        model.train(mode)
    return network(from_program(ep))


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
