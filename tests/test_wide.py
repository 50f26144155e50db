"""Wide inputs (64 and 784 dimensions): stretch, field steps, separability, Betti numbers and
`inspect`, exact where they can be and bounded in memory; what was subsampled is said."""

import tracemalloc

import numpy as np
import pytest

from nntopo import recording
from nntopo.analysis import inspect as diagnostics, metrics, report, topology
from nntopo.nets.network import Dense, Network, VectorField


def dense_net(dims, seed=0, activation="tanh", classes=3):
    """A seeded numpy network: dims[0] inputs, hidden widths dims[1:], a C-way head."""
    rng = np.random.default_rng(seed)
    layers = tuple(Dense(rng.standard_normal((b, a)) / np.sqrt(a), 0.1 * rng.standard_normal(b), activation)
                   for a, b in zip(dims[:-1], dims[1:]))
    return Network(layers, rng.standard_normal((classes, dims[-1])), np.zeros(classes))


def clusters(d, per, k=3, seed=0, apart=20.0, noise=0.1, centers_of=None):
    """k Gaussian clusters in R^d, `apart` from the origin in random directions: X (k per, d),
    cluster index (k per,). centers_of: class of each cluster (default: its own)."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((k, d))
    c *= apart / np.linalg.norm(c, axis=1, keepdims=True)
    X = np.concatenate([c[j] + noise * rng.standard_normal((per, d)) for j in range(k)])
    y = np.repeat(np.arange(k) if centers_of is None else np.asarray(centers_of), per)
    return X, y


def wide_recording(net, X, y):
    """The user's own points through a numpy network: a Recording as nntopo.record makes one."""
    meta = recording.Meta(recording.Data("clusters", "torch", n_points=len(X)), recording.NetSource(model="by hand"),
                          recording.Metrics(train_accuracy=float(np.mean(net.predict(X) == y))))
    return recording.Recording(meta, X, y, net, recording.Snapshots.none(net))


def old_stretch(net, X):
    """The formula before wide inputs: the whole Jacobian (N, d_L, d), then its SVD."""
    J = np.broadcast_to(np.eye(X.shape[1]), (len(X), X.shape[1], X.shape[1]))
    h = X
    for layer in net.layers:
        J = layer.jacobian(h) @ J
        h = layer(h)
    return np.linalg.svd(J, compute_uv=False)[:, 0], J


# --- metrics --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [(2, 3, 2), (3, 8, 8, 4), (2, 2), (1, 2, 2)])
def test_stretch_is_the_old_formula_bit_for_bit_on_small_inputs(dims):
    net = dense_net(dims, classes=2)
    X = np.random.default_rng(1).standard_normal((400, dims[0]))
    sv, J = old_stretch(net, X)
    assert np.array_equal(metrics.stretch(net, X), sv)
    assert np.array_equal(metrics.jacobians(net, X), J)


def test_stretch_of_a_wide_input_equals_the_whole_jacobians():
    net = dense_net((64, 16, 8))
    X = np.random.default_rng(1).standard_normal((200, 64))
    sv, J = old_stretch(net, X)
    assert np.allclose(metrics.stretch(net, X), sv, rtol=1e-12)
    assert np.allclose(metrics.jacobians(net, X), J, rtol=1e-12, atol=1e-14)
    eps = 1e-6  # and the Jacobian is the map's: central differences along a few pixels
    for k in (0, 17, 63):
        e = np.zeros(64)
        e[k] = eps
        fd = (net.representations(X[:5] + e)[-1] - net.representations(X[:5] - e)[-1]) / (2 * eps)
        assert np.allclose(metrics.jacobians(net, X[:5])[:, :, k], fd, atol=1e-7)


