import dataclasses
import json

from helpers import layer_output, to_torch, trained

import numpy as np
import pytest
import torch

from nntopo.nets import isotopy
from nntopo.analysis import metrics
from nntopo import recording, storyboard
from nntopo.nets import vectorfield as vf
from nntopo.config import NetConfig, TrainConfig
from nntopo.training.model import MLP, VectorFieldLayer
from nntopo.nets.network import VectorField
from nntopo.storyboard import Kind, plane
from nntopo.storyboard.paths import arrow_paths


def test_field_against_a_hand_computation():
    field = VectorField(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 2.0]]),
                     np.array([1.0, 0.5]))
    x = np.array([[0.5, 0.5]])
    f0 = np.exp(-(0.25 + 0.25) / 2)  # |x - a0|^2 = 0.5, s0 = 1
    f1 = np.exp(-(0.25 + 0.25) / (2 * 0.25))  # |x - a1|^2 = 0.5, s1 = 0.5
    expected = (f0 * np.array([1.0, 0.0]) + f1 * np.array([0.0, 2.0])) / (1 + f0 + f1)
    assert np.allclose(field.field(x), expected)
    assert np.allclose(field(x), x + expected)  # the step is x + F(x)


def random_field(seed, scale):
    rng = np.random.default_rng(seed)
    return VectorField(rng.uniform(-1, 1, (6, 2)), scale * rng.standard_normal((6, 2)),
                    rng.uniform(0.2, 0.6, 6))


def test_torch_and_numpy_steps_agree():
    field = random_field(0, 0.3)
    x = np.random.default_rng(1).uniform(-1, 1, (40, 2))
    layer = VectorFieldLayer(torch.tensor(field.anchors), learn_widths=False)
    with torch.no_grad():
        layer.vectors.copy_(torch.tensor(field.vectors))
        layer.fixed_log_widths.copy_(torch.log(torch.tensor(field.widths)))
        out = layer(torch.tensor(x, dtype=torch.float32)).numpy()
        J = layer.field_jacobian(torch.tensor(x, dtype=torch.float64).float()).numpy()
    assert np.allclose(out, field(x), atol=1e-5)
    assert np.allclose(J, field.field_jacobian(x), atol=1e-4)
    fresh = VectorFieldLayer(torch.tensor(field.anchors))
    assert torch.equal(fresh(torch.tensor(x, dtype=torch.float32)), torch.tensor(x, dtype=torch.float32))


def test_jacobian_against_finite_differences():
    field = random_field(2, 1.0)
    x = np.random.default_rng(3).uniform(-1, 1, (10, 2))
    J = field.field_jacobian(x)
    eps = 1e-6
    for k in range(2):
        dx = np.zeros(2)
        dx[k] = eps
        fd = (field.field(x + dx) - field.field(x - dx)) / (2 * eps)
        assert np.allclose(J[:, :, k], fd, atol=1e-7)
    assert np.allclose(field.jacobian(x), np.eye(2) + J)  # the step's Jacobian is I + J_F


def test_invertibility_check_on_a_gentle_and_a_violent_field():
    g = np.linspace(-1.5, 1.5, 61)
    box = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    gentle = random_field(4, 0.05)
    assert vf.lipschitz_estimate(gentle, box) < 1 and not vf.fold_mask(gentle, box).any()
    # one strong, narrow push: neighbouring points overtake each other, and space folds
    violent = VectorField(np.zeros((1, 2)), np.array([[3.0, 0.0]]), np.array([0.2]))
    assert vf.lipschitz_estimate(violent, box) > 1 and vf.fold_mask(violent, box).any()


# --- the layer wired in: model, recording, isotopy, storyboard ----------------------------------


@pytest.fixture(scope="module")
def field_recording():
    """Two vector-field steps then a tanh layer, on the curves: real (short) training."""
    cfg = NetConfig(2, 3, 2, "tanh", ("vector-field", "vector-field", "dense"), anchors=6)
    return trained("curves", cfg, TrainConfig(steps=150, restarts=1, snapshot_every=50), seed=2,
                  n_per_class=40)


def test_net_config_types_and_dims():
    assert NetConfig(2, 3, 4, "tanh").types() == ("dense",) * 3
    mixed = NetConfig(2, 3, 3, "tanh", ("vector-field", "dense", "vector-field"))
    assert mixed.dims() == [2, 2, 3, 3]  # a field step keeps the dimension it is given
    net = MLP(mixed)
    assert [type(l).__name__ for l in net.hidden] == ["VectorFieldLayer", "Linear", "VectorFieldLayer"]
    assert net.hidden[2].anchors.shape == (8, 3)


