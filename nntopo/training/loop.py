"""Full-batch training of the MLP, with restarts, producing the parameters and their history
(`fit`), and the trained torch network as the recording's numpy Network (`network`).

The objective is binary cross-entropy plus `identity_l2` * sum ||W - I||^2 over dense hidden layers
(I the identity or its rectangular embedding), as the essay's author used for the spirals; for a
vector-field step x + F(x) the same pull toward the identity is `identity_l2` * sum ||v_i||^2, for a
residual block x + f(x) and a neural ODE's flow of f it is `identity_l2` * ||f's last Linear||^2
(weights and biases: f = 0 is the identity).
Up to `restarts` seeded initialisations run, stopping at the first that fits perfectly; the
best (highest accuracy, then lowest loss) is kept. After the first, a network of dense layers
trains its other restarts side by side, as slices of stacked tensors (`_fit_together`).
Everything is seeded: the same config gives the same result.
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
    softmax and the cross-entropy. The first restart trains alone; when it falls short of
    cfg.good_enough, a network of dense layers trains the other restarts together (stacked, one
    batched step for all: on small networks about 1.2 times one restart's time instead of 3), and
    they are taken in order as one after another would be: up to the first good enough."""
    torch.set_num_threads(1)  # tiny matrices: threads only add noise and overhead
    classes = max(2, int(y.max()) + 1) if len(y) else 2
    xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32 if classes == 2 else torch.int64)
    dense = all(t == "dense" for t in net_cfg.types())
    best = None
    accuracies = []
    while len(accuracies) < cfg.restarts and (best is None or best[0] < cfg.good_enough):
        first = len(accuracies)  # the next restart
        if first == 0 or not dense:
            runs = [_fit_one(xt, yt, net_cfg, cfg, seed, first, classes, progress)]
        else:
            runs = _fit_together(xt, yt, net_cfg, cfg, seed, range(first, cfg.restarts), classes, progress)
        for run in runs:
            accuracies.append(run[0])
            if best is None or run[:2] > best[:2]:
                best = run
            if run[0] >= cfg.good_enough:
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


def _initialised(net_cfg: NetConfig, cfg: TrainConfig, seed: int, restart: int, classes: int,
                 xt: torch.Tensor, yt: torch.Tensor) -> tuple[MLP, torch.Generator]:
    """Restart `restart`'s network as initialised, and its generator (drawn from after)."""
    gen = torch.Generator().manual_seed(seed * 1000 + restart)
    net = MLP(net_cfg, classes)
    init_near_identity(net, gen, cfg.init_scale)
    init_anchors(net, xt, yt, gen)
    return net, gen


def _fit_one(xt: torch.Tensor, yt: torch.Tensor, net_cfg: NetConfig, cfg: TrainConfig, seed: int,
             restart: int, classes: int, progress: Progress | None) -> tuple:
    """One restart: (final accuracy, -final loss, restart, net, snapshot steps, params, losses, accuracies)."""
    net, gen = _initialised(net_cfg, cfg, seed, restart, classes, xt, yt)
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
    return (accs[-1], -losses[-1], restart, net, steps, params, losses, accs)


def _fit_together(xt: torch.Tensor, yt: torch.Tensor, net_cfg: NetConfig, cfg: TrainConfig, seed: int,
                  restarts: range, classes: int, progress: Progress | None) -> list[tuple]:
    """Restarts of a network of dense layers trained side by side: each restart's parameters a
    slice of stacked tensors (R, out, in), the objective the sum of the restarts' own (so each
    one's gradient is its own), Adam elementwise as for one. Each restart as _fit_one gives it,
    to float32 rounding (the batched products sum in another order)."""
    from ..nets.activations import ACTIVATIONS

    nets = [_initialised(net_cfg, cfg, seed, r, classes, xt, yt)[0] for r in restarts]
    R, L = len(nets), len(nets[0].hidden)
    # every parameter, by its state_dict name, stacked over the restarts: (R, ...)
    stacks = {k: torch.stack([n.state_dict()[k] for n in nets]).requires_grad_() for k in nets[0].state_dict()}
    Ws = [stacks[f"hidden.{i}.weight"] for i in range(L)]  # (R, out, in) each
    bs = [stacks[f"hidden.{i}.bias"] for i in range(L)]  # (R, out)
    hw, hb = stacks["head.weight"], stacks["head.bias"]  # (R, C, k), (R, C)
    eyes = [torch.eye(*W.shape[1:]) for W in Ws]
    act, deriv = nets[0].act, ACTIVATIONS[net_cfg.activation].torch_deriv
    opt = torch.optim.Adam(list(stacks.values()), lr=cfg.lr, foreach=True)
    x = xt.expand(R, *xt.shape)  # (R, N, d)
    Y = yt.expand(R, len(yt))  # (R, N)

    def snapshot() -> list[dict[str, np.ndarray]]:
        """Per restart, its parameters as _params gives one network's."""
        return [{k: v[r].detach().numpy().astype(np.float64).copy() for k, v in stacks.items()} for r in range(R)]

    steps, params, losses, accs = [], [], [], []  # per snapshot: per restart
    for step in range(cfg.steps + 1):
        h = x
        identity, contractive = torch.zeros(R), torch.zeros(R)  # each restart's penalties
        for W, b, eye in zip(Ws, bs, eyes):
            z = torch.baddbmm(b[:, None, :], h, W.transpose(1, 2))  # (R, N, out)
            identity = identity + ((W - eye) ** 2).sum((1, 2))
            if cfg.contractive:  # as MLP.contractive: mean over points of ||diag(sigma'(z)) W||_F^2
                contractive = contractive + (deriv(z) ** 2 * (W**2).sum(2)[:, None, :]).sum(2).mean(1)
            h = act(z)
        logits = torch.baddbmm(hb[:, None, :], h, hw.transpose(1, 2))  # (R, N, C)
        if classes == 2:
            logits = logits.squeeze(-1)
            fit_loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, Y, reduction="none").mean(1)
        else:
            fit_loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, classes), Y.reshape(-1), reduction="none").reshape(R, -1).mean(1)
        loss = fit_loss + cfg.identity_l2 * identity  # (R,)
        if cfg.contractive:
            loss = loss + cfg.contractive * contractive
        if step % cfg.snapshot_every == 0 or step == cfg.steps:
            steps.append(step)
            params.append(snapshot())
            losses.append(loss.detach().tolist())
            pred = (logits > 0).float() if classes == 2 else logits.argmax(2)
            accs.append((pred == Y).float().mean(1).tolist())
        if step == cfg.steps:
            break
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        if progress is not None:
            progress(R)
    runs = []
    for r, (restart, net) in enumerate(zip(restarts, nets)):
        net.load_state_dict({k: torch.as_tensor(v, dtype=torch.float32) for k, v in params[-1][r].items()})
        runs.append((accs[-1][r], -losses[-1][r], restart, net, steps, [p[r] for p in params],
                     [l[r] for l in losses], [a[r] for a in accs]))
    return runs