def test_stretch_of_784_pixels_stays_in_bounded_memory():
    """2,000 points of 784 dimensions through 64-wide layers: the old formula held (N, 64, 784),
    800 MB; read through W1's rows and in chunks it takes a few tens of MB."""
    net = dense_net((784, 64, 64, 10))
    X = np.random.default_rng(2).standard_normal((2000, 784))
    tracemalloc.start()
    sv = metrics.stretch(net, X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20, peak
    assert sv.shape == (2000,) and np.isfinite(sv).all() and (sv > 0).all()
    ref, _ = old_stretch(net, X[:50])
    assert np.allclose(sv[:50], ref, rtol=1e-10)


def test_field_steps_skip_the_lattice_without_a_field_and_check_wide_steps_on_points():
    net = dense_net((64, 8, 4))
    X = np.random.default_rng(0).standard_normal((100, 64))
    assert metrics.field_steps(net, X, 1.2) == ()  # 9^64 lattice points were built before
    rng = np.random.default_rng(3)
    field = VectorField(rng.standard_normal((5, 6)), 0.1 * rng.standard_normal((5, 6)), np.ones(5))
    wide = Network((field, Dense(rng.standard_normal((2, 6)), np.zeros(2), "tanh")), np.ones(2), 0.0)
    X6 = rng.standard_normal((300, 6))
    (step,) = metrics.field_steps(wide, X6, 1.2)
    assert step.layer == 0 and 0 < step.lipschitz < 1 and step.invertible and not step.folds
    assert len(metrics.field_window(X6, 1.2)) == metrics.FIELD_AROUND  # seeded points around the data
    assert np.array_equal(metrics.field_window(X6, 1.2), metrics.field_window(X6, 1.2))


def test_homeomorphism_of_a_narrowing_wide_layer():
    assert not metrics.homeomorphism(dense_net((784, 32, 16)), ())
    assert metrics.homeomorphism(dense_net((4, 8, 8)), ())  # widening, tanh: injective


# --- topology -------------------------------------------------------------------------------------


def test_betti_b0_of_well_separated_clusters_in_784_dimensions():
    for k in (1, 2, 3):
        X, _ = clusters(784, 100, k)
        assert topology.betti(X, 1, whitened=False) == (k, 0)
    # whitening would have blown the noise up to the clusters' distance: one blob
    assert topology.betti(clusters(784, 100, 2)[0], 1) == (1, 0)


def test_a_circle_in_64_dimensions_has_one_hole():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    B = np.linalg.qr(rng.standard_normal((64, 2)))[0]
    X = np.c_[np.cos(t), np.sin(t)] @ B.T + 0.01 * rng.standard_normal((200, 64))
    assert topology.betti(X, 1, whitened=False) == (1, 1)


def test_whiten_and_spread_with_fewer_points_than_dimensions():
    X = np.random.default_rng(0).standard_normal((10, 50)) * np.linspace(1, 5, 50)
    W = topology.whiten(X)
    assert W.shape == (10, 9) and np.allclose(np.var(W, axis=0, ddof=1), 1.0)
    assert np.array_equal(W, topology.whiten(X))  # deterministic
    S = topology.spread(X)
    from scipy.spatial.distance import pdist

    ratio = pdist(X) / pdist(S)
    assert S.shape[1] <= 10 and np.allclose(ratio, ratio[0])  # a similarity


def test_stratified_subsample_is_deterministic_and_balanced():
    y = np.repeat([0, 1, 2], [500, 300, 40])
    idx = topology.stratified(y, 300)
    assert np.array_equal(idx, topology.stratified(y, 300))
    assert np.bincount(y[idx]).tolist() == [100, 100, 40]


def test_large_separability_decided_by_certificate_or_proof(monkeypatch):
    monkeypatch.setattr(topology, "LP_ENTRIES", 0)  # every problem takes the large path
    X, y = clusters(784, 60, 3)
    assert topology.separability(X, y) == topology.Separability(True, True, 180)
    y_bad = y.copy()
    y_bad[0] = 1  # a point of cluster 0 called 1 ...
    X_bad = X.copy()
    X_bad[0] = X[1]  # ... sitting on a point of class 0: no linear head gets both right
    sep = topology.separability(X_bad, y_bad)
    assert not sep.separable and sep.exact


def test_separability_undecided_on_a_subsample_says_so(monkeypatch):
    monkeypatch.setattr(topology, "LP_ENTRIES", 0)
    monkeypatch.setattr(topology, "LP_NONZEROS", 40 * 65)  # room for 40 points of 64 columns
    monkeypatch.setattr(topology, "LP_ROUNDS", 1)
    monkeypatch.setattr(topology, "_certificate", lambda X, y: np.zeros(len(X)))  # none found
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 64))
    y = (X[:, 0] + 0.05 * rng.standard_normal(400) > 0).astype(np.int64)  # separable only with luck
    sep = topology.separability(X, y)
    assert not sep.exact and sep.points <= 40


def test_a_large_lp_goes_to_the_interior_point_method_and_to_the_simplex_when_that_is_undecided(monkeypatch):
    """The sparse LPs of the large path: IPM first (it proved in 2.5 s what the dual simplex gave
    up on after 40 s), the simplex only when IPM ends neither feasible nor infeasible."""
    import scipy.sparse
    from scipy import optimize

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 12))
    for y, status in (((X[:, 0] > 0).astype(np.int64), 0), (rng.integers(0, 2, 300), 2)):
        A = scipy.sparse.csr_matrix(-np.where(y == 1, 1.0, -1.0)[:, None] * np.hstack([X, np.ones((300, 1))]))
        methods = []
        real = optimize.linprog

        def spy(*args, undecided=False, **kw):
            methods.append(kw["method"])
            res = real(*args, **kw)
            if undecided and kw["method"] == "highs-ipm":
                res.status = 4  # as HiGHS says "numerical difficulties"
            return res

        monkeypatch.setattr(topology, "linprog", spy)
        assert topology._solve(A, 300).status == status and methods == ["highs-ipm"]
        methods.clear()
        monkeypatch.setattr(topology, "linprog", lambda *a, **kw: spy(*a, undecided=True, **kw))
        assert topology._solve(A, 300).status == status and methods == ["highs-ipm", "highs"]
        methods.clear()
        monkeypatch.setattr(topology, "linprog", spy)
        dense = topology._solve(A.toarray(), 300)  # a small dense LP: HiGHS's own choice, as before
        assert dense.status == status and methods == ["highs"]


