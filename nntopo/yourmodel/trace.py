"""The user's torch model as a chain of aten operations: traced by torch.export (an
ExportedProgram, also what a .pt2 file holds) or frozen from TorchScript. Both give the same
list of `Op`s, in order, one value flowing through.

Two shapes of graph besides a plain chain are read:

    residual   x + f(x), x + h f(x) (aten add with alpha, or a mul by a constant before the add,
               either operand order; x - f(x) too): one Op "residual" holding f's own ops
    ode        torchdiffeq.odeint(func, y0, t, ...)[-1] (or odeint_adjoint): while tracing, odeint
               is replaced by an opaque custom op (`nntopo::odeint_stub`) that records the call;
               one Op "ode" holding the call (`OdeCall`); `from_field` reads func's own chain.
               Zeros appended to the state right before it (torch.cat with zeros, F.pad) are an
               Op "augment"; a field's time column (cat of x and t broadcast) an Op "time".

Anything else that branches or mixes values (a shortcut that is not the identity, a residual
inside a residual's f, a value mixed in from an earlier block, a concatenation) is refused here in
one line naming the operation.
"""

from __future__ import annotations

import contextlib
import operator
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError

SUPPORTED = ("Linear, BatchNorm1d, Dropout, Identity and elementwise Tanh, Sigmoid, Softplus, ReLU, "
             "LeakyReLU, ELU, SiLU, GELU; residual blocks x + h f(x); torchdiffeq neural ODEs")
MIXING = {"add": "a sum that is not a residual block x + h f(x)", "cat": "a concatenation", "mul": "a product",
          "sub": "a difference", "div": "a division", "matmul": "a matrix product", "mm": "a matrix product",
          "addmm": "a matrix product", "slice": "a slice", "select": "an index",
          "view": "a reshape", "reshape": "a reshape", "flatten": "a flatten",
          "constant_pad_nd": "a padding", "pad": "a padding",
          "convolution": "a convolution", "conv1d": "a convolution", "conv2d": "a convolution"}
STUB = "odeint_stub"  # the custom op odeint becomes while tracing (nntopo::odeint_stub)
EXAMPLE_ROWS = 2  # the example batch the model is traced on
T_PROBES = (0.375, -1.625)  # the values of a field's t its time-dependent operations are evaluated at

CHAIN = object()  # in an Op's arguments: the value flowing through the chain


@dataclass(frozen=True)
class Op:
    name: str  # the aten operation without its namespace: "linear", "leaky_relu"
    args: dict[str, Any]  # by the schema's names; tensors as float64 numpy arrays, CHAIN for the input
    where: str  # how to point the user at it: "module fc2 (Linear)" or "operation 3"


@dataclass
class OdeCall:
    """One call of torchdiffeq.odeint / odeint_adjoint in the model's forward, as it was made."""

    func: Any  # the field: func(t, y)
    where: str  # how to name it: "the odeint of module ode.func (Field)"
    adjoint: bool = False
    t: np.ndarray | None = None  # the time tensor, float64
    rtol: Any = 1e-7
    atol: Any = 1e-9
    method: Any = None
    options: dict | None = None
    event_fn: Any = None
    state: tuple[int, ...] = ()  # y0's shape when traced
    dtype: Any = None  # y0's dtype
    tuple_state: bool = False


@dataclass(frozen=True)
class Time:
    """A value computed from a field's t alone: its values at t = T_PROBES."""

    values: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Ref:
    """A value of the graph: what node `id` computes (0: the input)."""

    id: int


@dataclass
class _Node:
    id: int
    name: str
    args: dict[str, Any]  # Ref for graph values, numpy arrays for constants, Time, lists of them
    where: str
    refs: tuple[int, ...]  # the graph values it reads, each once, in order


def _numpy(t) -> np.ndarray:
    """A tensor as a float64 array of its own."""
    return np.array(t.detach().cpu().double().numpy(), dtype=np.float64)


def _args(schema, args, kwargs, value) -> dict[str, Any]:
    """An operation's arguments by name, defaults filled in; value(a) converts each one."""
    out = {}
    for i, a in enumerate(schema.arguments):
        if i < len(args):
            out[a.name] = value(args[i])
        elif a.name in kwargs:
            out[a.name] = value(kwargs[a.name])
        elif a.has_default_value():
            out[a.name] = a.default_value
    return out


