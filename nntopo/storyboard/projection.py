"""Seeing a representation wider than the picture: a linear projection from the padded space R^D
to the view (3 dimensions, seen by the turning camera, or 2 with `--view 2d`).

One orthonormal basis (D, m) is chosen at every key, the positions at the start of a block and
at the end, and the basis glides from key to key along with the points, so the picture never
jumps:

- at each key, the principal directions of the data there (what spreads it most), turned
  (orthogonal Procrustes) to match the key before as closely as that subspace allows;
- at the end, the classifier's direction(s) first: a binary head's normal, or the directions in
  which a C-way head's scores differ; the hyperplane w . h + c = 0 is then a plane (a line) of
  the picture, and the classes are as far apart on screen as the network has them apart;
- in between, the bases are interpolated and made orthonormal again (the polar factor).

A representation that fits (D <= m) is shown as it is: the basis is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLAT = 1e-9  # a principal direction with less variance than this times the largest carries nothing


@dataclass(frozen=True)
class Projection:
    dims: int  # m: dimensions of the picture
    keys: np.ndarray  # (K, D, m) the basis at every key (the start of each block, then the end)
    kept: float  # the share of the data's variance the last basis shows (1.0 when D <= m)
    head: int  # how many of the last basis' directions are the classifier's (0: as it is)
    width: int  # D: the padded dimension projected from

    @property
    def projected(self) -> bool:
        return self.width > self.dims

    def bases(self, key: int, t: np.ndarray) -> np.ndarray:
        """The basis (T, D, m) at times t (T,) of the block that starts at `key`: from keys[key]
        at t = 0 to keys[key + 1] at t = 1."""
        a, b = self.keys[key], self.keys[min(key + 1, len(self.keys) - 1)]
        if a is b or np.array_equal(a, b):
            return np.broadcast_to(a, (len(t),) + a.shape)
        t = np.asarray(t, dtype=np.float64)[:, None, None]
        return orthonormal((1.0 - t) * a + t * b)

    def note(self, width: int | None = None, what: str = "") -> tuple[str, ...]:
        """What the panel says about the projection, in short lines; () when there is none.
        width: the widest representation it is of (default: the padded dimension); what: which
        ('layers ': the hidden ones, when the input has its own line)."""
        if not self.projected:
            return ()
        last = "+ classifier's normal" if self.head == 1 else "+ classifier's directions"
        kept = f"{100 * self.kept:.0f}% variance"
        return (f"{what}R^{width or self.width} → R^{self.dims}: principal directions",
                f"{last}; {kept}" if self.head else kept)


def orthonormal(M: np.ndarray) -> np.ndarray:
    """The nearest orthonormal frames to M (..., D, m): the polar factor U V^T of M = U S V^T."""
    U, _, Vt = np.linalg.svd(M, full_matrices=False)
    return U @ Vt


def fit(keys: list[np.ndarray], rows: slice, head: np.ndarray | None, m: int,
        camera: np.ndarray | None = None, turns: dict | None = None) -> Projection:
    """The view at every key: the padded positions keys[k] (P, D), of which `rows` are the data
    (the same array object where nothing moved in between); the last key's array is the final
    representation, shown along the classifier's directions `head` (r, D) (None: principal only).

    camera: the 3D camera's axes at the end (rows: screen across, screen up, depth). The last
    basis is then turned, by the least rotation, so that the camera sees the head's directions
    best: a binary head's normal across the screen (the separating plane edge on, the classes side
    by side), or a C-way head's two directions in the screen (its regions' boundaries edge on,
    seen as lines between sectors). A 3-unit representation is turned too: the picture is then a
    rotation of it, which the camera's own turning already is.

    turns: key -> a map of bases (D, m) -> (D, m): the key ends a stage that turns space (a
    linear stage's rotation U), and its basis follows the key before's as that turn carries it
    (U B), not as it was (isotopy.LinearPath.seen).
    """
    D = keys[0].shape[1]
    given = _head_directions(head, m) if head is not None else np.zeros((D, 0))
    if D <= m:  # it fits: its own axes
        bases = [np.eye(D)] * len(keys)
    else:
        final = id(keys[-1])
        bases, memo = [], {}
        prev = np.eye(D, m)  # the first key falls back on the input's own axes
        for k, x in enumerate(keys):
            if id(x) not in memo:
                X = x[rows]
                target = turns[k](prev) if turns and k in turns else prev
                mine = np.zeros((D, 0))
                if id(x) == final:  # more head directions than the picture has: those nearest the view before
                    wide = _head_directions(head, D) if head is not None else given
                    mine = given if wide.shape[1] <= m else _nearest(wide, target, m)
                B = _complete(np.concatenate([mine, _principal(X, mine, m)], 1), target, m)
                B = B @ _procrustes(B, target)  # the first key: as close to the input's axes as it can be
                memo[id(x)] = prev = B
            bases.append(memo[id(x)])
    if camera is not None and given.shape[1] in (1, 2):
        last = bases[-1]
        g = last.T @ given  # the head's directions in the picture, (m, r)
        u, target = (g[:, 0], camera[0]) if g.shape[1] == 1 else (np.cross(g[:, 0], g[:, 1]), camera[2])
        turned = last @ _least_rotation(u / np.linalg.norm(u), target).T
        bases = [turned if x is keys[-1] else b for x, b in zip(keys, bases)]  # the final representation's keys
    X = keys[-1][rows] - keys[-1][rows].mean(0)
    total = float((X * X).sum())
    kept = float(((X @ bases[-1]) ** 2).sum()) / total if total > 0 else 1.0
    return Projection(bases[-1].shape[1], np.stack(bases), kept, given.shape[1], D)


def _head_directions(head: np.ndarray, m: int) -> np.ndarray:
    """Orthonormal directions (D, r), r <= m, in which the head's outputs differ: a binary head's
    normal; for C scores, the span of the differences of their rows (top m if wider)."""
    W = head if len(head) == 1 else head - head.mean(0)
    _, s, Vt = np.linalg.svd(W, full_matrices=False)
    keep = s > FLAT * max(s.max(initial=0.0), 1e-300)
    return Vt[keep][:m].T


def _nearest(H: np.ndarray, B: np.ndarray, m: int) -> np.ndarray:
    """The m orthonormal directions (D, m) of span(H) (H (D, r) orthonormal, r > m) nearest the
    basis B (D, m): the smallest principal angles, so the view turns as little as it can."""
    U, _, _ = np.linalg.svd(H.T @ B, full_matrices=False)
    return H @ U[:, :m]


def _principal(X: np.ndarray, given: np.ndarray, m: int) -> np.ndarray:
    """The principal directions (D, <= m - given) of X (N, D) orthogonal to `given` (D, r)."""
    Xc = X - X.mean(0)
    Xc = Xc - (Xc @ given) @ given.T
    w, V = np.linalg.eigh(Xc.T @ Xc)
    order = np.argsort(w)[::-1][: m - given.shape[1]]
    order = [j for j in order if w[j] > FLAT * max(w.max(), 1e-300)]
    return V[:, order]


def _complete(B: np.ndarray, fallback: np.ndarray, m: int) -> np.ndarray:
    """B (D, r) completed to m orthonormal columns from the fallback's columns, then the axes
    (Gram-Schmidt): a key whose data spans fewer than m directions borrows the key before's."""
    D = B.shape[0]
    cols = [c for c in B.T]
    for c in list(fallback.T) + list(np.eye(D)):
        if len(cols) == m:
            break
        v = c - sum((c @ q) * q for q in cols) if cols else c.copy()
        norm = np.linalg.norm(v)
        if norm > 1e-6:
            cols.append(v / norm)
    return np.stack(cols, 1)


def _least_rotation(u: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation (m, m) by the smallest angle that takes unit u (m,) to +-target (whichever
    is nearer: a normal and its opposite give the same plane)."""
    v = target / np.linalg.norm(target) * (1.0 if u @ target >= 0 else -1.0)
    c = float(np.clip(u @ v, -1.0, 1.0))
    w = v - c * u
    s = np.linalg.norm(w)
    m = len(u)
    if s < 1e-12:
        return np.eye(m)
    w /= s
    # In the plane of u and w: turn u onto v (cos c, sin s); leave its complement alone.
    return (np.eye(m) + (c - 1.0) * (np.outer(u, u) + np.outer(w, w))
            + s * (np.outer(w, u) - np.outer(u, w)))


def _procrustes(B: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """The orthogonal R (m, m) that brings B R closest to prev (both (D, m)): same subspace,
    its axes turned to follow the previous key's."""
    U, _, Vt = np.linalg.svd(B.T @ prev)
    return U @ Vt
