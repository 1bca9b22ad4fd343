import math

import numpy as np
import pytest

from lineside_train import scores as S


def test_std_and_mse_by_hand():
    x = np.zeros((1, 1, 2, 2))
    y = np.array([[[[0.1, 0.3], [0.1, 0.3]]]])
    r = np.array([0.1, 0.3, 0.1, 0.3])
    assert S.score("mse", x, y) == pytest.approx(np.mean(r * r))
    assert S.score("std", x, y) == pytest.approx(0.1)  # population std
    assert S.score("std", x, x + 0.5) == pytest.approx(0.0, abs=1e-12)  # a uniform shift is not a defect to std


def test_gaussian_kernel_per_contract():
    k = S.gaussian_kernel(2.0)
    assert len(k) == 2 * math.ceil(6.0) + 1
    assert k.sum() == pytest.approx(1.0)
    t = np.arange(-6, 7)
    raw = np.exp(-t * t / 8.0)
    np.testing.assert_allclose(k, raw / raw.sum())


def test_max_blur_of_a_single_hot_pixel_is_the_kernel_peak_squared():
    x = np.zeros((1, 1, 31, 31))
    y = x.copy()
    y[0, 0, 15, 15] = 1.0
    k = S.gaussian_kernel(2.0)
    assert S.score("max-blur", x, y) == pytest.approx(k[len(k) // 2] ** 2)


def test_max_blur_replicates_edges_and_averages_channels():
    x = np.zeros((3, 5, 7))
    y = np.full((3, 5, 7), 0.2)
    y[1] = 0.5  # mean over channels of |r| = 0.3
    assert S.score("max-blur", x, y, sigma=1.5) == pytest.approx(0.3)  # constant map stays constant
    # a hot corner: with clamped borders the corner value is (sum of kernel over t<=0 ... ) > interior weight
    z = np.zeros((1, 9, 9))
    w = z.copy()
    w[0, 0, 0] = 1.0
    k = S.gaussian_kernel(1.0)
    c = len(k) // 2
    corner = k[: c + 1].sum() ** 2  # all clamped taps left/up of the corner hit the corner pixel
    assert S.residual_map(z, w, 1.0)[0, 0] == pytest.approx(corner)


def test_batch_scores_equal_single_scores():
    rng = np.random.default_rng(1)
    x = rng.random((4, 3, 12, 10))
    y = rng.random((4, 3, 12, 10))
    for name in S.SCORES:
        batch = S.score_batch(name, x, y, 1.3)
        single = [S.score(name, x[i], y[i], 1.3) for i in range(4)]
        np.testing.assert_allclose(batch, single, rtol=1e-12)
    maps = S.residual_maps(x, y, 1.3)
    np.testing.assert_allclose(maps[2], S.residual_map(x[2], y[2], 1.3))


def test_unknown_score_is_refused():
    with pytest.raises(ValueError, match="unknown score"):
        S.score("l1", np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))