def _refs(args: dict) -> tuple[int, ...]:
    seen: list[int] = []

    def visit(v):
        if isinstance(v, Ref):
            if v.id not in seen:
                seen.append(v.id)
        elif isinstance(v, (list, tuple)):
            for x in v:
                visit(x)

    for v in args.values():
        visit(v)
    return tuple(seen)


def _chained(v):
    """An argument with the flowing value as CHAIN (any other graph value was refused before)."""
    if isinstance(v, Ref):
        return CHAIN
    if isinstance(v, (list, tuple)):
        return type(v)(_chained(x) for x in v)
    return v


def _where(node, k: int) -> str:
    """The module an exported node comes from, as the user named it: 'module fc2 (Linear)'."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return f"operation {k}"
    path, kind = list(stack.values())[-1]
    kind = kind if isinstance(kind, str) else kind.__name__
    return f"module {path or '(top)'} ({kind.rsplit('.', 1)[-1]})"


def _linear(op: Op) -> Op:
    """A decomposed Linear (x @ W^T + b as addmm or mm, in core ATen graphs) as `linear`."""
    a = op.args
    if op.name == "addmm" and a["mat1"] is CHAIN and a.get("beta", 1) == 1 and a.get("alpha", 1) == 1 \
            and isinstance(a["mat2"], np.ndarray):
        return Op("linear", {"weight": a["mat2"].T.copy(), "bias": a["self"]}, op.where)
    if op.name == "mm" and a["self"] is CHAIN and isinstance(a["mat2"], np.ndarray):
        return Op("linear", {"weight": a["mat2"].T.copy(), "bias": None}, op.where)
    return op


# ---------------------------------------------------------------- graphs: torch.export, TorchScript


SHAPE_ONLY = {"new_zeros", "new_ones", "zeros_like", "ones_like", "new_full", "full_like"}


def _fill(node) -> float:
    """The value a SHAPE_ONLY operation fills its tensor with."""
    name = node.target._schema.name.split("::")[-1]
    if name in ("new_zeros", "zeros_like"):
        return 0.0
    if name in ("new_ones", "ones_like"):
        return 1.0
    value = node.kwargs.get("fill_value", node.args[2] if name == "new_full" else node.args[1])
    if not isinstance(value, (int, float)):
        raise ModelError(f"{name} with a fill value computed from the network; nntopo reads a chain of layers")
    return float(value)


def _fx_graph(ep, field: bool = False) -> tuple[list[_Node], int]:
    """An ExportedProgram as nodes on one input (a field's: its second, t evaluated at T_PROBES),
    parameter-only arithmetic folded into constants; and the id of the output."""
    import torch

    sig = ep.graph_signature
    tensors: dict[str, Any] = {}
    for name, fqn in {**sig.inputs_to_parameters, **sig.inputs_to_buffers}.items():
        tensors[name] = ep.state_dict[fqn] if fqn in ep.state_dict else ep.constants[fqn]
    for name, fqn in getattr(sig, "inputs_to_lifted_tensor_constants", {}).items():
        tensors[name] = ep.constants[fqn]
    inputs = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name not in tensors]
    ids: dict[str, int] = {}
    timed: dict[str, tuple] = {}  # a field's values computed from t alone, at each probe
    if field:
        if len(inputs) != 2:
            raise ModelError(f"the ODE's field takes {len(inputs)} tensor inputs; nntopo reads func(t, y)")
        t_node, y_node = inputs
        probe = t_node.meta.get("val")
        dtype = probe.dtype if probe is not None else torch.float64
        timed[t_node.name] = tuple(torch.tensor(v, dtype=dtype) for v in T_PROBES)
        ids[y_node.name] = 0
    else:
        if len(inputs) != 1:
            raise ModelError(f"the model takes {len(inputs)} inputs; nntopo reads models of one input (N, d)")
        ids[inputs[0].name] = 0
    nodes: list[_Node] = []
    for k, node in enumerate(ep.graph.nodes):
        if node.op in ("placeholder", "get_attr"):
            continue
        if node.op == "output":
            outs = node.args[0]
            if not (isinstance(outs, (tuple, list)) and len(outs) == 1 and isinstance(outs[0], torch.fx.Node)
                    and outs[0].name in ids):
                what = "the ODE's field returns" if field else "the model returns"
                raise ModelError(f"{what} more than one tensor, or one that does not depend on its input; "
                                 "nntopo reads one output computed from the input")
            return nodes, ids[outs[0].name]
        where = _where(node, k)
        target = node.target
        if target is operator.getitem and not node.users:
            continue  # an unused part of a tuple (a decomposed batch norm's saved statistics)
        src = node.args[0] if node.args else None
        if target is operator.getitem and isinstance(src, torch.fx.Node) and src.name in ids and node.args[1] == 0:
            ids[node.name] = ids[src.name]  # the output of an op that returns a tuple (a decomposed batch norm)
            continue
        inputs_here = node.all_input_nodes
        if node.op == "call_function" and hasattr(target, "_schema") and \
                target._schema.name.split("::")[-1] in SHAPE_ONLY and "val" in node.meta:
            # zeros or ones shaped like a value (x.new_zeros(n, k), torch.zeros_like(x)): a constant
            val = node.meta["val"]
            tensors[node.name] = torch.full(tuple(val.shape), _fill(node), dtype=val.dtype)
            continue
        if node.op == "call_function" and all(n.name in tensors or n.name in timed for n in inputs_here) \
                and (target is operator.getitem or hasattr(target, "_schema")):
            # arithmetic on the parameters alone (a decomposed Linear transposes its weight), on
            # constants (torch.zeros(n, k)), or on a field's t alone
            if any(n.name in timed for n in inputs_here):
                values = []
                for i in range(len(T_PROBES)):
                    def at(n, i=i):
                        return timed[n.name][i] if n.name in timed else tensors[n.name]

                    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), at)
                    values.append(target(*args, **kwargs))
                timed[node.name] = tuple(values)
            else:
                args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: tensors[n.name])
                tensors[node.name] = target(*args, **kwargs)
            continue
        if node.op != "call_function" or not hasattr(target, "_schema"):
            raise ModelError(f"{where}: {node.op} {target} is not a layer nntopo reads; supported: {SUPPORTED}")
        name = target._schema.name.split("::")[-1]

        def value(a, node=node, name=name, where=where):
            if isinstance(a, torch.fx.Node):
                if a.name in ids:
                    return Ref(ids[a.name])
                if a.name in tensors:
                    return _numpy(tensors[a.name])
                if a.name in timed:
                    return Time(tuple(_numpy(v) for v in timed[a.name]))
                raise ModelError(f"{where}: {name} reads a value nntopo does not follow; nntopo reads a "
                                 "chain of layers")
            if isinstance(a, (list, tuple)):
                return [value(x) for x in a]
            return a

        args = _args(target._schema, node.args, node.kwargs, value)
        nid = len(nodes) + 1
        nodes.append(_Node(nid, name, args, where, _refs(args)))
        ids[node.name] = nid
    raise ModelError("the traced model has no output")


def _ts_graph(module) -> tuple[list[_Node], int]:
    """A TorchScript module, frozen (its parameters become constants), as nodes on its input."""
    import torch

    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the user is told in the docs
        warnings.simplefilter("ignore", DeprecationWarning)
        frozen = torch.jit.freeze(module.eval())
    graph = frozen.graph
    inputs = list(graph.inputs())[1:]  # the first is self
    if len(inputs) != 1:
        raise ModelError(f"the model takes {len(inputs)} inputs; nntopo reads models of one input (N, d)")
    ids = {inputs[0].debugName(): 0}
    nodes: list[_Node] = []
    tensor = torch._C.TensorType.get()

    def makes_tensor(node) -> bool:  # shape checks (aten::dim, prim::If raising) make none
        return any(o.type().isSubtypeOf(tensor) for o in node.outputs())

    for k, node in enumerate(graph.nodes()):
        kind = node.kind()
        if kind in ("prim::Constant", "prim::ListConstruct") or not makes_tensor(node):
            continue
        where = f"operation {k} ({kind})"
        if not kind.startswith("aten::"):
            raise ModelError(f"{where} is not a layer nntopo reads; supported: {SUPPORTED}")
        name = kind.split("::")[-1]

        def value(v, name=name, where=where):
            if v.debugName() in ids:
                return Ref(ids[v.debugName()])
            src = v.node()
            if src.kind() == "prim::Constant":
                c = v.toIValue()
                return _numpy(c) if isinstance(c, torch.Tensor) else c
            if src.kind() == "prim::ListConstruct":
                return [value(i) for i in src.inputs()]
            raise ModelError(f"{where}: {name} mixes two values of the network; nntopo reads a chain of layers")

        args = _args(node.schema() and torch._C.parse_schema(node.schema()), list(node.inputs()), {}, value)
        nid = len(nodes) + 1
        nodes.append(_Node(nid, name, args, where, _refs(args)))
        if len(list(node.outputs())) != 1:
            raise ModelError(f"{where}: {name} returns several values; nntopo reads a chain of layers")
        ids[node.output().debugName()] = nid
    outs = list(graph.outputs())
    if len(outs) != 1 or outs[0].debugName() not in ids:
        raise ModelError("the model returns more than one tensor, or not the chain's end")
    return nodes, ids[outs[0].debugName()]


# ---------------------------------------------------------------- the chain and its residual blocks


def _number(v) -> float | None:
    """A constant factor: a Python number or a tensor of one element (a buffer, a constant)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, np.ndarray) and v.size == 1:
        return float(v.reshape(-1)[0])
    return None


