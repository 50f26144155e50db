"""The user's torch model as a chain of aten operations: traced by torch.export (an
ExportedProgram, also what a .pt2 file holds) or frozen from TorchScript. Both give the same
list of `Op`s, in order, one value flowing through; a graph that branches or mixes values (a
residual sum, a concatenation) is refused here, naming the operation.
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelError

SUPPORTED = ("Linear, BatchNorm1d, Dropout, Identity and elementwise Tanh, Sigmoid, Softplus, ReLU, "
             "LeakyReLU, ELU, SiLU, GELU")
MIXING = {"add": "a sum (a residual connection?)", "cat": "a concatenation", "mul": "a product",
          "sub": "a difference", "matmul": "a matrix product", "mm": "a matrix product",
          "addmm": "a matrix product", "slice": "a slice", "select": "an index",
          "view": "a reshape", "reshape": "a reshape", "flatten": "a flatten",
          "convolution": "a convolution", "conv1d": "a convolution", "conv2d": "a convolution"}

CHAIN = object()  # in an Op's arguments: the value flowing through the chain


@dataclass(frozen=True)
class Op:
    name: str  # the aten operation without its namespace: "linear", "leaky_relu"
    args: dict[str, Any]  # by the schema's names; tensors as float64 numpy arrays, CHAIN for the input
    where: str  # how to point the user at it: "module fc2 (Linear)" or "operation 3"


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


def from_program(ep) -> list[Op]:
    """The chain of an ExportedProgram (torch.export), in order."""
    import torch

    sig = ep.graph_signature
    tensors = {}
    for name, fqn in {**sig.inputs_to_parameters, **sig.inputs_to_buffers}.items():
        tensors[name] = ep.state_dict[fqn] if fqn in ep.state_dict else ep.constants[fqn]
    for name, fqn in getattr(sig, "inputs_to_lifted_tensor_constants", {}).items():
        tensors[name] = ep.constants[fqn]
    inputs = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name not in tensors]
    if len(inputs) != 1:
        raise ModelError(f"the model takes {len(inputs)} inputs; nntopo reads models of one input (N, d)")
    flowing, ops = inputs[0], []
    for k, node in enumerate(ep.graph.nodes):
        if node.op in ("placeholder", "get_attr"):
            continue
        if node.op == "output":
            outs = node.args[0]
            if not (isinstance(outs, (tuple, list)) and len(outs) == 1 and outs[0] is flowing):
                raise ModelError("the model returns more than one tensor; nntopo reads models with one output")
            return ops
        where = _where(node, k)
        target = node.target
        if target is operator.getitem and not node.users:
            continue  # an unused part of a tuple (a decomposed batch norm's saved statistics)
        if target is operator.getitem and node.args[0] is flowing and node.args[1] == 0:
            flowing = node  # the output of an op that returns a tuple (a decomposed batch norm)
            continue
        if node.op != "call_function" or not hasattr(target, "_schema"):
            raise ModelError(f"{where}: {node.op} {target} is not a layer nntopo reads; supported: {SUPPORTED}")
        name = target._schema.name.split("::")[-1]
        if all(n.name in tensors for n in node.all_input_nodes):
            # arithmetic on the parameters alone (a decomposed Linear transposes its weight)
            args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: tensors[n.name])
            tensors[node.name] = target(*args, **kwargs)
            continue

        def value(a, node=node):
            if isinstance(a, torch.fx.Node):
                if a is flowing:
                    return CHAIN
                if a.name in tensors:
                    return _numpy(tensors[a.name])
                raise ModelError(f"{where}: {name} mixes two values of the network; nntopo reads a "
                                 f"chain of layers")
            return a

        if flowing not in node.all_input_nodes:
            raise ModelError(f"{where}: {name} does not act on the layer before it ({MIXING.get(name, name)}); "
                             f"nntopo reads a chain of layers")
        ops.append(_linear(Op(name, _args(target._schema, node.args, node.kwargs, value), where)))
        if len(flowing.users) > 1:
            users = ", ".join(sorted({u.target._schema.name.split("::")[-1] for u in flowing.users
                                      if hasattr(u.target, "_schema")}))
            raise ModelError(f"{where}: one value feeds {len(flowing.users)} operations ({users}): a "
                             f"branch or residual connection; nntopo reads a chain of layers")
        flowing = node
    raise ModelError("the traced model has no output")


def from_torchscript(module) -> list[Op]:
    """The chain of a TorchScript module, frozen (its parameters become constants)."""
    import torch

    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the user is told in the docs
        warnings.simplefilter("ignore", DeprecationWarning)
        frozen = torch.jit.freeze(module.eval())
    graph = frozen.graph
    inputs = list(graph.inputs())[1:]  # the first is self
    if len(inputs) != 1:
        raise ModelError(f"the model takes {len(inputs)} inputs; nntopo reads models of one input (N, d)")
    flowing, ops = inputs[0], []
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

        def value(v):
            if v is flowing:
                return CHAIN
            src = v.node()
            if src.kind() == "prim::Constant":
                c = v.toIValue()
                return _numpy(c) if isinstance(c, torch.Tensor) else c
            if src.kind() == "prim::ListConstruct":
                return [value(i) for i in src.inputs()]
            raise ModelError(f"{where}: {name} mixes two values of the network; nntopo reads a chain of layers")

        if flowing not in list(node.inputs()):
            raise ModelError(f"{where}: {name} does not act on the layer before it; nntopo reads a chain of layers")
        ops.append(Op(name, _args(node.schema() and torch._C.parse_schema(node.schema()),
                                  list(node.inputs()), {}, value), where))
        if sum(makes_tensor(u.user) for u in flowing.uses()) > 1:
            raise ModelError(f"{where}: the value before {name} is used twice (a branch or residual "
                             f"connection); nntopo reads a chain of layers")
        flowing = node.output()
    outs = list(graph.outputs())
    if len(outs) != 1 or outs[0] is not flowing:
        raise ModelError("the model returns more than one tensor, or not the chain's end")
    return ops
