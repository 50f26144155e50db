"""Each layer as a continuous transformation from the identity, as in the essay's proof.

A layer act(W x + b) is shown in three stages, each a path of maps starting at the identity:

    linear     x -> p(t) x        p(0) = I, p(1) = W, det p(t) > 0   (a path in GL+(n))
    translate  x -> x + t b
    activate   x -> (1 - t) x + t act(x)

p(t) comes from the polar decomposition W = U P (U a rotation, P symmetric positive definite):
p(t) = exp(t log U) ((1 - t) I + t P). Both factors have positive determinant for every t, so the
plane is never folded mid-video; the straight line (1 - t) I + t W could pass through a singular
matrix.

A vector-field step x -> x + F(x) (network.VectorField) and a residual block x -> x + h f(x)
(network.Residual) are one stage each, already a path from the identity:

    flow       x -> x + t F(x)

and a neural ODE (network.ODE) is one stage, the flow itself, from the identity at t0:

    integrate  x -> the state at t0 + t (t1 - t0), as the model's solver integrates it

All geometry lives in one padded space of dimension D (at least 2, the widest representation):
a representation of width k uses the first k coordinates, the rest are zero. Each layer acts
there as a D x D matrix M whose top-left block is W:
- going wider (in < out), the columns in..out-1 of M get an orthonormal complement of W's
  column space, so M is invertible: the points are first embedded, then moved;
- going narrower (in > out) or with det W = 0, M is singular: the same path then ends in the
  collapse onto a lower-dimensional subspace that it is, and the stage says so;
- det W < 0 with a square W: if D has a spare coordinate, M flips it (the points have 0 there, so
  the result is the same) and the path turns through that extra dimension; otherwise two neurons
  are swapped (rows of W and b, columns of the next layer: the network computes the same function).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg

from .activations import Activation
from .network import ODE, Network, Residual, VectorField

SINGULAR_RTOL = 1e-9  # |det| below this times the scale of W counts as singular


# --- paths in GL+(n) ------------------------------------------------------------------------


def _schur_planes(U: np.ndarray) -> tuple[np.ndarray, tuple[tuple[int, int, float], ...]]:
    """A rotation U (n, n), det U = +1, as Q B Q^T with B turning planes of the Schur basis Q:
    returns Q and the planes (i, j, angle).

    In the real Schur form B is block-diagonal with 2x2 rotations and +-1 entries; the -1
    entries come in pairs (det = +1) and each pair is a rotation by pi.
    """
    n = U.shape[0]
    B, Q = scipy.linalg.schur(U, output="real")
    planes = []
    minus_ones = []
    i = 0
    while i < n:
        if i + 1 < n and abs(B[i + 1, i]) > 1e-12:
            planes.append((i, i + 1, float(np.arctan2(B[i + 1, i], B[i, i]))))
            i += 2
        else:
            if B[i, i] < 0:
                minus_ones.append(i)
            i += 1
    if len(minus_ones) % 2:
        raise ValueError("a rotation path needs det U = +1")
    planes += [(a, b, np.pi) for a, b in zip(minus_ones[::2], minus_ones[1::2])]
    return Q, tuple(planes)


def _turn(x: np.ndarray, planes, t: np.ndarray) -> np.ndarray:
    """x (T, m, n) times R(t), R turning each plane (i, j, angle) of `planes` by t * angle."""
    out = x.copy()
    for a, b, angle in planes:
        c, s = np.cos(t * angle)[:, None], np.sin(t * angle)[:, None]
        out[..., a] = c * x[..., a] + s * x[..., b]
        out[..., b] = c * x[..., b] - s * x[..., a]
    return out


@dataclass(frozen=True)
class LinearPath:
    """p(t) = exp(t log U) ((1 - t) I + t P) from I to M = U P (polar), held factored (U = Q R Q^T,
    R turning planes of the Schur basis Q) so that each frame costs little: made once per layer.

    For det M > 0, det p(t) > 0 on all of [0, 1]. For a singular M the path is invertible until
    t = 1, where it collapses onto M's image.
    """

    Q: np.ndarray  # (n, n) the Schur basis of U
    planes: tuple[tuple[int, int, float], ...]  # (i, j, angle): U turns these planes of Q
    P: np.ndarray  # (n, n) the symmetric positive semi-definite factor

    @staticmethod
    def of(M: np.ndarray) -> "LinearPath":
        n = M.shape[0]
        U, P = scipy.linalg.polar(M)  # M = U P
        if np.linalg.det(U) < 0:
            # Only possible for a singular M (det M = det U det P >= 0): flip U along a null
            # direction v of P, which leaves U P unchanged because P v = 0.
            w, V = np.linalg.eigh(P)
            if w[0] > SINGULAR_RTOL * max(1.0, w[-1]):
                raise ValueError("a linear path needs det M >= 0")
            v = V[:, :1]
            U = U @ (np.eye(n) - 2.0 * v @ v.T)
        Q, planes = _schur_planes(U)
        return LinearPath(Q, planes, P)

    def matrices(self, t: np.ndarray) -> np.ndarray:
        """p(t) at times t (T,): (T, n, n)."""
        t = np.asarray(t, dtype=np.float64)
        eye = np.broadcast_to(np.eye(len(self.P)), (len(t),) + self.P.shape)
        return self.rows(eye, t)

    def rotate(self, B: np.ndarray) -> np.ndarray:
        """U B for columns B (n, m): where the path's rotation takes a view's basis."""
        return (_turn(B.T[None] @ self.Q, self.planes, -np.ones(1)) @ self.Q.T)[0].T

    def seen(self, x: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The points p(t) x, x (P, n), seen through a view of m dimensions that turns with the
        path's rotation: (T, P, m) at times t (T,). The view at the end, b, should be turned to
        follow U a (projection.fit's `turns`): then a^T U^T b is positive definite and the glide
        from a to U^T b never passes a degenerate frame.

        The view's basis is R(t) C(t), R(t) = exp(t log U), C(t) the polar factor of
        (1 - t) a + t U^T b: it is a (n, m) at t = 0 and b at t = 1, as the views of the blocks
        before and after are, and in between the rotation drops out of the picture,
        (R C)^T R S x = C^T S x. A wide layer's rotation turns many planes by large angles;
        through a fixed view its points would swing in and out of the picture, through this one
        they move as the stretch S(t) = (1 - t) I + t P and the view's own glide move them."""
        t = np.asarray(t, dtype=np.float64)
        Utb = (_turn(b.T[None] @ self.Q, self.planes, np.ones(1)) @ self.Q.T)[0].T  # U^T b, (n, m)
        tt = t[:, None, None]
        U, _, Vt = np.linalg.svd((1.0 - tt) * a + tt * Utb, full_matrices=False)
        C = U @ Vt  # (T, n, m)
        return ((1.0 - tt) * np.einsum("pn,tnm->tpm", x, C)
                + tt * np.einsum("pn,tnm->tpm", x @ self.P, C))

    def rows(self, A: np.ndarray, t: np.ndarray) -> np.ndarray:
        """A(t) p(t) for rows A (T, m, n) at times t (T,): (T, m, n), without forming p(t).

        A view of m dimensions asks only for m rows, so a wide layer costs O(m n^2) per frame."""
        t = np.asarray(t, dtype=np.float64)
        y = _turn(A @ self.Q, self.planes, t) @ self.Q.T  # A Q R(t) Q^T
        tt = t[:, None, None]
        return (1.0 - tt) * y + tt * (y @ self.P)