@dataclass
class _Block:
    start: int  # the block's input x
    add: _Node  # the sum closing it
    end: int  # f's output (before the factor h)
    h: float
    scale: _Node | None = None  # the mul (or div) of f's output by a constant


@dataclass
class _Frame:
    flowing: int
    ops: list = field(default_factory=list)
    block: _Block | None = None


def _descendants(users, start: int) -> set[int]:
    seen, todo = set(), [start]
    while todo:
        for u in users[todo.pop()]:
            if u.id not in seen:
                seen.add(u.id)
                todo.append(u.id)
    return seen


def _produced(by_id, v: int) -> str:
    """Where a value comes from, for messages: 'module fc1 (Linear)', or 'the input'."""
    return by_id[v].where if v in by_id else "the input"


def _branch(by_id, users, v: int, here: list[_Node], closes: set[int]) -> _Block:
    """The residual block starting at value v, whose users are `here` (two or more); or a refusal
    that names what the graph does instead."""
    names = ", ".join(sorted({u.name for u in here}))
    at = _produced(by_id, v)
    if by_id.get(v) is not None and by_id[v].name == STUB:
        raise ModelError(f"{at}: the ODE's solution is used by {len(here)} operations ({names}); nntopo reads "
                         "only its state at the last time, odeint(...)[-1]")
    if v in closes:
        at = f"the output of the residual block at {at}"
    sums = [u for u in here if u.name in ("add", "sub") and v in u.refs]
    if len(here) > 2:
        if len(sums) >= 2:
            raise ModelError(f"{at}: its value goes to {len(here)} operations, {len(sums)} of them sums: a "
                             "residual nested inside another block's f, or a value mixed in from an earlier "
                             "block; nntopo reads blocks x + h f(x) whose input feeds only their f and their "
                             "sum (nested residuals are not read)")
        raise ModelError(f"{at}: one value feeds {len(here)} operations ({names}): a branch; nntopo reads a "
                         "chain of layers and residual blocks x + h f(x)")
    first, last = here  # in graph order: f's first operation, then the sum
    if last.name in ("add", "sub") and v in last.refs and len(last.refs) == 2:
        a = last.args
        this, other = a.get("self"), a.get("other")
        alpha = _number(a.get("alpha", 1))
        w = other if isinstance(this, Ref) and this.id == v else this
        if isinstance(w, Ref) and w.id in _descendants(users, first.id) | {first.id} and alpha is not None:
            if isinstance(this, Ref) and this.id == v:  # x + alpha w, x - alpha w
                h = alpha if last.name == "add" else -alpha
            elif alpha == 1 and last.name == "add":  # w + x
                h = 1.0
            else:
                raise ModelError(f"{last.where}: a residual connection whose shortcut is not the identity (x "
                                 f"scaled by {alpha if last.name == 'add' else -alpha:g}); nntopo reads blocks "
                                 "x + h f(x)")
            end, scale = w.id, None
            wn = by_id[w.id]
            if wn.name in ("mul", "div") and len(wn.refs) == 1 and len(users[w.id]) == 1:
                x, c = wn.args.get("self"), wn.args.get("other")
                if wn.name == "mul" and not isinstance(x, Ref):
                    x, c = c, x
                factor = _number(c)
                if isinstance(x, Ref) and factor is not None and factor != 0:
                    h *= factor if wn.name == "mul" else 1.0 / factor
                    end, scale = x.id, wn
            return _Block(v, last, end, h, scale)
    # two paths joined again, neither the identity: name the shorter one, the shortcut
    d1, d2 = _descendants(users, first.id) | {first.id}, _descendants(users, last.id) | {last.id}
    both = sorted(d1 & d2)
    if both and by_id[both[0]].name not in ("add", "sub"):
        merge = by_id[both[0]]
        raise ModelError(f"{at}: one value feeds {len(here)} operations ({names}), joined again by {merge.name} "
                         f"at {merge.where} ({MIXING.get(merge.name, merge.name)}): a branch or residual "
                         "connection that is not a block x + h f(x); nntopo reads a chain of layers and residual "
                         "blocks")
    if both:
        merge = by_id[both[0]]
        p1, p2 = sorted(d1 - d2 - {merge.id}), sorted(d2 - d1 - {merge.id})
        skip = min((p1, p2), key=len) or p1
        ops = ", ".join(by_id[i].name for i in skip) or "nothing"
        raise ModelError(f"{merge.where}: a residual connection whose shortcut is not the identity ({ops} on "
                         f"the skip path, at {by_id[skip[0]].where if skip else at}); nntopo reads blocks "
                         "x + h f(x)")
    raise ModelError(f"{at}: one value feeds {len(here)} operations ({names}): a branch; nntopo reads a "
                     "chain of layers and residual blocks x + h f(x)")


