"""Persistence from ripser's compiled core (analysis/topology.rips_diagrams): the diagrams
ripser's own wrapper gives, to the last bit, without importing scikit-learn."""

import subprocess
import sys

import numpy as np
import pytest

from nntopo.analysis.topology import euclidean, rips_diagrams


@pytest.mark.parametrize("n, d, maxdim", [(3, 1, 1), (50, 2, 1), (300, 3, 1), (120, 5, 2), (300, 64, 1)])
def test_the_diagrams_are_ripsers_own(n, d, maxdim):
    from ripser import ripser

    rng = np.random.default_rng(n + d)
    P = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d)
    ours, theirs = rips_diagrams(P, maxdim), ripser(P, maxdim=maxdim)["dgms"]
    assert len(ours) == len(theirs) == maxdim + 1
    for a, b in zip(ours, theirs):
        assert np.array_equal(a, b)


def test_the_distances_are_scikit_learns():
    from sklearn.metrics.pairwise import pairwise_distances

    P = np.random.default_rng(1).normal(size=(200, 7))
    assert np.array_equal(euclidean(P), pairwise_distances(P))


def test_measuring_topology_imports_no_scikit_learn():
    code = ("import sys, numpy as np; from nntopo.analysis.topology import betti; "
            "print(betti(np.random.default_rng(0).normal(size=(100, 2)))); "
            "print('sklearn' in sys.modules, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[1] == "False False"
