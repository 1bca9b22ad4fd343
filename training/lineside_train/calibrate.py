"""Threshold from held-out good images only: the order statistic of training/CONTRACT.md."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .errors import UserError


def _exact(alpha: float) -> Fraction:
    # alpha as the decimal the user typed (0.01 is exactly 1/100), so k is not off by one
    # through binary floating point.
    return Fraction(repr(float(alpha)))


def check_alpha(alpha: float) -> None:
    if not (0 < alpha < 1):
        raise UserError(f"alpha must be between 0 and 1 (exclusive), got {alpha}")


def order_index(n: int, alpha: float) -> int:
    """k = ceil((n + 1) * (1 - alpha)), 1-based."""
    check_alpha(alpha)
    return math.ceil((n + 1) * (1 - _exact(alpha)))


def min_good_images(alpha: float) -> int:
    """The fewest held-out good images for which k <= n: ceil(1/alpha) - 1."""
    check_alpha(alpha)
    return math.ceil(1 / _exact(alpha)) - 1


def threshold(scores, alpha: float) -> float:
    """The k-th smallest score; refuses when n is too small for alpha."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    n = len(s)
    k = order_index(n, alpha)
    if k > n:
        raise UserError(
            f"{n} held-out good images are too few for alpha={alpha}: at least "
            f"{min_good_images(alpha)} are needed (add good images, or raise alpha or --calibration-fraction)")
    return float(s[k - 1])
