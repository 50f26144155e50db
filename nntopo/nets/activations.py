"""The activations: one table for training (torch), geometry (numpy), captions and the measured numbers (analysis).

An activation is a family (`ACTIVATIONS`, by name) with at most one number, its parameter
(leaky ReLU's slope, softplus's beta, ELU's alpha); `ACTIVATIONS[name]` has the default one and
`activation(name, param)` any other. Torch is imported only when a torch function is called,
so the CLI can list and check the activations without loading it. `invertible` says whether
applying the activation pointwise is a homeomorphism onto its image (the essay: not for ReLU;
nor for the non-monotone GELU and SiLU, which fold a little below zero).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConfigError

LEAKY_SLOPE = 0.1  # the CLI's leaky ReLU (torch's default is 0.01)
SOFTPLUS_THRESHOLD = 20.0  # torch's softplus is x itself where beta x > this


def _torch():
    import torch

    return torch


def _F():
    return _torch().nn.functional


@dataclass(frozen=True)
class Activation:
    name: str  # the CLI's and the recording's name
    display: str  # how captions write it
    # Pointwise, as functions of (values, param): numpy and torch, each with its derivative
    # sigma'(z) (numpy: the Jacobian stretch; torch: the contractive penalty).
    np_fn: Callable
    np_deriv: Callable
    t_fn: Callable
    t_deriv: Callable
    monotone: Callable[[float | None], bool]  # given the param: strictly increasing (invertible)
    param_name: str | None = None  # what the parameter is called ("slope"), None: no parameter
    param: float | None = None  # its value

    def with_param(self, param: float | None) -> "Activation":
        """This activation with another parameter (None: the default)."""
        if param is None or self.param_name is None:
            return self
        if not math.isfinite(param):
            raise ConfigError(f"{self.name} {self.param_name}", param, "must be a finite number")
        return replace(self, param=float(param))

    @property
    def invertible(self) -> bool:
        """Pointwise, a homeomorphism onto its image."""
        return self.monotone(self.param)

    @property
    def label(self) -> str:
        """The display name with its parameter when it is not the default: 'leaky ReLU 0.3'."""
        default = ACTIVATIONS[self.name].param if self.name in ACTIVATIONS else None
        return self.display if self.param == default else f"{self.display} {self.param:g}"

    def numpy_fn(self, x: np.ndarray) -> np.ndarray:
        return self.np_fn(x, self.param)

    def numpy_deriv(self, z: np.ndarray) -> np.ndarray:
        return self.np_deriv(z, self.param)

    def torch_fn(self, x):
        return self.t_fn(x, self.param)

    def torch_deriv(self, z):
        return self.t_deriv(z, self.param)

    def describe(self) -> str:
        """The activation stage's caption: 'tanh, pointwise' (and why it is not invertible)."""
        text = f"{self.label}, pointwise"
        return text if self.invertible else text + " (not invertible: folds the space)"


def activation(name: str, param: float | None = None) -> Activation:
    """The activation `name` with its parameter (None: the default); unknown names are refused."""
    if name not in ACTIVATIONS:
        raise ConfigError("activation", repr(name), f"expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name].with_param(param)


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|


def _np_erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)


def _np_gelu(x, p):
    return 0.5 * x * (1.0 + _np_erf(x / math.sqrt(2.0)))


def _np_gelu_deriv(z, p):
    return 0.5 * (1.0 + _np_erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


_C = math.sqrt(2.0 / math.pi)  # GELU's tanh approximation: 0.5 x (1 + tanh(c (x + 0.044715 x^3)))


def _np_gelu_tanh(x, p):
    return 0.5 * x * (1.0 + np.tanh(_C * (x + 0.044715 * x**3)))


def _np_gelu_tanh_deriv(z, p):
    t = np.tanh(_C * (z + 0.044715 * z**3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _C * (1.0 + 3 * 0.044715 * z * z)


def _t_gelu_tanh_deriv(z, p):
    t = _torch().tanh(_C * (z + 0.044715 * z**3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _C * (1.0 + 3 * 0.044715 * z * z)


def _always(p) -> bool:
    return True


def _never(p) -> bool:
    return False


def _positive(p) -> bool:
    return p is not None and p > 0


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "tanh", "tanh", lambda x, p: np.tanh(x), lambda z, p: 1 - np.tanh(z) ** 2,
            lambda x, p: _torch().tanh(x), lambda z, p: 1 - _torch().tanh(z) ** 2, _always,
        ),
        Activation(
            "sigmoid", "sigmoid", lambda x, p: _np_sigmoid(x),
            lambda z, p: _np_sigmoid(z) * (1 - _np_sigmoid(z)),
            lambda x, p: _torch().sigmoid(x), lambda z, p: _torch().sigmoid(z) * (1 - _torch().sigmoid(z)),
            _always,
        ),
        # log(1 + exp(beta x)) / beta, and x where beta x > 20: torch's softplus, switch included
        Activation(
            "softplus", "softplus",
            lambda x, p: np.where(p * x > SOFTPLUS_THRESHOLD, x, np.logaddexp(0.0, p * x) / p),
            lambda z, p: _np_sigmoid(p * z),
            lambda x, p: _F().softplus(x, beta=p), lambda z, p: _torch().sigmoid(p * z),
            _positive, "beta", 1.0,
        ),
        Activation(
            "relu", "ReLU", lambda x, p: np.maximum(x, 0.0), lambda z, p: (z > 0).astype(np.float64),
            lambda x, p: _torch().relu(x), lambda z, p: (z > 0).to(z.dtype), _never,
        ),
        Activation(
            "leaky-relu", "leaky ReLU",
            lambda x, p: np.where(x > 0, x, p * x), lambda z, p: np.where(z > 0, 1.0, p),
            lambda x, p: _F().leaky_relu(x, p),
            lambda z, p: _torch().where(z > 0, 1.0, p).to(z.dtype),
            _positive, "slope", LEAKY_SLOPE,
        ),
        Activation(
            "elu", "ELU",
            lambda x, p: np.where(x > 0, x, p * np.expm1(np.minimum(x, 0.0))),
            lambda z, p: np.where(z > 0, 1.0, p * np.exp(np.minimum(z, 0.0))),
            lambda x, p: _F().elu(x, p),
            lambda z, p: _torch().where(z > 0, 1.0, p * _torch().exp(z.clamp(max=0))).to(z.dtype),
            _positive, "alpha", 1.0,
        ),
        Activation(
            "silu", "SiLU", lambda x, p: x * _np_sigmoid(x),
            lambda z, p: _np_sigmoid(z) * (1 + z * (1 - _np_sigmoid(z))),
            lambda x, p: _F().silu(x),
            lambda z, p: _torch().sigmoid(z) * (1 + z * (1 - _torch().sigmoid(z))), _never,
        ),
        Activation(
            "gelu", "GELU", _np_gelu, _np_gelu_deriv, lambda x, p: _F().gelu(x),
            lambda z, p: 0.5 * (1 + _torch().erf(z / math.sqrt(2.0)))
            + z * _torch().exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi), _never,
        ),
        Activation(
            "gelu-tanh", "GELU (tanh)", _np_gelu_tanh, _np_gelu_tanh_deriv,
            lambda x, p: _F().gelu(x, approximate="tanh"), _t_gelu_tanh_deriv, _never,
        ),
        Activation(
            "identity", "identity", lambda x, p: x, lambda z, p: np.ones_like(z),
            lambda x, p: x, lambda z, p: _torch().ones_like(z), _always,
        ),
    ]
}