def _walk(nodes: list[_Node], out: int) -> list[Op]:
    """The nodes as a chain of Ops, each residual block one Op("residual", {"f": [...], "h": h})."""
    users: dict[int, list[_Node]] = defaultdict(list)
    for n in nodes:
        for r in n.refs:
            users[r].append(n)
    by_id = {n.id: n for n in nodes}
    closes: set[int] = set()  # the sums that end residual blocks
    stack = [_Frame(0)]
    for n in nodes:
        fr = stack[-1]
        blk = fr.block
        if blk is not None and n is blk.add:
            if fr.flowing != blk.end:
                raise ModelError(f"{n.where}: the residual sum adds a value that is not its f's output; nntopo "
                                 "reads blocks x + h f(x)")
            if not fr.ops:
                raise ModelError(f"{n.where}: a residual block with no layers (x + h x); nntopo reads blocks "
                                 "x + h f(x), f a chain of Linear layers")
            stack.pop()
            stack[-1].ops.append(Op("residual", {"f": fr.ops, "h": blk.h}, n.where))
            stack[-1].flowing = n.id
            closes.add(n.id)
            continue
        if blk is not None and n is blk.scale:
            continue  # h: read with the sum
        if fr.flowing not in n.refs:
            if n.refs:
                raise ModelError(f"{n.where}: {n.name} mixes in a value from before the layer ahead of it "
                                 f"({MIXING.get(n.name, n.name)}); nntopo reads a chain of layers and residual "
                                 "blocks x + h f(x)")
            raise ModelError(f"{n.where}: {n.name} does not act on the layer before it ({MIXING.get(n.name, n.name)}); "
                             "nntopo reads a chain of layers")
        if len(n.refs) > 1:
            raise ModelError(f"{n.where}: {n.name} mixes two values of the network ({MIXING.get(n.name, n.name)}); "
                             "nntopo reads a chain of layers and residual blocks x + h f(x)")
        here = [u for u in users[fr.flowing] if not (blk is not None and fr.flowing == blk.start and u is blk.add)]
        if len(here) > 1:
            if blk is not None:
                raise ModelError(f"{n.where}: a residual connection inside a residual block's f (nested "
                                 "residuals); nntopo reads blocks x + h f(x) whose f is a chain of layers")
            stack.append(_Frame(fr.flowing, [], _branch(by_id, users, fr.flowing, here, closes)))
            fr = stack[-1]
        fr.ops.append(_linear(Op(n.name, {k: _chained(v) for k, v in n.args.items()}, n.where)))
        fr.flowing = n.id
    if len(stack) > 1 or stack[0].flowing != out:
        raise ModelError("the model returns a value that is not the chain's end; nntopo reads a chain of layers")
    return stack[0].ops