def test_linear_accuracy_fits_a_subsample_and_scores_all():
    X, y = clusters(8, 200, 2, noise=15.0)  # overlapping: not separable
    acc = topology.linear_accuracy(X, y, known=False, max_points=100, max_iter=200)
    assert 0.5 < acc < 1.0


# --- inspect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [64, 784])
def test_inspect_a_wide_network_stage_by_stage(d):
    X, y = clusters(d, 60, 3, seed=1)
    rec = wide_recording(dense_net((d, 16, 8), seed=2), X, y)
    rep = diagnostics.inspect(rec)
    assert len(rep.stages) == 6 and [s.stage for s in rep.stages[:3]] == ["linear", "translate", "activate"]
    assert rep.input_separable and rep.first_separable == 0  # clusters far apart in R^d
    assert rep.input_betti == ((1, 0),) * 3  # each cluster one piece; b0, b1 only
    assert rep.input_dim == d and rep.carried_dim <= 3 + 16 and rep.betti_dims == 1
    assert rep.points == 180 and rep.topology_cloud == 60 and not rep.topology_fresh
    assert rep.lp_points is None and rep.svc_points is None  # all exact, on every point
    first = rep.stages[0]
    assert not first.homeomorphism and first.why == f"narrows R^{d} -> R^16"
    W = rec.net.layers[0].W
    assert first.cond == pytest.approx(np.linalg.cond(W), rel=1e-9)  # of W on R^d itself
    assert first.stretch_max == pytest.approx(np.linalg.svd(W, compute_uv=False)[0], rel=1e-9)
    stretch = metrics.stretch(rec.net.__class__(rec.net.layers[:1], np.ones(16), 0.0), X)
    assert rep.stages[2].stretch_max == pytest.approx(stretch.max(), rel=1e-9)
    words = report.measured_words(rep)
    assert f"carried in {rep.carried_dim} of its {d} dimensions" in words and "b0, b1 (" in words


def test_inspect_two_clusters_of_one_class_and_a_collapsing_layer():
    X, y = clusters(784, 60, 3, seed=4, centers_of=[0, 0, 1])  # class 0: two far clusters
    good = dense_net((784, 6, 4), seed=5, classes=2)
    rep = diagnostics.inspect(wide_recording(good, X, y))
    assert rep.input_betti == ((2, 0), (1, 0))
    collapse = Network((Dense(np.zeros((6, 784)), np.zeros(6), "tanh"),) + good.layers[1:], good.head_w, good.head_b)
    rep = diagnostics.inspect(wide_recording(collapse, X, y))
    assert rep.input_separable  # the input is, ...
    assert not any(s.separable for s in rep.stages)  # ... one point is not
    assert rep.stages[0].betti == ((1, 0), (1, 0))


def test_inspect_says_what_it_subsampled(monkeypatch):
    """More points per class than persistent homology takes, and an LP that ran out of rounds:
    the Report says so, and so does the line `nntopo inspect` prints."""
    X, y = clusters(64, 400, 2, seed=6)
    rec = wide_recording(dense_net((64, 8), seed=7, classes=2), X, y)
    real = topology.separability
    monkeypatch.setattr(diagnostics, "separability",
                        lambda X, y: topology.Separability(real(X, y).separable, False, 123))
    rep = diagnostics.inspect(rec)
    assert rep.topology_cloud == 400 and rep.topology_points == topology.MAX_PH_POINTS
    assert rep.lp_points == 123
    words = report.measured_words(rep)
    assert "a farthest-point sample of 300" in words and "only 123 of 800 points" in words


@pytest.mark.slow
def test_inspect_bounds_the_jacobians_of_a_wide_layer():
    """128-wide: the old (N, D, D) Jacobians of 750 points would be 103 MB; chunked, far less.
    (The libraries are imported first: tracemalloc would count, and slow, their imports.)"""
    import ripser  # noqa: F401
    import scipy.optimize  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.svm  # noqa: F401

    X, y = clusters(784, 250, 3, seed=8)
    rec = wide_recording(dense_net((784, 128), seed=9), X, y)
    tracemalloc.start()
    rep = diagnostics.inspect(rec)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 60 * 2**20, peak
    assert rep.carried_dim == 131 and len(rep.stages) == 3 and np.isfinite(rep.stages[2].stretch_max)
