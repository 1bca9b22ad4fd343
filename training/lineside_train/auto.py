"""Automatic choices of `train`: the compute budget, the input size, the method (by synthetic anomalies in
held-out good images), and the calibration's alpha when few good images are held out."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import torch

from . import anomalies as A
from .errors import UserError
from .evaluate import auroc  # noqa: F401 - the criterion's AUROC (pos = anomalous) is evaluate's

# The largest input (pixels) the default recipe uses: `disc` at 512 x 512 runs in about 40 ms on 2 cores
# (ONNX Runtime), inside the 50 ms an image that a line at 10 parts per second allows.
MAX_PIXELS = 512 * 512
MIN_SIDE = 32


def parse_budget(text: str) -> float:
    """'90s', '20m', '1h', '1.5h', '600' (seconds) -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text))
    if not m:
        raise UserError(f"--budget must look like 90s, 20m or 1h, got {text!r}")
    v = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if v <= 0:
        raise UserError(f"--budget must be positive, got {text!r}")
    return v


class Budget:
    """Wall-clock budget of the whole `train` run, started at construction."""

    def __init__(self, seconds: float, started: float | None = None):
        self.seconds = seconds
        self.t0 = time.perf_counter() if started is None else started

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.seconds - self.elapsed()


def input_size(sizes: list[tuple[int, int]], max_pixels: int = MAX_PIXELS, multiple: int = 8) -> tuple[int, int]:
    """(width, height) of the model input from the images' sizes: their median size (keeps the aspect
    ratio; images of another size are resized to it by the appliance), scaled down to at most `max_pixels`,
    never up, rounded to a multiple of `multiple`."""
    w = float(np.median([s[0] for s in sizes]))
    h = float(np.median([s[1] for s in sizes]))
    s = min(1.0, math.sqrt(max_pixels / (w * h)))
    return (max(MIN_SIDE, int(round(w * s / multiple)) * multiple),
            max(MIN_SIDE, int(round(h * s / multiple)) * multiple))


def synthetic_validation_set(x_val: np.ndarray, seed: int, per_image: int = 1) -> np.ndarray:
    """Each held-out good image with one synthetic anomaly pasted in (a generator seeded apart from
    training's), so candidates are compared on images no model trained on, with no defect labels."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    x = torch.from_numpy(np.ascontiguousarray(x_val, dtype=np.float32))
    out = []
    for _ in range(per_image):
        for i in range(len(x)):
            xa, _, target = A.paste(x[i], x, gen)
            tries = 0
            while target.sum() < 4 and tries < 5:  # an anomaly that changed nothing says nothing
                xa, _, target = A.paste(x[i], x, gen)
                tries += 1
            out.append(xa.numpy())
    return np.stack(out)


def criterion(score_good: np.ndarray, score_anomalous: np.ndarray) -> dict:
    """How well a candidate separates: AUROC good vs anomalous, and the share of anomalous images above
    the largest good score (a proxy for the TPR at a strict threshold)."""
    g = np.asarray(score_good, dtype=np.float64)
    a = np.asarray(score_anomalous, dtype=np.float64)
    return {"auroc": auroc(g, a), "tpr_at_max_good": float((a > g.max()).mean()) if len(g) else float("nan")}


# An ensemble candidate (both trained networks at once) is chosen when its criterion AUROC is within this of
# the best: one network's AUROC on real parts moves by up to 0.1 with its seed, which synthetic anomalies do
# not show (they score 0.90-0.99 for every network), and the mean of two is steadier (training/README.md).
ENSEMBLE_TOLERANCE = 0.01


def choose(candidates: list[dict]) -> dict:
    """The candidate with the highest criterion AUROC; ties go to the larger share of anomalous images
    above every good score, then to the earlier candidate (the larger input). An ensemble candidate
    ("ensemble": True) within ENSEMBLE_TOLERANCE of the highest AUROC is preferred."""
    best = max(candidates, key=lambda c: (c["criterion"]["auroc"], c["criterion"]["tpr_at_max_good"]))
    ensembles = [c for c in candidates if c.get("ensemble")
                 and c["criterion"]["auroc"] >= best["criterion"]["auroc"] - ENSEMBLE_TOLERANCE]
    return max(ensembles, key=lambda c: c["criterion"]["auroc"]) if ensembles else best


# --- calibration with few images --------------------------------------------------------------

def achievable_alpha(n: int, alpha: float) -> float:
    """The alpha actually used: the one asked, or the smallest that n held-out images support, 1/(n+1)."""
    return max(alpha, 1.0 / (n + 1))


def _beta_cdf_int(x: float, a: int, b: int) -> float:
    """CDF of Beta(a, b) for whole a, b: P(Bin(a+b-1, x) >= a)."""
    n = a + b - 1
    return float(sum(math.comb(n, j) * x ** j * (1 - x) ** (n - j) for j in range(a, n + 1)))


def _beta_quantile_int(q: float, a: int, b: int) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _beta_cdf_int(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def expected_fpr(n: int, k: int) -> dict:
    """False-reject rate of the k-th smallest of n held-out good scores used as the threshold.

    For exchangeable scores (held-out images like the line's future good parts), the probability that a
    new good part scores above the threshold, given the calibration set, is distributed as
    Beta(n + 1 - k, k) (Vovk 2012, "Conditional validity of inductive conformal predictors"):
    mean (n + 1 - k) / (n + 1); the interval is its 5 % and 95 % quantiles."""
    a, b = n + 1 - k, k
    return {"formula": "FPR ~ Beta(n+1-k, k)", "mean": a / (n + 1),
            "p05": _beta_quantile_int(0.05, a, b), "p95": _beta_quantile_int(0.95, a, b), "n": n, "k": k}