def test_anchors_are_training_points_of_both_classes(field_recording):
    rec = field_recording
    A = rec.net.layers[0].anchors
    hits = [(np.abs(rec.X - a).sum(1) < 1e-6).nonzero()[0] for a in A]
    assert all(len(h) == 1 for h in hits)
    assert sorted(rec.y[[h[0] for h in hits]].tolist()) == [0, 0, 0, 1, 1, 1]
    # the second step's anchors are the same points carried through the first step as it was
    # initialised: the identity (v = 0), so they sit where the first step's anchors sit
    assert np.allclose(rec.snapshots.params[0]["vectors"][0], 0.0)
    assert np.allclose(rec.net.layers[1].anchors, A, atol=1e-6)


def test_recording_round_trip_with_field_layers(field_recording, tmp_path):
    path = recording.save(field_recording, tmp_path / "f.npz")
    back = recording.load(path)
    assert [l.kind for l in back.net.layers] == ["vector-field", "vector-field", "dense"]
    assert back.meta.net.config.types() == ("vector-field", "vector-field", "dense")
    for a, b in zip(back.net.layers[:2], field_recording.net.layers[:2]):
        assert np.array_equal(a.anchors, b.anchors) and np.array_equal(a.vectors, b.vectors)
        assert np.array_equal(a.widths, b.widths)
    assert np.allclose(back.net.logits(back.X), field_recording.net.logits(field_recording.X))
    s = back.snapshots
    assert s.params[0]["vectors"].shape == (len(s.steps), 6, 2) and s.params[0]["widths"].shape == (len(s.steps), 6)
    assert np.allclose(s.network(len(s.steps) - 1, back.net).logits(back.X), back.net.logits(back.X))


def test_format_1_files_are_still_read(tiny_recording, tmp_path):
    path = recording.save(tiny_recording, tmp_path / "new.npz")
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["meta"]))
    del meta["net"]["layer_types"], meta["net"]["anchors"], meta["net"]["field_width"], meta["net"]["learn_widths"]
    del meta["net"]["hidden"], meta["classes"]
    data["meta"], data["format"] = np.array(json.dumps(meta)), np.array(1)
    data.update(head_w=data["head_w"][0], head_b=data["head_b"][0],  # format 1: one logit, (k,) and ()
                snap_head_w=data["snap_head_w"][:, 0], snap_head_b=data["snap_head_b"][:, 0])
    np.savez(tmp_path / "old.npz", **data)
    old = recording.load(tmp_path / "old.npz")
    assert [l.kind for l in old.net.layers] == ["dense", "dense"]
    assert np.allclose(old.net.logits(old.X), tiny_recording.net.logits(tiny_recording.X))


def test_torch_and_numpy_networks_agree(field_recording):
    """The recorded float64 network is the trained torch one."""
    rec = field_recording
    torch_net = to_torch(rec.net, rec.meta.net.config)
    with torch.no_grad():
        out = torch_net(torch.tensor(rec.X, dtype=torch.float32)).numpy()
    assert np.allclose(out, rec.net.logits(rec.X), atol=1e-4)


def test_flow_stage_runs_from_the_identity_to_the_step(field_recording):
    rec = field_recording
    plan = isotopy.plan(rec.net, 2)
    lp = plan.layers[0]
    assert lp.stages == ("flow",) and lp.step is not None
    x = isotopy.pad(rec.X, plan.dim)
    path = isotopy.stage(lp, "flow", x, np.array([0.0, 0.5, 1.0]))
    assert np.allclose(path[0], x)
    assert np.allclose(path[2], rec.net.layers[0](rec.X))
    assert np.allclose(path[1], x + 0.5 * rec.net.layers[0].field(rec.X))
    h = x
    for lp, layer in zip(plan.layers, rec.net.layers):
        h = layer_output(lp, h)
    # (the plan may swap two neurons of a dense layer: the same function, the swapped network)
    assert np.allclose(h[:, :2], plan.net.representations(rec.X)[-1])
    assert np.allclose(h[:, :2] @ plan.head_w[0, :2] + plan.head_b[0], rec.net.logits(rec.X))


def test_jacobian_chain_through_field_layers(field_recording):
    rec = field_recording
    x = rec.X[:5]
    J = metrics.jacobians(rec.net, x)
    eps = 1e-6
    for k in range(2):
        dx = np.zeros(2)
        dx[k] = eps
        fd = (rec.net.representations(x + dx)[-1] - rec.net.representations(x - dx)[-1]) / (2 * eps)
        assert np.allclose(J[:, :, k], fd, atol=1e-6)