# ---------------------------------------------------------------- what a chain's ops mean


def _augment(op: Op) -> int | None:
    """k, when op appends k zero columns to the flowing value (torch.cat with zeros, F.pad); None
    when it is not such a padding. Zeros put first are refused."""
    a = op.args
    if op.name == "cat":
        parts = a.get("tensors") or []
        if a.get("dim") not in (1, -1) or len(parts) != 2 or not any(p is CHAIN for p in parts):
            return None
        other = parts[1] if parts[0] is CHAIN else parts[0]
        if not isinstance(other, np.ndarray) or other.ndim != 2 or np.any(other != 0) or other.shape[1] < 1:
            return None
        if parts[1] is not CHAIN and parts[0] is not CHAIN:
            return None
        if parts[0] is not CHAIN:
            raise ModelError(f"{op.where}: zeros put before the state; nntopo reads an augmented neural ODE "
                             "whose zeros come after it, torch.cat([x, zeros], 1)")
        return other.shape[1]
    if op.name in ("constant_pad_nd", "pad"):
        pad = list(a.get("pad") or [])
        value = a.get("value")
        if op.name == "pad" and a.get("mode", "constant") != "constant":
            return None
        if len(pad) < 2 or any(p != 0 for p in pad[2:]) or (value not in (None, 0, 0.0)):
            return None
        if pad[0] != 0 or pad[1] < 1:
            raise ModelError(f"{op.where}: a padding of the state other than zeros after it (pad {pad}); nntopo "
                             "reads an augmented neural ODE padded as F.pad(x, (0, k))")
        return int(pad[1])
    return None


