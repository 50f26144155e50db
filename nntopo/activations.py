"""The activations: one table for training (torch), geometry (numpy), captions and diagnostics.

Torch is imported only when a torch function is called, so the CLI can list and check the
activations without loading it. `invertible` says whether applying the activation pointwise is
a homeomorphism onto its image (the essay: not for ReLU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.1


def _torch():
    import torch

    return torch


@dataclass(frozen=True)
class Activation:
    name: str  # the CLI's and the recording's name
    display: str  # how captions write it
    invertible: bool  # pointwise, a homeomorphism onto its image
    numpy_fn: Callable[[np.ndarray], np.ndarray]
    numpy_deriv: Callable[[np.ndarray], np.ndarray]  # sigma'(z), for the Jacobian stretch
    torch_fn: Callable  # tensor -> tensor
    torch_deriv: Callable  # sigma'(z), for the contractive penalty

    def describe(self) -> str:
        """The activation stage's caption: 'tanh, pointwise' (and why it is not invertible)."""
        text = f"{self.display}, pointwise"
        return text if self.invertible else text + " (not invertible: folds the plane)"


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "tanh", "tanh", True, np.tanh, lambda z: 1 - np.tanh(z) ** 2,
            lambda x: _torch().tanh(x), lambda z: 1 - _torch().tanh(z) ** 2,
        ),
        Activation(
            "sigmoid", "sigmoid", True, _np_sigmoid, lambda z: _np_sigmoid(z) * (1 - _np_sigmoid(z)),
            lambda x: _torch().sigmoid(x), lambda z: _torch().sigmoid(z) * (1 - _torch().sigmoid(z)),
        ),
        Activation(
            "softplus", "softplus", True, lambda x: np.logaddexp(0.0, x), _np_sigmoid,
            lambda x: _torch().nn.functional.softplus(x), lambda z: _torch().sigmoid(z),
        ),
        Activation(
            "relu", "ReLU", False, lambda x: np.maximum(x, 0.0), lambda z: (z > 0).astype(np.float64),
            lambda x: _torch().relu(x), lambda z: (z > 0).to(z.dtype),
        ),
        Activation(
            "leaky-relu", "leaky ReLU", True,
            lambda x: np.where(x > 0, x, LEAKY_SLOPE * x), lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
            lambda x: _torch().nn.functional.leaky_relu(x, LEAKY_SLOPE),
            lambda z: _torch().where(z > 0, 1.0, LEAKY_SLOPE).to(z.dtype),
        ),
    ]
}
