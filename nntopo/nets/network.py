"""The numpy network a recording holds: hidden layers, then a linear classifier (float64).

One class per layer kind, named as the CLI names them (`LAYERS`):

    dense          Dense        x -> act(W x + b)
    vector-field   VectorField  x -> x + F(x),  F(x) = sum_i v_i f_i(x) / (1 + sum_i f_i(x)),
                                f_i(x) = exp(-|x - a_i|^2 / (2 s_i^2))   (the essay's proposed layer)
    residual       Residual     x -> x + h f(x),  f a chain of dense layers R^d -> R^d (a ResNet block)
    ode            ODE          x -> the flow of dx/dt = f(t, x) from t0 to t1 (a neural ODE), the
                                state first padded with `augment` zeros (an augmented ODE)

Every layer has `__call__` (its map) and `jacobian` (its map's Jacobian). A vector-field layer
and a residual block also have `field` (F alone, h f for a block) and `field_jacobian` (J_F), so
the step's Jacobian is I + J_F: both play as the essay's step x -> x + t F(x). A neural ODE is
played as its flow, the state integrated to every frame's time by the model's own solver
(solvers.py).
The classifier (the head) is a linear map to C outputs: one logit (C = 1, the essay's: class 1
where v . h + c > 0) or C scores under a softmax. A binary head's decision boundary in the last
representation is the line (hyperplane) v . h + c = 0 that the essay draws (`separator`; for two
softmax outputs v and c are the differences of their rows).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .activations import Activation, activation
from ..errors import HeadError

if TYPE_CHECKING:
    from .solvers import Solver


@dataclass(frozen=True)
class Dense:
    """act(W x + b): a layer of a fixed width."""

    W: np.ndarray  # (out, in)
    b: np.ndarray  # (out,)
    activation: str  # a key of ACTIVATIONS
    param: float | None = None  # the activation's parameter (leaky ReLU's slope); None: default

    kind: ClassVar[str] = "dense"
    trained: ClassVar[tuple[str, ...]] = ("W", "b")  # what training changes (snapshots hold it)

    @property
    def in_dim(self) -> int:
        return self.W.shape[1]

    @property
    def out_dim(self) -> int:
        return self.W.shape[0]

    @property
    def label(self) -> str:
        """How the panel and `inspect` name the layer: its width."""
        return str(self.out_dim)

    @property
    def act(self) -> Activation:
        """The activation with this layer's parameter."""
        return activation(self.activation, self.param)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """act(W x + b) for points x (N, in) -> (N, out)."""
        return self.act.numpy_fn(x @ self.W.T + self.b)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """The layer map's Jacobian at points x (N, in): (N, out, in)."""
        d = self.act.numpy_deriv(x @ self.W.T + self.b)  # (N, out)
        return d[:, :, None] * self.W[None]