def _time_column(op: Op) -> bool | None:
    """For a field's cat of its state and t broadcast to a column: True when t comes first,
    False when last; None when op is not one."""
    if op.name != "cat":
        return None
    parts = op.args.get("tensors") or []
    if len(parts) != 2 or op.args.get("dim") not in (1, -1):
        return None
    if parts[0] is CHAIN and isinstance(parts[1], Time):
        col, first = parts[1], False
    elif parts[1] is CHAIN and isinstance(parts[0], Time):
        col, first = parts[0], True
    else:
        return None
    for v, t in zip(col.values, T_PROBES):
        if v.ndim != 2 or v.shape[1] != 1 or not np.all(v == t):
            raise ModelError(f"{op.where}: the field joins its state with a column computed from t that is not "
                             "t itself; nntopo reads f(t, y) on [y, t]")
    return first


def _has_time(v) -> bool:
    if isinstance(v, Time):
        return True
    if isinstance(v, (list, tuple)):
        return any(map(_has_time, v))
    return False


def _ode_ops(ops: list[Op], calls: list[OdeCall]) -> list[Op]:
    """The stub's ops and the index of their last time as Op("ode"), the zeros padded onto the
    state as Op("augment"); blocks' f read the same way."""
    out: list[Op] = []
    i = 0
    while i < len(ops):
        op = ops[i]
        if op.name == "residual":
            out.append(Op("residual", {**op.args, "f": _ode_ops(op.args["f"], calls)}, op.where))
        elif op.name == STUB:
            call = calls[op.args["index"]]
            n = op.args["n_times"]
            nxt = ops[i + 1] if i + 1 < len(ops) else None
            if nxt is None:
                raise ModelError(f"{call.where}: the model returns the ODE's whole solution (every time); nntopo "
                                 "reads only its state at the last time, odeint(...)[-1]")
            index = nxt.args.get("index") if nxt.name == "select" else None
            if nxt.name != "select" or nxt.args.get("dim") != 0 or not isinstance(index, int):
                raise ModelError(f"{nxt.where}: the ODE's solution (all times) goes to {nxt.name}; nntopo reads "
                                 "only its state at the last time, odeint(...)[-1]")
            if index not in (-1, n - 1):
                raise ModelError(f"{nxt.where}: the ODE's state at time index {index} of {n}; nntopo reads only "
                                 f"its state at the last time, odeint(...)[-1]")
            out.append(Op("ode", {"call": call}, call.where))
            i += 1
        else:
            k = _augment(op)
            out.append(Op("augment", {"zeros": k}, op.where) if k is not None else op)
        i += 1
    return out


