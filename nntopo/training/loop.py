"""Full-batch training of the MLP, with restarts, producing the parameters and their history
(`fit`), and the trained torch network as the recording's numpy Network (`network`).

The objective is binary cross-entropy plus `identity_l2` * sum ||W - I||^2 over dense hidden layers
(I the identity or its rectangular embedding), as the essay's author used for the spirals; for a
vector-field step x + F(x) the same pull toward the identity is `identity_l2` * sum ||v_i||^2, for a
residual block x + f(x) and a neural ODE's flow of f it is `identity_l2` * ||f's last Linear||^2
(weights and biases: f = 0 is the identity).
Up to `restarts` seeded initialisations run, stopping at the first that fits perfectly; the
best (highest accuracy, then lowest loss) is kept. Everything is seeded: the same config gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import NetConfig, Progress, TrainConfig
from ..nets.network import Dense, Network
from ..recording import Snapshots
from .model import MLP, VectorFieldLayer, init_anchors, init_near_identity


@dataclass(frozen=True)
class TrainResult:
    net: MLP  # the kept network
    restart: int  # which restart it was
    loss: float  # final objective of the kept run
    accuracy: float  # final training accuracy of the kept run
    restart_accuracies: tuple[float, ...]  # final accuracy of every restart, in order
    snapshot_steps: np.ndarray  # (S,) steps at which snapshots were taken (0 and the last included)
    snapshot_params: list[dict[str, np.ndarray]]  # S dicts of parameter arrays (state_dict names)
    snapshot_loss: np.ndarray  # (S,)
    snapshot_accuracy: np.ndarray  # (S,)


def identity_penalty(net: MLP) -> torch.Tensor:
    total = torch.zeros(())
    for layer in net.dense():
        eye = torch.eye(*layer.weight.shape)
        total = total + ((layer.weight - eye) ** 2).sum()
    for layer in net.fields():  # x + F(x) is the identity when every v_i = 0
        total = total + (layer.vectors**2).sum()
    for block in net.blocks():  # x + f(x), and the flow of f, are the identity when f = 0
        last = block.f[-1]
        total = total + (last.weight**2).sum() + (last.bias**2).sum()
    return total


def _params(net: MLP) -> dict[str, np.ndarray]:
    """Every parameter and buffer, as float64 arrays; vector-field widths as widths, not logs."""
    out = {k: v.detach().numpy().astype(np.float64).copy() for k, v in net.state_dict().items()}
    for i, layer in enumerate(net.hidden):
        if isinstance(layer, VectorFieldLayer):
            out[f"hidden.{i}.widths"] = layer.widths.detach().numpy().astype(np.float64).copy()
    return out


# Per layer kind, the torch names of what Dense.trained / VectorField.trained record (a residual
# block's and a neural ODE's parameters are not snapshotted: Residual.trained = ODE.trained = ()).
_TORCH_NAMES = {"dense": ("weight", "bias"), "vector-field": ("vectors", "widths"), "residual": (), "ode": ()}


def network(net: MLP) -> Network:
    """The trained torch network as the recording's numpy Network (float64)."""
    p = _params(net)
    layers = []
    for i, layer in enumerate(net.hidden):
        if isinstance(layer, torch.nn.Linear):
            layers.append(Dense(p[f"hidden.{i}.weight"], p[f"hidden.{i}.bias"], net.cfg.activation))
        else:
            layers.append(layer.to_numpy())
    return Network(tuple(layers), p["head.weight"], p["head.bias"])


def snapshots(res: TrainResult, net: Network) -> Snapshots:
    """The kept run's history, keyed by the recording's names (W, b / vectors, widths), not torch's."""
    sp = res.snapshot_params
    return Snapshots(
        steps=res.snapshot_steps,
        loss=res.snapshot_loss,
        accuracy=res.snapshot_accuracy,
        params=tuple(
            {name: np.stack([p[f"hidden.{i}.{t_name}"] for p in sp])
             for name, t_name in zip(layer.trained, _TORCH_NAMES[layer.kind])}
            for i, layer in enumerate(net.layers)
        ),
        head_w=np.stack([p["head.weight"] for p in sp]),  # (S, C, k), C = 1 for two classes
        head_b=np.stack([p["head.bias"] for p in sp]),  # (S, C)
    )


def fit(
    X: np.ndarray,
    y: np.ndarray,
    net_cfg: NetConfig,
    cfg: TrainConfig,
    seed: int,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on X (N, d) with labels y (N,) in 0 ... C-1; deterministic for a given seed.

    Two classes: one logit and the binary cross-entropy (the essay's); more: C scores under a
    softmax and the cross-entropy."""
    torch.set_num_threads(1)  # tiny matrices: threads only add noise and overhead
    classes = max(2, int(y.max()) + 1) if len(y) else 2
    xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32 if classes == 2 else torch.int64)
    best = None
    accuracies = []
    for restart in range(cfg.restarts):
        gen = torch.Generator().manual_seed(seed * 1000 + restart)
        net = MLP(net_cfg, classes)
        init_near_identity(net, gen, cfg.init_scale)
        init_anchors(net, xt, yt, gen)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, foreach=True)  # one op per step for all tensors: the same numbers
        steps, params, losses, accs = [], [], [], []
        for step in range(cfg.steps + 1):
            logits = net(xt)
            if classes == 2:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt)
            else:
                loss = torch.nn.functional.cross_entropy(logits, yt)
            loss = loss + cfg.identity_l2 * identity_penalty(net)
            if cfg.contractive:
                loss = loss + cfg.contractive * net.contractive(xt)
            if cfg.lipschitz and net.steps():
                loss = loss + cfg.lipschitz * net.lipschitz(xt, cfg.lipschitz_target, gen)
            if step % cfg.snapshot_every == 0 or step == cfg.steps:
                steps.append(step)
                params.append(_params(net))
                losses.append(float(loss.detach()))
                pred = (logits > 0).float() if classes == 2 else logits.argmax(1)
                accs.append(float((pred == yt).float().mean()))
            if step == cfg.steps:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            if progress is not None:
                progress(1)
        accuracies.append(accs[-1])
        run = (accs[-1], -losses[-1], restart, net, steps, params, losses, accs)
        if best is None or run[:2] > best[:2]:
            best = run
        if accs[-1] >= cfg.good_enough:
            break
    acc, neg_loss, restart, net, steps, params, losses, accs = best
    return TrainResult(
        net=net,
        restart=restart,
        loss=-neg_loss,
        accuracy=acc,
        restart_accuracies=tuple(accuracies),
        snapshot_steps=np.asarray(steps, np.int64),
        snapshot_params=params,
        snapshot_loss=np.asarray(losses),
        snapshot_accuracy=np.asarray(accs),
    )