# --- a network laid out in the padded space ---------------------------------------------------


@dataclass(frozen=True)
class LayerPlan:
    index: int  # 0-based layer number
    M: np.ndarray  # (D, D) the linear map in the padded space, det >= 0
    b: np.ndarray  # (D,) the bias, padded with zeros
    out_dim: int  # width of the layer; the activation acts on the first out_dim coordinates
    activation: Activation | None  # a dense layer's, with its parameter (None: a field step)
    collapse: bool  # the linear stage is not a homeomorphism (narrowing or det W = 0)
    note: str  # what the viewer should be told about the linear stage, "" if nothing
    step: VectorField | Residual | ODE | None = None  # a field step or flow (M, b unused), acting on out_dim
    path: LinearPath | None = None  # the linear stage's path from I to M (None: a field step)

    @property
    def stages(self) -> tuple[str, ...]:
        if self.step is None:
            return STAGES
        return ODE_STAGES if self.step.kind == "ode" else FIELD_STAGES


@dataclass(frozen=True)
class Plan:
    dim: int  # D, the padded dimension of all geometry
    in_dim: int  # dimension of the data
    layers: tuple[LayerPlan, ...]
    net: Network  # the network as laid out (neurons possibly swapped): same function
    head_w: np.ndarray  # (C', D) the head's rows, padded: the binary normal v (C' = 1), or C scores
    head_b: np.ndarray  # (C',)
    swaps: tuple[int, ...]  # layers whose first two neurons were swapped


