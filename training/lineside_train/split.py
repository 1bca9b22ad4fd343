"""Hold-out splits that keep near-copies together (rotations, flips, brightness changes).

Every image gets a small rotation/flip-invariant thumbnail signature; images closer than a
threshold are joined into one group (union-find), and whole groups go to one side.
"""

from __future__ import annotations

import numpy as np

from .preprocess import resize_area

THUMB = 24


def thumbnails(x: np.ndarray, size: int = THUMB) -> np.ndarray:
    """[N, C, H, W] -> [N, 8, size*size]: the 8 rotations/flips of a normalised gray thumbnail."""
    out = np.empty((len(x), 8, size * size), dtype=np.float32)
    for i, img in enumerate(x):
        g = img.mean(axis=0)[:, :, None]
        t = resize_area(g, size, size)[:, :, 0]
        t = (t - t.mean()) / (t.std() + 1e-6)  # brightness/contrast invariant
        variants = []
        for flip in (False, True):
            b = t[:, ::-1] if flip else t
            for k in range(4):
                variants.append(np.rot90(b, k).ravel())
        out[i] = np.stack(variants)
    return out


def distances(thumbs: np.ndarray) -> np.ndarray:
    """Pairwise min over the 8 variants of the mean abs difference; [N, N]."""
    n = len(thumbs)
    base = thumbs[:, 0, :]
    d = np.full((n, n), np.inf, dtype=np.float32)
    for v in range(8):
        var = thumbs[:, v, :]
        # mean abs diff between base[i] and var[j], in chunks to bound memory
        for s in range(0, n, 256):
            block = np.abs(base[s:s + 256, None, :] - var[None, :, :]).mean(axis=2)
            d[s:s + 256] = np.minimum(d[s:s + 256], block)
    return np.minimum(d, d.T)


def groups(x: np.ndarray, threshold: float = 0.35) -> np.ndarray:
    """Group id per image; images closer than `threshold` share a group (transitively)."""
    d = distances(thumbnails(x))
    n = len(x)
    parent = np.arange(n)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    ii, jj = np.nonzero(np.triu(d < threshold, 1))
    for i, j in zip(ii, jj):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
    return np.array([find(i) for i in range(n)])


def holdout_groups(x: np.ndarray, fraction: float, rng: np.random.Generator, threshold: float = 0.35) -> np.ndarray:
    """Indices of a held-out set of about `fraction` of x, made of whole similarity groups."""
    g = groups(x, threshold)
    ids = rng.permutation(np.unique(g))
    target = int(round(fraction * len(x)))
    chosen, count = [], 0
    for gid in ids:
        if count >= target:
            break
        members = np.nonzero(g == gid)[0]
        chosen.extend(members.tolist())
        count += len(members)
    return np.sort(np.array(chosen, dtype=int))