def test_each_step_states_its_invertibility(field_recording):
    """Each flow's caption says what the recording measured for that step, read, not recomputed."""
    steps = field_recording.meta.metrics.field_steps
    assert len(steps) == 2 and all(s.lipschitz > 0 for s in steps)
    sb = storyboard.layers(field_recording, 10)
    flows = [b.caption for b in sb.blocks if b.kind is Kind.STAGE and b.stage == "flow"]
    assert len(flows) == 2
    for caption, s in zip(flows, steps):
        assert caption.endswith(f"({vf.Invertibility(s.lipschitz, s.folds).describe()})")
    # a recording that says otherwise is believed: the caption follows the stored numbers
    told = tuple(dataclasses.replace(s, lipschitz=3.5, folds=True) for s in steps)
    meta = dataclasses.replace(field_recording.meta,
                               metrics=dataclasses.replace(field_recording.meta.metrics, field_steps=told))
    sb = storyboard.layers(dataclasses.replace(field_recording, meta=meta), 10)
    flows = [b.caption for b in sb.blocks if b.kind is Kind.STAGE and b.stage == "flow"]
    assert all("Lipschitz 3.50: folds space, NOT invertible" in c for c in flows)


def test_the_three_verdicts_differ():
    texts = {vf.Invertibility(0.5, False).describe(), vf.Invertibility(1.5, True).describe(),
             vf.Invertibility(1.5, False).describe()}
    assert len(texts) == 3
    assert vf.Invertibility(0.5, False).homeomorphism and not vf.Invertibility(1.5, False).homeomorphism


def test_quiver_and_arrows(field_recording):
    sb = storyboard.layers(field_recording, 10)
    tl = sb.frames(0, sb.n_frames)
    A = storyboard.Detail().quiver ** 2
    assert tl.arrows.shape == (sb.n_frames, 12 * A, 3) and tl.arrow_folds.shape == (sb.n_frames, A)
    # the arrows appear for the two field steps only, fading in first
    shown = tl.arrow_opacity > 0
    assert shown.any() and not shown[: sb.starts()[1]].any()
    i = next(i for i, b in enumerate(sb.blocks) if b.kind is Kind.ARROWS)
    start, n = sb.starts()[i], sb.blocks[i].frames
    assert np.all(np.diff(tl.arrow_opacity[start : start + n]) > 0)
    assert not shown[-1]  # gone by the end
    # the view takes the arrows in: while they show, every tip stays in the plot square (a barb,
    # at most 0.13 long, may reach past it)
    lay = sb.layout
    on = tl.arrows[shown].reshape(-1, 3)[:, :2] - np.array(lay.plot_center)
    assert np.abs(on).max() <= lay.plot_half * 1.01 + 0.13
    # true to scale: each arrow runs from a lattice point x to x + F(x)
    F = field_recording.net.layers[0]
    tails, tips, folds = plane.quiver(F, field_recording.X, 15)
    assert np.allclose(tips - tails, F.field(tails)) and folds.shape == (A,)
    paths = arrow_paths(tails[None], tips[None])
    assert np.allclose(paths[0, 0, :2], tails[0]) and np.allclose(paths[0, 3, :2], tips[0])


def test_quiver_marks_folds():
    violent = VectorField(np.zeros((1, 2)), np.array([[3.0, 0.0]]), np.array([0.2]))
    pts = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    _, _, folds = plane.quiver(violent, pts, 15)
    assert folds.any() and not folds.all()
    gentle = VectorField(np.zeros((1, 2)), np.array([[0.05, 0.0]]), np.array([0.5]))
    assert not plane.quiver(gentle, pts, 15)[2].any()


def test_lipschitz_penalty_keeps_steps_invertible():
    """Without the penalty training folds the plane; with it every step stays a contraction."""
    cfg = NetConfig(2, 1, 2, "tanh", ("vector-field",), anchors=8)
    free = trained("curves", cfg, TrainConfig(steps=400, restarts=1, lipschitz=0.0), 0, 60)
    held = trained("curves", cfg, TrainConfig(steps=400, restarts=1), 0, 60)
    assert free.meta.metrics.field_steps[0].lipschitz > held.meta.metrics.field_steps[0].lipschitz
    assert held.meta.metrics.field_steps[0].lipschitz < 1.2
