import math
from fractions import Fraction

import numpy as np
import pytest

from lineside_train import calibrate as C
from lineside_train.errors import UserError


def test_order_index_matches_exact_arithmetic():
    for alpha in (0.01, 0.05, 0.1, 0.2, 0.03, 0.001):
        a = Fraction(str(alpha))
        for n in range(1, 400):
            assert C.order_index(n, alpha) == math.ceil((n + 1) * (1 - a)), (n, alpha)


def test_binary_floating_point_does_not_shift_k():
    # (99 + 1) * (1 - 0.01) is 99 exactly; naive float math must not turn it into 100.
    assert C.order_index(99, 0.01) == 99
    assert C.order_index(199, 0.01) == 198
    assert C.order_index(19, 0.05) == 19


def test_threshold_is_the_kth_smallest_score():
    rng = np.random.default_rng(3)
    s = rng.permutation(np.arange(1, 201, dtype=float))  # scores 1..200, shuffled
    # n = 200, alpha = 0.01 -> k = ceil(201 * 0.99) = ceil(198.99) = 199
    assert C.threshold(s, 0.01) == 199.0
    # n = 200, alpha = 0.1 -> k = ceil(180.9) = 181
    assert C.threshold(s, 0.1) == 181.0


def test_too_few_images_for_alpha_is_refused_with_the_minimum():
    assert C.min_good_images(0.01) == 99
    assert C.threshold(np.arange(99.0), 0.01) == 98.0  # n = 99 is just enough: k = 99 = n
    with pytest.raises(UserError, match=r"98 held-out good images are too few for alpha=0.01: at least 99"):
        C.threshold(np.arange(98.0), 0.01)


def test_alpha_out_of_range():
    with pytest.raises(UserError, match="alpha"):
        C.order_index(10, 1.5)