def swap_neurons(net: Network, layer: int, i: int = 0, j: int = 1) -> Network:
    """The same function with neurons i and j of `layer` exchanged."""
    perm = np.arange(net.layers[layer].W.shape[0])
    perm[[i, j]] = perm[[j, i]]
    layers = list(net.layers)
    L = layers[layer]
    layers[layer] = replace(L, W=L.W[perm], b=L.b[perm])
    head_w, head_b = net.head_w, net.head_b
    # Whatever reads this layer's output reads the neurons in the new order: the next dense
    # layer's columns, or a field step's or flow's coordinates (and so on through a run of them).
    k = layer + 1
    while k < len(layers) and layers[k].kind != "dense":
        layers[k] = _permuted(layers[k], perm)
        if layers[k].kind == "ode" and layers[k].augment:  # the padded coordinates stay where they are
            perm = np.concatenate([perm, np.arange(len(perm), layers[k].out_dim)])
        k += 1
    if k < len(layers):
        N = layers[k]
        layers[k] = replace(N, W=N.W[:, perm])
    else:
        head_w = head_w[:, perm]
    return Network(tuple(layers), head_w, head_b)


def _permuted(layer, perm: np.ndarray):
    """A field step or flow that reads (and writes) its coordinates in the order `perm`."""
    if layer.kind == "vector-field":
        return replace(layer, anchors=layer.anchors[:, perm], vectors=layer.vectors[:, perm])
    full = perm if layer.kind == "residual" else np.concatenate([perm, np.arange(len(perm), layer.out_dim)])
    cols = np.concatenate([full, [len(full)]]) if getattr(layer, "time", False) else full  # t stays last
    f = list(layer.f)
    f[0] = replace(f[0], W=f[0].W[:, cols])
    f[-1] = replace(f[-1], W=f[-1].W[full], b=f[-1].b[full])
    return replace(layer, f=tuple(f))


def _is_singular(W: np.ndarray) -> bool:
    s = np.linalg.svd(W, compute_uv=False)
    return s.size == 0 or s[-1] <= SINGULAR_RTOL * max(1.0, s[0])


