"""Shared fixtures: a tiny trained recording, made once per session."""

import pytest

from nntopo.config import NetConfig, TrainConfig
from nntopo.training import record


@pytest.fixture(scope="session")
def tiny_recording():
    """Spirals, two 2-unit tanh layers, a few steps: real training, small and fast."""
    cfg = TrainConfig(steps=60, restarts=2, snapshot_every=20)
    return record("spirals", NetConfig(2, 2, 2, "tanh"), cfg, seed=3, n_per_class=40)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, installed here when missing; the test is skipped only if that fails."""
    import os
    import shutil
    import subprocess

    path = shutil.which("chromium")
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "install", "-y", "-qq", "chromium"],
                    ["sh", "-c", "apt-get update -qq && apt-get install -y -qq chromium"]):
            subprocess.run(cmd, env=env, capture_output=True, timeout=1200)
            path = shutil.which("chromium")
            if path:
                break
    if path is None:
        pytest.skip("Chromium is not installed and `apt-get install chromium` was not possible here")
    return path
