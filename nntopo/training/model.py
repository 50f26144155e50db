"""The torch network that training fits: hidden layers, then a linear classifier.

A hidden layer is either dense, sigma(W x + b) of a fixed width, or a vector-field step
x -> x + F(x) (the essay's proposed layer, network.VectorField), which keeps the dimension of its
input. The classifier is one logit, v . h + c, for two classes, or C scores (a softmax) for C.
Training turns it into the numpy
network.Network that a recording holds (training.network).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..nets.activations import ACTIVATIONS
from ..config import NetConfig
from ..nets.network import VectorField


class VectorFieldLayer(nn.Module):
    """x -> x + F(x) in torch: anchors fixed, vectors learned (from zero: the identity), widths
    learned (log-parameterised) or fixed.

    anchors (K, d): where the Gaussians sit; `set_anchors` moves them (training puts them on
    training points, carried through the layers before this one).
    """

    def __init__(self, anchors: torch.Tensor, width: float = 0.3, learn_widths: bool = True):
        super().__init__()
        self.register_buffer("anchors", anchors.clone().float())
        k = anchors.shape[0]
        self.vectors = nn.Parameter(torch.zeros_like(self.anchors))
        log_w = torch.full((k,), float(np.log(width)))
        self.log_widths = nn.Parameter(log_w) if learn_widths else None
        if not learn_widths:
            self.register_buffer("fixed_log_widths", log_w)

    @property
    def widths(self) -> torch.Tensor:
        return torch.exp(self.log_widths if self.log_widths is not None else self.fixed_log_widths)

    def field(self, x: torch.Tensor) -> torch.Tensor:
        d2 = ((x[:, None, :] - self.anchors[None]) ** 2).sum(-1)  # (N, K)
        f = torch.exp(-d2 / (2 * self.widths**2))
        return (f @ self.vectors) / (1.0 + f.sum(1, keepdim=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.field(x)

    def field_jacobian(self, x: torch.Tensor) -> torch.Tensor:
        """J_F at points x (N, d): (N, d, d), by the quotient rule (as VectorField.field_jacobian)."""
        diff = x[:, None, :] - self.anchors[None]  # (N, K, d)
        w2 = self.widths**2
        f = torch.exp(-(diff**2).sum(-1) / (2 * w2))  # (N, K)
        grad_f = -f[..., None] * diff / w2[None, :, None]
        num = f @ self.vectors
        den = 1.0 + f.sum(1)
        J_num = torch.einsum("ki,nkj->nij", self.vectors, grad_f)
        return (J_num * den[:, None, None] - num[:, :, None] * grad_f.sum(1)[:, None, :]) / den[:, None, None] ** 2

    def lipschitz_penalty(self, x: torch.Tensor, target: float) -> torch.Tensor:
        """Mean over points x (N, d) of relu(||J_F||_F - target)^2: zero while F stays a
        contraction near the data (||J||_2 <= ||J||_F), so the step stays invertible there."""
        norm = torch.linalg.matrix_norm(self.field_jacobian(x))
        return (torch.relu(norm - target) ** 2).mean()

    def set_anchors(self, anchors: torch.Tensor) -> None:
        with torch.no_grad():
            self.anchors.copy_(anchors)

    def to_numpy(self) -> VectorField:
        return VectorField(self.anchors.detach().double().numpy(), self.vectors.detach().double().numpy(),
                           self.widths.detach().double().numpy())


class MLP(nn.Module):
    def __init__(self, cfg: NetConfig, classes: int = 2):
        super().__init__()
        self.cfg, self.classes = cfg, classes
        dims = cfg.dims()
        self.hidden = nn.ModuleList(
            nn.Linear(a, b) if t == "dense"
            else VectorFieldLayer(torch.zeros(cfg.anchors, a), cfg.field_width, cfg.learn_widths)
            for t, a, b in zip(cfg.types(), dims[:-1], dims[1:])
        )
        self.head = nn.Linear(dims[-1], 1 if classes == 2 else classes)
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
        """Logits (N,) for points x (N, in_dim), positive means class B; for C classes, scores (N, C)."""
        out = self.head(self.representations(x)[-1])
        return out.squeeze(-1) if self.classes == 2 else out


def init_anchors(net: MLP, X: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> None:
    """Put each vector-field layer's anchors on training points, as the essay suggests ("take
    some fixed points from the training set to use as anchors"): the same number from each class,
    drawn with `gen`, carried through the (initialised) layers before it. X (N, d), y (N,)."""
    K, C = net.cfg.anchors, net.classes
    classes = [torch.nonzero(y == c).flatten() for c in range(C)]
    picks = []
    for i, idx in enumerate(classes):
        n = K // C + (1 if i < K % C else 0)
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
