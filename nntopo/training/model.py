"""The torch network that training fits: hidden layers, then a linear classifier.

A hidden layer is dense, sigma(W x + b) of a fixed width; a vector-field step x -> x + F(x) (the
essay's proposed layer, network.VectorField); a residual block x -> x + f(x) (network.Residual);
or a neural ODE, the flow of dy/dt = f(y) over [0, 1] from the input padded with `augment` zeros
(network.ODE, integrated by torchdiffeq.odeint with ODE_SOLVER). f, of a block and of an ODE, is
Linear(D, width) - tanh - Linear(width, D). All but a dense layer keep the dimension of their
input (an ODE adds its zeros). The classifier is one logit, v . h + c, for two classes, or C scores
(a softmax) for C. Training turns it into the numpy network.Network that a recording holds
(training.network).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..nets.activations import ACTIVATIONS
from ..config import NetConfig
from ..nets.network import ODE, Dense, Residual, VectorField

# The solver every neural ODE of nntopo's training uses (torchdiffeq.odeint's method, rtol, atol,
# options={"step_size": ...}), recorded with it so that the replay takes the same steps: the
# adaptive Dormand-Prince 5(4) at the settings of torchdiffeq's tutorial (ode_demo.py).
ODE_SOLVER = dict(method="dopri5", rtol=1e-3, atol=1e-4, step_size=None)
BLOCK_ACTIVATION = "tanh"  # f's hidden activation, of a residual block and of an ODE's field
BLOCK_GAIN = 1.0  # f's first Linear starts at N(0, gain^2 / d) weights, N(0, gain^2) biases; its last at 0


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


def _chain(f: nn.Sequential) -> tuple[Dense, ...]:
    """f = Linear - tanh - Linear as the numpy chain of dense layers (float64)."""
    first, last = f[0], f[2]
    return (Dense(first.weight.detach().double().numpy().copy(), first.bias.detach().double().numpy().copy(),
                  BLOCK_ACTIVATION),
            Dense(last.weight.detach().double().numpy().copy(), last.bias.detach().double().numpy().copy(), "identity"))


def _field(d: int, width: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d, width), nn.Tanh(), nn.Linear(width, d))


class ResidualBlock(nn.Module):
    """x -> x + h f(x), f = Linear(d, width) - tanh - Linear(width, d): a ResNet block, h = 1."""

    def __init__(self, d: int, width: int, h: float = 1.0):
        super().__init__()
        self.f, self.h = _field(d, width), h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.h * self.f(x)

    def field_jacobian(self, x: torch.Tensor) -> torch.Tensor:
        """J of h f at points x (N, d): (N, d, d) = h W2 diag(tanh'(W1 x + b1)) W1."""
        first, last = self.f[0], self.f[2]
        s = 1 - torch.tanh(first(x)) ** 2  # (N, width)
        return self.h * torch.einsum("iw,nw,wj->nij", last.weight, s, first.weight)

    def lipschitz_penalty(self, x: torch.Tensor, target: float) -> torch.Tensor:
        """Mean over points x (N, d) of relu(||J||_F - target)^2, as a vector-field step's: zero
        while h f stays a contraction there, so x + h f(x) stays invertible."""
        norm = torch.linalg.matrix_norm(self.field_jacobian(x))
        return (torch.relu(norm - target) ** 2).mean()

    def to_numpy(self) -> Residual:
        return Residual(_chain(self.f), float(self.h))


class ODEFunc(nn.Module):
    """dy/dt = f(y), autonomous: the field torchdiffeq integrates; counts its evaluations."""

    def __init__(self, D: int, width: int):
        super().__init__()
        self.f = _field(D, width)
        self.nfe = 0  # evaluations of f since the counter was last reset

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        return self.f(y)


class ODEBlock(nn.Module):
    """A neural ODE layer: x (N, d) padded with `augment` zeros (ANODE) to y0 (N, D), carried
    by the flow of dy/dt = f(y) from t0 = 0 to t1 = 1 (torchdiffeq.odeint, ODE_SOLVER): (N, D)."""

    def __init__(self, d: int, width: int, augment: int = 0, t0: float = 0.0, t1: float = 1.0,
                 solver: dict | None = None):
        super().__init__()
        self.augment, self.t0, self.t1 = augment, t0, t1
        self.solver = dict(ODE_SOLVER if solver is None else solver)
        self.func = ODEFunc(d + augment, width)

    @property
    def f(self) -> nn.Sequential:
        """The field's layers (as a residual block's f)."""
        return self.func.f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from torchdiffeq import odeint

        y0 = nn.functional.pad(x, (0, self.augment)) if self.augment else x
        t = torch.tensor([self.t0, self.t1], dtype=x.dtype)
        s = self.solver
        options = None if s["step_size"] is None else {"step_size": s["step_size"]}
        return odeint(self.func, y0, t, rtol=s["rtol"], atol=s["atol"], method=s["method"], options=options)[-1]

    def to_numpy(self) -> ODE:
        from ..nets.solvers import Solver

        s = self.solver
        return ODE(_chain(self.f), float(self.t0), float(self.t1),
                   Solver(s["method"], float(s["rtol"]), float(s["atol"]),
                          None if s["step_size"] is None else float(s["step_size"])),
                   time=False, augment=int(self.augment))


def hidden_layer(cfg: NetConfig, kind: str, a: int, b: int) -> nn.Module:
    """The torch layer of type `kind` reading a dimensions and giving b."""
    if kind == "dense":
        return nn.Linear(a, b)
    if kind == "vector-field":
        return VectorFieldLayer(torch.zeros(cfg.anchors, a), cfg.field_width, cfg.learn_widths)
    if kind == "residual":
        return ResidualBlock(a, cfg.width)
    return ODEBlock(a, cfg.width, cfg.augment)


class MLP(nn.Module):
    def __init__(self, cfg: NetConfig, classes: int = 2):
        super().__init__()
        self.cfg, self.classes = cfg, classes
        dims = cfg.dims()
        self.hidden = nn.ModuleList(
            hidden_layer(cfg, t, a, b) for t, a, b in zip(cfg.types(), dims[:-1], dims[1:])
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

    def fields(self) -> list[VectorFieldLayer]:
        return [layer for layer in self.hidden if isinstance(layer, VectorFieldLayer)]

    def steps(self) -> list[nn.Module]:
        """The layers x + F(x) whose Lipschitz constant training keeps below 1: vector-field
        steps and residual blocks."""
        return [layer for layer in self.hidden if isinstance(layer, (VectorFieldLayer, ResidualBlock))]

    def blocks(self) -> list[nn.Module]:
        """The residual blocks and neural ODEs: x + f(x), the flow of f."""
        return [layer for layer in self.hidden if isinstance(layer, (ResidualBlock, ODEBlock))]

    def odes(self) -> list[ODEBlock]:
        return [layer for layer in self.hidden if isinstance(layer, ODEBlock)]

    def contractive(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over points x (N, d) of sum over layers of ||J_l||_F^2, J_l = diag(sigma'(z)) W.

        The essay's remedy for the "easy way out": penalise the layers' derivatives at the data.
        Vector-field steps, residual blocks and neural ODEs are carried through but not penalised.
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
        """Sum over vector-field steps and residual blocks of their Lipschitz penalty, each
        checked where it acts: at the points it is given, at random points of their bounding box,
        and around a step's anchors at the scale of each Gaussian (narrow Gaussians fold space
        between the data points)."""
        total = torch.zeros(())
        h = x
        for layer in self.hidden:
            if not isinstance(layer, (VectorFieldLayer, ResidualBlock)):
                h = self.act(layer(h)) if isinstance(layer, nn.Linear) else layer(h)
                continue
            d = h.shape[1]
            with torch.no_grad():
                lo, hi = h.min(0).values, h.max(0).values
                box = lo + (hi - lo) * torch.rand(256, d, generator=gen)
                near = torch.zeros(0, d) if isinstance(layer, ResidualBlock) else (
                    layer.anchors[:, None, :] + layer.widths[:, None, None] * 1.5 * torch.randn(
                        layer.anchors.shape[0], 16, d, generator=gen))
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
                if isinstance(layer, VectorFieldLayer):
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
        for block in net.blocks():  # x + f(x) and the flow of f: the identity while f's last Linear is 0
            first, last = block.f[0], block.f[-1]
            width, d = first.weight.shape
            first.weight.copy_(torch.randn(width, d, generator=gen) * BLOCK_GAIN / d**0.5)
            first.bias.copy_(torch.randn(width, generator=gen) * BLOCK_GAIN)
            last.weight.zero_()
            last.bias.zero_()
        nn.init.normal_(net.head.weight, 0.0, 1.0, generator=gen)
        net.head.bias.zero_()