@dataclass(frozen=True)
class VectorField:
    """x -> x + F(x) on R^d: anchors from the training set, learned vectors and widths."""

    anchors: np.ndarray  # (K, d) where the Gaussians sit (in this layer's input space)
    vectors: np.ndarray  # (K, d) the learned v_i
    widths: np.ndarray  # (K,) the Gaussians' standard deviations s_i

    kind: ClassVar[str] = "vector-field"
    trained: ClassVar[tuple[str, ...]] = ("vectors", "widths")  # anchors stay where they were put

    @property
    def in_dim(self) -> int:
        return self.anchors.shape[1]

    out_dim = in_dim

    @property
    def label(self) -> str:
        """A vector-field step is marked F: 'F2'."""
        return f"F{self.out_dim}"

    def _weights(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diff = x[:, None, :] - self.anchors[None]  # (N, K, d)
        return np.exp(-(diff**2).sum(-1) / (2 * self.widths**2)), diff  # (N, K), (N, K, d)

    def field(self, x: np.ndarray) -> np.ndarray:
        """F at points x (N, d) -> (N, d)."""
        f, _ = self._weights(x)
        return (f @ self.vectors) / (1.0 + f.sum(1, keepdims=True))

    def field_jacobian(self, x: np.ndarray) -> np.ndarray:
        """J_F at points x (N, d) -> (N, d, d), by the quotient rule."""
        f, diff = self._weights(x)
        grad_f = -f[..., None] * diff / self.widths[None, :, None] ** 2  # (N, K, d): grad f_i
        num = f @ self.vectors  # (N, d)
        den = 1.0 + f.sum(1)  # (N,)
        J_num = np.einsum("ki,nkj->nij", self.vectors, grad_f)  # sum_i v_i grad f_i^T
        return (J_num * den[:, None, None] - num[:, :, None] * grad_f.sum(1)[:, None, :]) / den[:, None, None] ** 2

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The step x + F(x) for points x (N, d) -> (N, d)."""
        return x + self.field(x)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """The step's Jacobian I + J_F at points x (N, d): (N, d, d)."""
        return np.eye(self.in_dim) + self.field_jacobian(x)


def chain(f: tuple[Dense, ...], x: np.ndarray) -> np.ndarray:
    """f's layers one after the other on points x (N, in) -> (N, out)."""
    for layer in f:
        x = layer(x)
    return x


def chain_jacobian(f: tuple[Dense, ...], x: np.ndarray) -> np.ndarray:
    """The Jacobian of f's chain at points x (N, in): (N, out, in)."""
    J = None
    for layer in f:
        Jl = layer.jacobian(x)
        J = Jl if J is None else Jl @ J
        x = layer(x)
    return J


@dataclass(frozen=True)
class Residual:
    """x -> x + h f(x): a residual block whose f is a chain of dense layers R^d -> ... -> R^d."""

    f: tuple[Dense, ...]  # the block's layers, the first reading d inputs, the last giving d outputs
    h: float = 1.0  # the constant step: x + h f(x)

    kind: ClassVar[str] = "residual"
    trained: ClassVar[tuple[str, ...]] = ()  # snapshots hold no block parameters (training scenes: dense only)

    @property
    def in_dim(self) -> int:
        return self.f[0].in_dim

    out_dim = in_dim

    @property
    def label(self) -> str:
        """A residual block is marked R: 'R2'."""
        return f"R{self.out_dim}"

    def field(self, x: np.ndarray) -> np.ndarray:
        """h f(x) at points x (N, d) -> (N, d)."""
        return self.h * chain(self.f, x)

    def field_jacobian(self, x: np.ndarray) -> np.ndarray:
        """h J_f at points x (N, d) -> (N, d, d)."""
        return self.h * chain_jacobian(self.f, x)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x + self.field(x)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return np.eye(self.in_dim) + self.field_jacobian(x)


@dataclass(frozen=True)
class ODE:
    """The flow of dx/dt = f(t, x) from t0 to t1, as the model's solver integrates it (a neural
    ODE); the state is the input padded with `augment` zeros (ANODE). f is a chain of dense
    layers on the state (and, if `time`, on t as one more input: the first layer's last column)."""

    f: tuple[Dense, ...]  # the field's layers: state (+ t) -> ... -> state
    t0: float  # the integration interval, as the model's time tensor gives it
    t1: float
    solver: "Solver"  # the model's method and settings (solvers.Solver)
    time: bool = False  # f reads t too (the first layer has state + 1 columns, t the last)
    augment: int = 0  # zeros appended to the input before integrating

    kind: ClassVar[str] = "ode"
    trained: ClassVar[tuple[str, ...]] = ()

    @property
    def state_dim(self) -> int:
        return self.f[-1].out_dim

    @property
    def in_dim(self) -> int:
        return self.state_dim - self.augment

    @property
    def out_dim(self) -> int:
        return self.state_dim

    @property
    def label(self) -> str:
        """A neural ODE is marked ODE: 'ODE2', an augmented one 'ODE2+1'."""
        return f"ODE{self.in_dim}" + (f"+{self.augment}" if self.augment else "")

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        """f(t, y) at states y (N, D) -> (N, D)."""
        if self.time:
            y = np.concatenate([y, np.full((len(y), 1), t)], 1)
        return chain(self.f, y)

    def rhs_jacobian(self, t: float, y: np.ndarray) -> np.ndarray:
        """df/dy at states y (N, D) -> (N, D, D)."""
        if self.time:
            J = chain_jacobian(self.f, np.concatenate([y, np.full((len(y), 1), t)], 1))
            return J[:, :, :-1]
        return chain_jacobian(self.f, y)

    def lift(self, x: np.ndarray) -> np.ndarray:
        """Inputs x (N, d) as states (N, D): padded with `augment` zeros."""
        return np.pad(x, ((0, 0), (0, self.augment))) if self.augment else x

    def flow(self, y: np.ndarray, fractions: np.ndarray) -> tuple[np.ndarray, int]:
        """States y (N, D) carried to t0 + u (t1 - t0) for u in fractions (F,): (F, N, D), and the
        solver's evaluations of f. Every u is integrated in one pass; u = 1 gives exactly what
        the model computes for this batch."""
        from .solvers import frames

        u = np.asarray(fractions, dtype=np.float64)
        states, end, nfe = frames(self.rhs, y, self.t0, self.t1, u, self.solver)
        states = np.array(states)
        states[u == 1.0] = end
        return states, nfe

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The flow's end for points x (N, d) -> (N, D), as the model's solver gives it for this batch."""
        from .solvers import frames

        return frames(self.rhs, self.lift(x), self.t0, self.t1, np.ones(1), self.solver)[1]

    def flow_jacobian(self, y: np.ndarray) -> np.ndarray:
        """The Jacobian of the flow map at states y (N, D): (N, D, D)."""
        from .solvers import flow_jacobian

        return flow_jacobian(self.rhs, self.rhs_jacobian, y, self.t0, self.t1, np.ones(1), self.solver)[1][0]

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """The layer's Jacobian at inputs x (N, d): the flow's, restricted to the input (N, D, d)."""
        return self.flow_jacobian(self.lift(x))[:, :, : self.in_dim]


Layer = Dense | VectorField | Residual | ODE
LAYERS: dict[str, type] = {cls.kind: cls for cls in (Dense, VectorField, Residual, ODE)}


@dataclass(frozen=True)
class Network:
    layers: tuple[Layer, ...]
    head_w: np.ndarray  # (C, k) the classifier's rows on the last representation; C = 1: one logit
    head_b: np.ndarray  # (C,)

    def __post_init__(self) -> None:
        w = np.asarray(self.head_w, dtype=np.float64)
        object.__setattr__(self, "head_w", w.reshape(1, -1) if w.ndim == 1 else w)
        object.__setattr__(self, "head_b", np.asarray(self.head_b, dtype=np.float64).reshape(-1))

    def representations(self, x: np.ndarray) -> list[np.ndarray]:
        """[x, h1, ..., hL] for points x (N, d): layers + 1 arrays of shape (N, d_l)."""
        reps = [x]
        for layer in self.layers:
            reps.append(layer(reps[-1]))
        return reps

    @property
    def widths(self) -> list[int]:
        """Every representation's width but the input's: (layers,)."""
        return [layer.out_dim for layer in self.layers]

    def labels(self) -> list[str]:
        """Each hidden layer's name for the panel and `inspect`: ['F2', 'F2', '3']."""
        return [layer.label for layer in self.layers]

    @property
    def anchors(self) -> int | None:
        """Anchors per vector-field step (None: the network has none)."""
        return next((len(layer.anchors) for layer in self.layers if layer.kind == "vector-field"), None)

    def activations(self) -> list[Activation]:
        """The dense layers' activations, each once, in order of first use."""
        seen: dict[tuple, Activation] = {}
        for layer in self.layers:
            if layer.kind == "dense":
                seen.setdefault((layer.activation, layer.param), layer.act)
            for d in getattr(layer, "f", ()):  # a block's or flow's f (its identity output layer unsaid)
                if d.activation != "identity":
                    seen.setdefault((d.activation, d.param), d.act)
        return list(seen.values())

    @property
    def activation(self) -> str | None:
        """How captions name the dense layers' activations: 'tanh', 'leaky ReLU 0.3, tanh'
        (None: the network has no dense layer)."""
        acts = self.activations()
        return ", ".join(a.label for a in acts) if acts else None

    @property
    def classes(self) -> int:
        """How many classes the head tells apart: 2 for one logit, else its outputs."""
        return max(2, len(self.head_b))

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """(N, C) the head's outputs, as the network itself returns them (logits, not softmaxed)."""
        return self.representations(x)[-1] @ self.head_w.T + self.head_b

    @property
    def separator(self) -> tuple[np.ndarray, float]:
        """(v (k,), c): the binary decision is v . h + c > 0 (class 1) in the last representation."""
        if len(self.head_b) == 1:
            return self.head_w[0], float(self.head_b[0])
        if len(self.head_b) == 2:
            return self.head_w[1] - self.head_w[0], float(self.head_b[1] - self.head_b[0])
        raise HeadError(f"this network tells {len(self.head_b)} classes apart; it has no single separating "
                        "hyperplane (the recording keeps all of its classes)")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(N,) the binary logit; positive means class 1 (B). Binary heads only."""
        v, c = self.separator
        return self.representations(x)[-1] @ v + c

    def probability(self, x: np.ndarray) -> np.ndarray:
        """(N,) probability of class 1 (B). Binary heads only."""
        return 0.5 * (1.0 + np.tanh(0.5 * self.logits(x)))

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, C) the probability of every class (the softmax; two classes: 1 - p, p)."""
        out = self.outputs(x)
        if out.shape[1] == 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * out[:, 0]))
            return np.stack([1.0 - p, p], 1)
        e = np.exp(out - out.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N,) the class: 0 or 1 for a binary head, the most probable of C otherwise."""
        out = self.outputs(x)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(1).astype(np.int64)

    @property
    def parameters(self) -> int:
        """How many numbers the network holds (weights, biases, vectors, widths, the head's)."""
        count = self.head_w.size + self.head_b.size
        for layer in self.layers:
            parts = layer.f if hasattr(layer, "f") else (layer,)
            for p in parts:
                count += sum(getattr(p, k).size for k in p.trained)
        return int(count)

    def with_params(self, params: tuple[dict[str, np.ndarray], ...], head_w: np.ndarray,
                    head_b: np.ndarray) -> "Network":
        """The same layers with other trained parameters (a training snapshot's)."""
        layers = tuple(replace(layer, **p) for layer, p in zip(self.layers, params))
        return Network(layers, head_w, head_b)
