"""The network: hidden layers sigma(W x + b) of a fixed width, then a linear classifier.

The classifier is one logit, v . h + c, so its decision boundary in the last representation is
the line (hyperplane) v . h + c = 0 that the essay draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

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


@dataclass(frozen=True)
class NetConfig:
    in_dim: int  # dimension of the data
    layers: int  # number of hidden layers (0: the classifier acts on the raw data)
    width: int  # units per hidden layer
    activation: str  # a key of ACTIVATIONS


class MLP(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        dims = [cfg.in_dim] + [cfg.width] * cfg.layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Linear(dims[-1], 1)
        self.act = ACTIVATIONS[cfg.activation].torch_fn

    def representations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every representation, input first: a list of layers + 1 tensors of shape (N, d_l)."""
        reps = [x]
        for layer in self.hidden:
            reps.append(self.act(layer(reps[-1])))
        return reps

    def contractive(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over points x (N, d) of sum over layers of ||J_l||_F^2, J_l = diag(sigma'(z)) W.

        The essay's remedy for the "easy way out": penalise the layers' derivatives at the data.
        """
        deriv = ACTIVATIONS[self.cfg.activation].torch_deriv
        total = torch.zeros(())
        h = x
        for layer in self.hidden:
            z = layer(h)
            row_norms = (layer.weight**2).sum(1)  # (out,)
            total = total + (deriv(z) ** 2 * row_norms).sum(1).mean()
            h = self.act(z)
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N,) for points x (N, in_dim); positive means class B."""
        return self.head(self.representations(x)[-1]).squeeze(-1)


def init_near_identity(net: MLP, gen: torch.Generator, scale: float = 0.5) -> None:
    """Start every hidden layer at the identity (or its rectangular embedding) plus noise.

    The essay's author: "a small amount of L2 regularizing the weights towards the identity makes
    the mappings much nicer". Starting there too keeps every layer a mild, nonsingular map.
    """
    with torch.no_grad():
        for layer in net.hidden:
            out_dim, in_dim = layer.weight.shape
            noise = torch.randn(out_dim, in_dim, generator=gen) * scale
            layer.weight.copy_(torch.eye(out_dim, in_dim) + noise)
            layer.bias.copy_(torch.randn(out_dim, generator=gen) * 0.1)
        nn.init.normal_(net.head.weight, 0.0, 1.0, generator=gen)
        net.head.bias.zero_()
