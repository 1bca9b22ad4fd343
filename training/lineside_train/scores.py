"""Score functions (input x, reconstruction y) -> one number, per training/CONTRACT.md.

All work on one image, arrays of shape [C, H, W] (or [1, C, H, W]); computed in float64.
"""

from __future__ import annotations

import math

import numpy as np

SCORES = ("std", "mse", "max-blur", "ssim")
DEFAULT_SIGMA = 2.0
# SSIM constants for data in [0, 1]: (K1 * L)^2 and (K2 * L)^2 with K1 = 0.01, K2 = 0.03, L = 1.
SSIM_C1 = 0.01 ** 2
SSIM_C2 = 0.03 ** 2
DEFAULT_SSIM_SIGMA = 1.0  # the ssim window's default; see training/README.md "Real parts"
SSIM_QUANTILE = 0.999  # the ssim score is this quantile (nearest rank) of the dissimilarity map


def _residual(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"input {x.shape} and reconstruction {y.shape} differ in shape")
    r = y - x
    if r.ndim == 4:
        if r.shape[0] != 1:
            raise ValueError("score one image at a time")
        r = r[0]
    return r


def score_std(x, y) -> float:
    r = _residual(x, y)
    return float(np.sqrt(np.mean((r - r.mean()) ** 2)))


def score_mse(x, y) -> float:
    r = _residual(x, y)
    return float(np.mean(r * r))


def default_sigma(score: str) -> float:
    """The sigma a score function gets unless one is asked for: the ssim window or the max-blur blur."""
    return DEFAULT_SSIM_SIGMA if score == "ssim" else DEFAULT_SIGMA


def sigma_for(name: str, model_score: str, model_sigma: float) -> float:
    """The sigma to compare score function `name` with on a model scored by `model_score`."""
    return model_sigma if name == model_score else default_sigma(name)


def gaussian_kernel(sigma: float) -> np.ndarray:
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    radius = int(math.ceil(3 * sigma))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(t * t) / (2 * sigma * sigma))
    return k / k.sum()


def _blur_axis(m: np.ndarray, k: np.ndarray, axis: int) -> np.ndarray:
    radius = len(k) // 2
    n = m.shape[axis]
    out = np.zeros_like(m)
    for o, kv in zip(range(-radius, radius + 1), k):
        idx = np.clip(np.arange(n) + o, 0, n - 1)  # edge replication
        out += kv * np.take(m, idx, axis=axis)
    return out


def residual_map(x, y, sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """g: mean over channels of |y - x|, Gaussian-blurred along rows then columns; [H, W]."""
    r = _residual(x, y)
    m = np.abs(r).mean(axis=0)
    k = gaussian_kernel(sigma)
    g = _blur_axis(m, k, axis=1)  # along rows (horizontal)
    return _blur_axis(g, k, axis=0)  # along columns (vertical)


def score_max_blur(x, y, sigma: float = DEFAULT_SIGMA) -> float:
    return float(residual_map(x, y, sigma).max())


def _ssim_dissimilarity(x: np.ndarray, y: np.ndarray, sigma: float) -> np.ndarray:
    """1 - SSIM per pixel, averaged over channels: [N, C, H, W] x2 -> [N, H, W] (CONTRACT.md)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mx, my = _blur_batch(x, sigma), _blur_batch(y, sigma)
    vx = _blur_batch(x * x, sigma) - mx * mx
    vy = _blur_batch(y * y, sigma) - my * my
    cxy = _blur_batch(x * y, sigma) - mx * my
    ssim = ((2 * mx * my + SSIM_C1) * (2 * cxy + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2))
    return (1 - ssim).mean(axis=1)


def ssim_map(x, y, sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """The ssim score's residual map d of one image: [H, W]."""
    r = _residual(x, y)  # checks shapes
    x = np.asarray(x, dtype=np.float64).reshape(r.shape)
    y = np.asarray(y, dtype=np.float64).reshape(r.shape)
    return _ssim_dissimilarity(x[None], y[None], sigma)[0]


def nearest_rank_quantile(values: np.ndarray, q: float = SSIM_QUANTILE) -> np.ndarray:
    """Per row of [N, M]: the k-th smallest value, k = ceil(q * M) (1-based), at least 1."""
    v = np.asarray(values).reshape(len(values), -1)
    k = max(1, math.ceil(q * v.shape[1]))
    return np.partition(v, k - 1, axis=1)[:, k - 1]


def score_ssim(x, y, sigma: float = DEFAULT_SIGMA) -> float:
    return float(nearest_rank_quantile(ssim_map(x, y, sigma)[None])[0])


def score(name: str, x, y, sigma: float = DEFAULT_SIGMA) -> float:
    if name == "std":
        return score_std(x, y)
    if name == "mse":
        return score_mse(x, y)
    if name == "max-blur":
        return score_max_blur(x, y, sigma)
    if name == "ssim":
        return score_ssim(x, y, sigma)
    raise ValueError(f"unknown score function {name!r}; expected one of {', '.join(SCORES)}")


def all_scores(x, y, sigma: float = DEFAULT_SIGMA) -> dict[str, float]:
    return {name: score(name, x, y, sigma) for name in SCORES}


def _blur_batch(m: np.ndarray, sigma: float) -> np.ndarray:
    k = gaussian_kernel(sigma)
    return _blur_axis(_blur_axis(m, k, axis=-1), k, axis=-2)


def residual_maps(x: np.ndarray, y: np.ndarray, sigma: float = DEFAULT_SIGMA, score: str = "max-blur") -> np.ndarray:
    """The residual maps shown to people, of a batch: [N, C, H, W] x2 -> [N, H, W].

    For `ssim` the SSIM dissimilarity d (the map its score is taken from), otherwise g."""
    if score == "ssim":
        return _ssim_dissimilarity(x, y, sigma)
    r = np.asarray(y, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    return _blur_batch(np.abs(r).mean(axis=1), sigma)


# Images per float64 pass of score_batch: ssim holds about ten float64 maps per image, so a whole
# evaluation set in one pass (3742 images at 256x256) needed over 20 GB and was killed by the OOM killer.
SCORE_CHUNK = 64


def score_batch(name: str, x: np.ndarray, y: np.ndarray, sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """One score per image of a batch [N, C, H, W]; same definitions as score(). Memory is bounded:
    the batch is scored SCORE_CHUNK images at a time."""
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} reconstructions")
    if len(x) > SCORE_CHUNK:
        return np.concatenate([score_batch(name, x[i:i + SCORE_CHUNK], y[i:i + SCORE_CHUNK], sigma)
                               for i in range(0, len(x), SCORE_CHUNK)])
    r = np.asarray(y, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    flat = r.reshape(r.shape[0], -1)
    if name == "std":
        return np.sqrt(np.mean((flat - flat.mean(axis=1, keepdims=True)) ** 2, axis=1))
    if name == "mse":
        return np.mean(flat * flat, axis=1)
    if name == "max-blur":
        return _blur_batch(np.abs(r).mean(axis=1), sigma).reshape(r.shape[0], -1).max(axis=1)
    if name == "ssim":
        return nearest_rank_quantile(_ssim_dissimilarity(x, y, sigma))
    raise ValueError(f"unknown score function {name!r}; expected one of {', '.join(SCORES)}")
