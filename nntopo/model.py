"""The network: hidden layers, then a linear classifier.

A hidden layer is either dense, sigma(W x + b) of a fixed width, or a vector-field step
x -> x + F(x) (the essay's proposed layer, vectorfield.py), which keeps the dimension of its input.
The classifier is one logit, v . h + c, so its decision boundary in the last representation is
the line (hyperplane) v . h + c = 0 that the essay draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .vectorfield import VectorFieldLayer

# Each activation twice: torch for training, numpy for the recorded geometry. `invertible` says
# whether applying it pointwise is a homeomorphism onto its image (the essay: not for ReLU).
LEAKY_SLOPE = 0.1


@dataclass(frozen=True)
class Activation:
    torch_fn: Callable[[torch.Tensor], torch.Tensor]
    numpy_fn: Callable[[np.ndarray], np.ndarray]
    invertible: bool
    torch_deriv: Callable[[torch.Tensor], torch.Tensor]  # sigma'(z), for the contractive penalty
    numpy_deriv: Callable[[np.ndarray], np.ndarray]  # sigma'(z), for the Jacobian stretch


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(
        torch.tanh, np.tanh, True,
        lambda z: 1 - torch.tanh(z) ** 2, lambda z: 1 - np.tanh(z) ** 2,
    ),
    "sigmoid": Activation(
        torch.sigmoid, _np_sigmoid, True,
        lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)),
        lambda z: _np_sigmoid(z) * (1 - _np_sigmoid(z)),
    ),
    "softplus": Activation(
        nn.functional.softplus, lambda x: np.logaddexp(0.0, x), True,
        torch.sigmoid, _np_sigmoid,
    ),
    "relu": Activation(
        torch.relu, lambda x: np.maximum(x, 0.0), False,
        lambda z: (z > 0).to(z.dtype), lambda z: (z > 0).astype(np.float64),
    ),
    "leaky-relu": Activation(
        lambda x: nn.functional.leaky_relu(x, LEAKY_SLOPE),
        lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
        True,
        lambda z: torch.where(z > 0, 1.0, LEAKY_SLOPE).to(z.dtype),
        lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    ),
}


LAYER_TYPES = ("dense", "vector-field")  # dense: act(W x + b); vector-field: x + F(x)


@dataclass(frozen=True)
class NetConfig:
    in_dim: int  # dimension of the data
    layers: int  # number of hidden layers (0: the classifier acts on the raw data)
    width: int  # units per dense hidden layer
    activation: str  # a key of ACTIVATIONS, for the dense layers
    # The type of each hidden layer (LAYER_TYPES), or one type for all; () means all dense.
    layer_types: tuple[str, ...] = ()
    anchors: int = 8  # vector-field layers: Gaussians per layer, centred on training points
    field_width: float = 0.5  # vector-field layers: their initial standard deviation
    learn_widths: bool = True  # vector-field layers: train the widths too (else fixed)

    def types(self) -> tuple[str, ...]:
        """The type of every hidden layer: (layers,)."""
        t = self.layer_types or ("dense",)
        return t * self.layers if len(t) == 1 else t

    def dims(self) -> list[int]:
        """Dimension of every representation, input first: a dense layer has `width` units, a
        vector-field step keeps the dimension it is given."""
        dims = [self.in_dim]
        for t in self.types():
            dims.append(self.width if t == "dense" else dims[-1])
        return dims


class MLP(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        dims = cfg.dims()
        self.hidden = nn.ModuleList(
            nn.Linear(a, b) if t == "dense"
            else VectorFieldLayer(torch.zeros(cfg.anchors, a), cfg.field_width, cfg.learn_widths)
            for t, a, b in zip(cfg.types(), dims[:-1], dims[1:])
        )
        self.head = nn.Linear(dims[-1], 1)
        self.act = ACTIVATIONS[cfg.activation].torch_fn

    def representations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every representation, input first: a list of layers + 1 tensors of shape (N, d_l)."""
        reps = [x]
        for layer in self.hidden:
            h = layer(reps[-1])
            reps.append(self.act(h) if isinstance(layer, nn.Linear) else h)
        return reps

    def dense(self) -> list[nn.Linear]:
        return [layer for layer in self.hidden if isinstance(layer, nn.Linear)]

    def fields(self) -> list[nn.Module]:
        return [layer for layer in self.hidden if not isinstance(layer, nn.Linear)]

    def contractive(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over points x (N, d) of sum over layers of ||J_l||_F^2, J_l = diag(sigma'(z)) W.

        The essay's remedy for the "easy way out": penalise the layers' derivatives at the data.
        Vector-field steps are carried through but not penalised.
        """
        deriv = ACTIVATIONS[self.cfg.activation].torch_deriv
        total = torch.zeros(())
        h = x
        for layer in self.hidden:
            if not isinstance(layer, nn.Linear):
                h = layer(h)
                continue
            z = layer(h)
            row_norms = (layer.weight**2).sum(1)  # (out,)
            total = total + (deriv(z) ** 2 * row_norms).sum(1).mean()
            h = self.act(z)
        return total

    def lipschitz(self, x: torch.Tensor, target: float, gen: torch.Generator) -> torch.Tensor:
        """Sum over vector-field steps of their Lipschitz penalty, each checked where it acts:
        at the points it is given, at random points of their bounding box, and around its anchors
        at the scale of each Gaussian (narrow Gaussians fold space between the data points)."""
        total = torch.zeros(())
        h = x
        for layer in self.hidden:
            if isinstance(layer, nn.Linear):
                h = self.act(layer(h))
                continue
            d = h.shape[1]
            with torch.no_grad():
                lo, hi = h.min(0).values, h.max(0).values
                box = lo + (hi - lo) * torch.rand(256, d, generator=gen)
                near = layer.anchors[:, None, :] + layer.widths[:, None, None] * 1.5 * torch.randn(
                    layer.anchors.shape[0], 16, d, generator=gen)
            probe = torch.cat([h, box, near.reshape(-1, d)])
            total = total + layer.lipschitz_penalty(probe, target)
            h = layer(h)
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N,) for points x (N, in_dim); positive means class B."""
        return self.head(self.representations(x)[-1]).squeeze(-1)


def init_anchors(net: MLP, X: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> None:
    """Put each vector-field layer's anchors on training points, as the essay suggests ("take
    some fixed points from the training set to use as anchors"): the same number from each class,
    drawn with `gen`, carried through the (initialised) layers before it. X (N, d), y (N,)."""
    K = net.cfg.anchors
    classes = [torch.nonzero(y == c).flatten() for c in (0, 1)]
    picks = []
    for i, idx in enumerate(classes):
        n = K // 2 + (K % 2 if i == 0 else 0)
        picks.append(idx[torch.randperm(len(idx), generator=gen)[:n]])
    chosen = torch.cat(picks)
    with torch.no_grad():
        h = X[chosen]
        for layer in net.hidden:
            if isinstance(layer, nn.Linear):
                h = net.act(layer(h))
            else:
                layer.set_anchors(h)
                h = layer(h)


def init_near_identity(net: MLP, gen: torch.Generator, scale: float = 0.5) -> None:
    """Start every hidden layer at the identity (or its rectangular embedding) plus noise.

    The essay's author: "a small amount of L2 regularizing the weights towards the identity makes
    the mappings much nicer". Starting there too keeps every layer a mild, nonsingular map.
    """
    with torch.no_grad():
        for layer in net.dense():  # vector-field steps start at the identity already (v = 0)
            out_dim, in_dim = layer.weight.shape
            noise = torch.randn(out_dim, in_dim, generator=gen) * scale
            layer.weight.copy_(torch.eye(out_dim, in_dim) + noise)
            layer.bias.copy_(torch.randn(out_dim, generator=gen) * 0.1)
        nn.init.normal_(net.head.weight, 0.0, 1.0, generator=gen)
        net.head.bias.zero_()