def from_program(ep, calls: list[OdeCall] = ()) -> list[Op]:
    """The chain of an ExportedProgram (torch.export), in order; its odeint calls (the stub's
    indices) described by `calls`."""
    nodes, out = _fx_graph(ep)
    return _ode_ops(_walk(nodes, out), list(calls))


def from_torchscript(module) -> list[Op]:
    """The chain of a TorchScript module, frozen (its parameters become constants)."""
    nodes, out = _ts_graph(module)
    return _ode_ops(_walk(nodes, out), [])


def from_field(call: OdeCall) -> list[Op]:
    """The chain of an ODE's field func(t, y), traced on its state (call.state): the time column
    (a cat of y and t broadcast) as Op("time", {"first": bool}); t used any other way is refused."""
    import torch

    class Field(torch.nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, t, y):
            return self.func(t, y)

    shape = (EXAMPLE_ROWS,) + tuple(call.state[1:])
    wrapper = Field(call.func).eval()
    try:
        with torch.no_grad(), _odeint_refused():
            ep = torch.export.export(wrapper, (torch.tensor(T_PROBES[0], dtype=call.dtype),
                                               torch.zeros(shape, dtype=call.dtype)))
    except ModelError:
        raise
    except Exception as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"{call.where}: could not trace the ODE's field with torch.export: {line}") from None
    nodes, out = _fx_graph(ep, field=True)
    ops = []
    for op in _walk(nodes, out):
        if op.name in ("residual", STUB):
            raise ModelError(f"{op.where}: a {'residual block' if op.name == 'residual' else 'neural ODE'} inside "
                             "an ODE's field; nntopo reads a field that is a chain of layers")
        first = _time_column(op)
        if first is not None:
            ops.append(Op("time", {"first": first}, op.where))
            continue
        if any(_has_time(v) for v in op.args.values()):
            raise ModelError(f"{op.where}: the field uses t in {op.name} ({MIXING.get(op.name, op.name)}); nntopo "
                             "reads t only as one more input column, torch.cat([y, t.expand(len(y), 1)], 1)")
        ops.append(op)
    return ops


# ---------------------------------------------------------------- odeint while tracing


def _stub_op():
    """The opaque op odeint becomes while tracing: (n_times, *y0.shape), zeros when run."""
    import torch

    if hasattr(torch.ops, "nntopo") and hasattr(torch.ops.nntopo, STUB):
        return getattr(torch.ops.nntopo, STUB)

    def impl(y0, index, n_times):
        return y0.new_zeros((n_times, *y0.shape))

    op = torch.library.custom_op(f"nntopo::{STUB}", impl, mutates_args=(),
                                 schema="(Tensor y0, int index, int n_times) -> Tensor")
    op.register_fake(lambda y0, index, n_times: y0.new_empty((n_times, *y0.shape)))
    return getattr(torch.ops.nntopo, STUB)


def _modules_of(model) -> list:
    """The Python modules whose globals a model's forward reads: every module class's (and its
    bases') defining module."""
    names = []
    for m in model.modules():
        for cls in type(m).__mro__:
            if cls.__module__ not in names and not cls.__module__.startswith(("torch.", "builtins")):
                names.append(cls.__module__)
    return [sys.modules[n] for n in names if n in sys.modules]