def plan(net: Network, in_dim: int, min_dim: int = 2) -> Plan:
    """Lay `net` out in the padded space: one LayerPlan per layer, det M >= 0 for each."""
    dims = [in_dim] + [layer.out_dim for layer in net.layers]
    D = max([min_dim] + dims)
    swaps = []
    plans = []
    for l in range(len(net.layers)):
        if net.layers[l].kind != "dense":
            F = net.layers[l]
            plans.append(LayerPlan(l, np.eye(D), np.zeros(D), F.out_dim, None, False, "", F))
            continue
        W = net.layers[l].W
        m, n = W.shape
        k = max(m, n)
        if m == n and m >= 2 and D == k and np.linalg.det(W) < 0:
            net = swap_neurons(net, l)  # the essay's move: "switching two of the hidden neurons"
            swaps.append(l)
            W = net.layers[l].W
        M = np.eye(D)
        M[:k, :k] = 0.0
        M[:m, :n] = W
        note = ""
        collapse = False
        if m > n:  # wider: complete W's columns to a basis of R^m
            Uc, s, _ = np.linalg.svd(W)
            if s[-1] <= SINGULAR_RTOL * max(1.0, s[0]):
                collapse = True
            else:
                M[:m, n:m] = Uc[:, n:] * s.mean()
                if np.linalg.det(M[:m, :m]) < 0:
                    M[:m, n] *= -1.0  # the complement's orientation is ours to choose
                note = f"embed R^{n} in R^{m}, then W"
        elif m < n:
            collapse = True
        elif _is_singular(W):
            collapse = True
        if collapse:
            note = "det W = 0: collapse" if m == n else f"W: R^{n} -> R^{m} collapses"
        elif np.linalg.det(M[:k, :k]) < 0:
            # Only a square W narrower than D gets here: turn through a spare coordinate.
            M[k, k] = -1.0
            note = "det W < 0: turning through an extra dimension"
        if l in swaps:
            note = "neurons 1 and 2 swapped so that det W > 0"
        if not collapse and np.linalg.det(M) <= 0:
            raise AssertionError("plan: the padded map must have det > 0")
        b = np.zeros(D)
        b[:m] = net.layers[l].b
        plans.append(LayerPlan(l, M, b, m, net.layers[l].act, collapse, note, path=LinearPath.of(M)))
    if net.classes == 2:
        v, c = net.separator
        head_w, head_b = pad(v, D)[None], np.array([c])
    else:
        head_w, head_b = pad(net.head_w, D), net.head_b
    return Plan(D, in_dim, tuple(plans), net, head_w, head_b, tuple(swaps))


def pad(x: np.ndarray, D: int) -> np.ndarray:
    """Points (..., k) -> (..., D), zeros appended."""
    out = np.zeros(x.shape[:-1] + (D,))
    out[..., : x.shape[-1]] = x
    return out


# --- the three stages, vectorized over times and points ---------------------------------------

STAGES = ("linear", "translate", "activate")
FIELD_STAGES = ("flow",)
ODE_STAGES = ("integrate",)


def stage(layer: LayerPlan, name: str, x: np.ndarray, t: np.ndarray,
          basis: np.ndarray | None = None) -> np.ndarray:
    """Points x (P, D) at the start of stage `name`, moved to times t (T,) -> (T, P, D).

    basis: a view's orthonormal basis at each time (T, D, m); the points are then returned in
    it, (T, P, m), without forming them in all D dimensions (a wide layer stays cheap)."""
    t = np.asarray(t, dtype=np.float64)
    if name == "integrate":
        k = layer.out_dim
        u, back = np.unique(np.clip(t, 0.0, 1.0), return_inverse=True)
        moved, _ = layer.step.flow(x[:, :k], u)  # (U, P, k): every time in one pass
        y = np.broadcast_to(x, (len(u),) + x.shape).copy()
        y[..., :k] = moved
        y = y[back.reshape(-1)]
        return y if basis is None else np.einsum("tpd,tdm->tpm", y, basis)
    if name == "linear":
        if basis is None:
            return np.einsum("tij,pj->tpi", layer.path.matrices(t), x)
        return np.einsum("tmj,pj->tpm", layer.path.rows(basis.transpose(0, 2, 1), t), x)
    # The other stages move every point along a straight line: x + t d.
    if name == "flow":
        k = layer.out_dim
        d = np.zeros_like(x)
        d[:, :k] = layer.step.field(x[:, :k])
    elif name == "translate":
        d = np.broadcast_to(layer.b, x.shape)
    elif name == "activate":
        k = layer.out_dim
        d = np.zeros_like(x)
        d[:, :k] = layer.activation.numpy_fn(x[:, :k]) - x[:, :k]
    else:
        raise ValueError(f"unknown stage {name!r}; expected one of {STAGES + FIELD_STAGES + ODE_STAGES}")
    if basis is None:
        return x[None] + t[:, None, None] * d[None]
    return np.einsum("pd,tdm->tpm", x, basis) + t[:, None, None] * np.einsum("pd,tdm->tpm", d, basis)


def stage_end(layer: LayerPlan, name: str, x: np.ndarray) -> np.ndarray:
    """Where stage `name` takes points x (P, D) at t = 1."""
    return stage(layer, name, x, np.ones(1))[0]
