"""Shared fixtures: a tiny trained recording, made once per session."""

import pytest

from nntopo.model import NetConfig
from nntopo.train import TrainConfig, record


@pytest.fixture(scope="session")
def tiny_recording():
    """Spirals, two 2-unit tanh layers, a few steps: real training, small and fast."""
    cfg = TrainConfig(steps=60, restarts=2, snapshot_every=20)
    return record("spirals", NetConfig(2, 2, 2, "tanh"), cfg, seed=3, n_per_class=40)