@contextlib.contextmanager
def _odeint_replaced(model, stand_in):
    """torchdiffeq's odeint and odeint_adjoint replaced by stand_in(adjoint, ...) wherever the
    model's code can reach them (the torchdiffeq modules, the globals of the model's modules);
    everything restored after."""
    tde = sys.modules.get("torchdiffeq")
    if tde is None:
        yield
        return
    originals = {tde.odeint: False, tde.odeint_adjoint: True}
    saved = []
    places = [tde, sys.modules.get("torchdiffeq._impl")] + _modules_of(model)
    try:
        for mod in places:
            if mod is None:
                continue
            for key, value in list(vars(mod).items()):
                if callable(value) and any(value is o for o in originals):
                    adjoint = originals[value]
                    saved.append((mod, key, value))
                    setattr(mod, key, lambda *a, _adjoint=adjoint, **k: stand_in(_adjoint, *a, **k))
        yield
    finally:
        for mod, key, value in reversed(saved):
            setattr(mod, key, value)


@contextlib.contextmanager
def _odeint_refused():
    """Inside an ODE's field, odeint is refused (a neural ODE in a field)."""
    tde = sys.modules.get("torchdiffeq")
    if tde is None:
        yield
        return

    def refuse(adjoint, *a, **k):
        raise ModelError("an odeint call inside an ODE's field; nntopo reads a field that is a chain of layers")

    saved = [(tde, "odeint", tde.odeint), (tde, "odeint_adjoint", tde.odeint_adjoint)]
    try:
        tde.odeint = lambda *a, **k: refuse(False, *a, **k)
        tde.odeint_adjoint = lambda *a, **k: refuse(True, *a, **k)
        yield
    finally:
        for mod, key, value in saved:
            setattr(mod, key, value)


ADJOINT_ONLY = ("adjoint_rtol", "adjoint_atol", "adjoint_method", "adjoint_options", "adjoint_params")


def export(model, width: int, dtype) -> tuple[Any, list[OdeCall]]:
    """torch.export of the model on an example batch, each odeint call an opaque stub op; the
    calls, as an eager run of the same batch made them (their times, tolerances, options)."""
    import torch

    calls: list[OdeCall] = []
    state = {"eager": False, "count": 0}
    names = {id(m): (path, type(m).__name__) for path, m in model.named_modules()}

    def stand_in(adjoint, func, y0, t, *, rtol=1e-7, atol=1e-9, method=None, options=None, event_fn=None, **extra):
        unknown = sorted(set(extra) - (set(ADJOINT_ONLY) if adjoint else set()))
        if unknown:
            raise TypeError(f"odeint() got an unexpected keyword argument {unknown[0]!r}")
        k = state["count"]
        state["count"] += 1
        solve = "odeint_adjoint" if adjoint else "odeint"
        if id(func) in names:
            path, kind = names[id(func)]
            where = f"the {solve} of module {path or '(top)'} ({kind})"
        else:
            where = f"the {solve} of {getattr(func, '__qualname__', type(func).__name__)}"
        tuple_state = not isinstance(y0, torch.Tensor)
        if state["eager"]:
            if k >= len(calls):
                raise ModelError(f"{where}: the model calls odeint a different number of times when run")
            call = calls[k]
            call.t = _numpy(t) if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float64)
            call.rtol, call.atol = (_numpy(v) if isinstance(v, torch.Tensor) else v for v in (rtol, atol))
            call.method, call.options, call.event_fn = method, dict(options) if options else None, event_fn
        else:
            calls.append(OdeCall(func, where, adjoint, tuple_state=tuple_state,
                                 state=() if tuple_state else tuple(y0.shape),
                                 dtype=None if tuple_state else y0.dtype))
        if tuple_state:
            raise ModelError(f"{where}: a state that is a tuple of tensors; nntopo reads one state (N, D)")
        return _stub_op()(y0, k, len(t))

    example = torch.zeros(EXAMPLE_ROWS, width, dtype=dtype)
    with _odeint_replaced(model, stand_in):
        with torch.no_grad():
            ep = torch.export.export(model, (example,))
        if calls:  # the same forward run for real: the times and settings as values
            traced, state["eager"], state["count"] = state["count"], True, 0
            with torch.no_grad():
                model(example)
            if state["count"] != traced:
                raise ModelError("the model calls odeint a different number of times when run than when traced")
    return ep, calls
