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


def test_batch_scores_are_the_same_in_chunks(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.random((11, 1, 24, 20)).astype(np.float32)
    y = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1).astype(np.float32)
    whole = {name: S.score_batch(name, x, y) for name in S.SCORES}
    monkeypatch.setattr(S, "SCORE_CHUNK", 4)  # 4 + 4 + 3
    for name in S.SCORES:
        chunked = S.score_batch(name, x, y)
        assert chunked.shape == (11,)
        np.testing.assert_array_equal(chunked, whole[name], err_msg=name)
    with pytest.raises(ValueError, match="11 inputs but 10 reconstructions"):
        S.score_batch("mse", x, y[:10])


def test_unknown_score_is_refused():
    with pytest.raises(ValueError, match="unknown score"):
        S.score("l1", np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))


def test_ssim_of_constant_images_by_hand():
    # Flat images: no variance, so SSIM reduces to its luminance term (2ab + C1) / (a^2 + b^2 + C1).
    a, b = 0.4, 0.6
    x = np.full((1, 9, 11), a)
    y = np.full((1, 9, 11), b)
    expect = 1 - (2 * a * b + S.SSIM_C1) / (a * a + b * b + S.SSIM_C1)
    assert S.score("ssim", x, y, sigma=1.5) == pytest.approx(expect, rel=1e-12)
    assert S.score("ssim", x, x, sigma=1.5) == pytest.approx(0.0, abs=1e-12)


def test_ssim_is_the_nearest_rank_999th_permille_of_the_dissimilarity_map():
    rng = np.random.default_rng(3)
    x = rng.random((3, 40, 30))
    y = np.clip(x + 0.2 * rng.standard_normal((3, 40, 30)), 0, 1)
    d = S.ssim_map(x, y, 1.0)
    assert d.shape == (40, 30)
    k = math.ceil(0.999 * 1200)  # 1199th smallest of 1200: the second largest
    assert k == 1199
    assert S.score("ssim", x, y, 1.0) == pytest.approx(np.sort(d.ravel())[k - 1], rel=1e-12)
    assert S.nearest_rank_quantile(np.arange(10.0)[None], 0.999)[0] == 9.0  # ceil(9.99) = 10th of 10
    assert S.nearest_rank_quantile(np.arange(10.0)[None], 0.0)[0] == 0.0  # k is at least 1
    np.testing.assert_allclose(S.residual_maps(x[None], y[None], 1.0, "ssim")[0], d)


def test_ssim_map_per_contract_formula_at_one_pixel():
    # Recompute pixel (4, 5) of one channel from the contract's definition with explicit windows.
    rng = np.random.default_rng(5)
    x = rng.random((1, 12, 12))
    y = rng.random((1, 12, 12))
    s = 1.2
    k = S.gaussian_kernel(s)
    r = len(k) // 2
    rows = np.clip(np.arange(4 - r, 4 + r + 1), 0, 11)
    cols = np.clip(np.arange(5 - r, 5 + r + 1), 0, 11)
    w = np.outer(k, k)
    px, py = x[0][np.ix_(rows, cols)], y[0][np.ix_(rows, cols)]
    mx, my = (w * px).sum(), (w * py).sum()
    vx, vy = (w * px * px).sum() - mx * mx, (w * py * py).sum() - my * my
    cxy = (w * px * py).sum() - mx * my
    ssim = (2 * mx * my + S.SSIM_C1) * (2 * cxy + S.SSIM_C2) / ((mx * mx + my * my + S.SSIM_C1) * (vx + vy + S.SSIM_C2))
    assert S.ssim_map(x, y, s)[4, 5] == pytest.approx(1 - ssim, rel=1e-10)


def test_ssim_sees_a_lost_texture_that_mse_barely_sees():
    # A reconstruction that smooths away a fine pattern: small squared error, large structural loss.
    yy, xx = np.mgrid[0:32, 0:32]
    x = (0.5 + 0.05 * ((xx + yy) % 2))[None].astype(np.float64)
    smooth = np.full_like(x, 0.525)
    assert S.score("mse", x, smooth) < 1e-3
    assert S.score("ssim", x, smooth, 1.5) > 0.3  # C2 / (var + C2) = 9 / 15.25: d = 0.41
