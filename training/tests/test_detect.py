"""The discriminative detector, synthetic anomalies, the automatic choice, the budget, and calibration
from few images (issue 16)."""

import json
import zlib
import math
import time

import numpy as np
import pytest
import torch

from lineside_train import anomalies as A
from lineside_train import auto
from lineside_train import detectors as D
from lineside_train import export
from lineside_train import preprocess
from lineside_train.cli import main
from lineside_train.errors import UserError


def _textured(n, c=1, h=64, w=64, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.2 * np.sin(xx / 3.0) * np.cos(yy / 5.0)
    return np.clip(base[None, None] + 0.03 * rng.standard_normal((n, c, h, w)), 0, 1).astype(np.float32)


@pytest.mark.parametrize("shape", A.SHAPES)
@pytest.mark.parametrize("kind", A.KINDS)
def test_anomaly_changes_only_its_region(kind, shape):
    gen = torch.Generator().manual_seed(zlib.crc32(f"{kind}-{shape}".encode()) % 1000)  # hash() varies per process
    x = torch.from_numpy(_textured(4, c=3, seed=1))
    for i in range(3):
        xa, region, target = A.paste(x[i], x, gen, kinds=(kind,), shape=shape)
        assert xa.shape == x[i].shape and region.shape == target.shape == x.shape[2:]
        outside = region == 0
        assert torch.equal(xa[:, outside], x[i][:, outside]), "the image must be unchanged outside the region"
        assert bool((target <= region).all()), "the target lies inside the region"
        assert region.sum() >= 1
        changed = (xa - x[i]).abs().amax(0) > 0.05
        assert bool((changed <= (region > 0)).all())


def test_missing_kinds_remove_signal():
    """darken and flatten take signal away (darker, less texture): what a detector must flag as well."""
    gen = torch.Generator().manual_seed(0)
    x = torch.from_numpy(_textured(2, seed=2))[0]
    big = torch.zeros(64, 64)
    big[16:48, 16:48] = 1
    dark = A.fill(x, "darken", x[None], gen)
    assert float(dark[:, 16:48, 16:48].mean()) < 0.75 * float(x[:, 16:48, 16:48].mean())
    flat = A.fill(x, "flatten", x[None], gen)
    assert float(flat[:, 16:48, 16:48].std()) < 0.6 * float(x[:, 16:48, 16:48].std())


def test_masks_cover_sizes_from_pixels_to_large_areas():
    gen = torch.Generator().manual_seed(3)
    areas = [float(A.random_mask(128, 128, gen).mean()) for _ in range(60)]
    assert min(areas) < 0.005 and max(areas) > 0.03


@pytest.mark.parametrize("channels,height,width", [(1, 64, 64), (3, 48, 80)])
def test_exported_graph_score_equals_pytorch(channels, height, width):
    x = _textured(6, c=channels, h=height, w=width, seed=4)
    net = D.build(channels, x, width=4)
    D.fit(net, x, steps=3, crop=32, batch_size=4)
    det = D.DiscDetector(net)
    b = export.detector_to_onnx_bytes(det, channels, height, width)
    worst = export.detector_parity(det, b, x[:3])
    assert worst <= export.PARITY_TOLERANCE
    s, maps, _ = export.detect(export.session(b), x[:2])
    ref_s, ref_m = D.infer(det, x[:2])
    assert maps.shape == (2, 1, height // 8, width // 8)
    np.testing.assert_allclose(s, ref_s, rtol=1e-4)
    np.testing.assert_allclose(maps, ref_m, rtol=1e-4, atol=1e-6)


class _Brightness(torch.nn.Module):
    """A stand-in network whose logit per 8 x 8 cell is the cell's mean brightness, scaled: the raw map is
    hot wherever the image is bright, as a trained network is hot on a part's busy features."""

    def forward(self, x):
        return 8.0 * (torch.nn.functional.avg_pool2d(x.mean(1, keepdim=True), D.STRIDE) - 0.5)


def _fixtured(n, seed, defect=False):
    """Good parts: a bright fixture bolt at the same place in every image (busy on every good part).
    A defect: a dimmer spot somewhere else. Raw, the bolt sets every score; normalised, the defect stands out."""
    rng = np.random.default_rng(seed)
    x = 0.3 + 0.02 * rng.standard_normal((n, 1, 64, 64))
    x[:, :, 8:16, 8:16] += 0.55 + 0.1 * rng.random((n, 1, 1, 1))  # the bolt, brightness varying a little
    if defect:
        for i in range(n):
            y0, x0 = 8 * rng.integers(3, 7), 8 * rng.integers(3, 7)
            x[i, :, y0:y0 + 8, x0:x0 + 8] += 0.3
    return np.clip(x, 0, 1).astype(np.float32)


def test_map_normalised_on_good_parts_stops_a_busy_feature_from_setting_the_score():
    good_train, good_test, defect = _fixtured(20, 1), _fixtured(10, 2), _fixtured(10, 3, defect=True)
    det = D.DiscDetector(_Brightness())
    assert det.score_name == "disc-max"
    raw_good, _ = D.infer(det, good_test)
    raw_defect, _ = D.infer(det, defect)
    assert auto.auroc(raw_good, raw_defect) < 0.8  # the bolt outshines the defect
    summary = det.normalise_on_good(good_train, structure_floor=1.0)  # the normalisation alone
    assert det.score_name == "disc-zmax" and summary["images"] == 20 and summary["spread_floor"] >= 0.01
    z_good, maps_good = D.infer(det, good_test)
    z_defect, maps_defect = D.infer(det, defect)
    assert auto.auroc(z_good, z_defect) == 1.0
    assert (maps_good >= 0).all() and (z_good >= 0).all()  # score and threshold stay >= 0 (CONTRACT.md)
    # the normalised map peaks on the defect's cell, not on the bolt's (cell 1, 1)
    cells = defect[:, 0].reshape(10, 8, 8, 8, 8).mean((2, 4))
    for i in range(10):
        cy, cx = divmod(int(maps_defect[i, 0].argmax()), 8)
        assert (cy, cx) != (1, 1) and cells[i, cy, cx] > 0.5
    # normalising twice starts from the raw map again: the same constants
    again = det.normalise_on_good(good_train, structure_floor=1.0)
    assert again == summary


def _on_plain_background(n, seed, speck=False, defect=False):
    """A textured part on the left half, plain background on the right (a part on a table). A speck: a bright
    8 x 8 spot on the background (+0.25); a defect: a spot on the part (+0.4)."""
    rng = np.random.default_rng(seed)
    x = 0.3 + 0.03 * rng.standard_normal((n, 1, 64, 64))
    x[:, :, :, :32] = _textured(n, h=64, w=32, seed=seed)
    for i in range(n):
        y0 = 8 * int(rng.integers(1, 7))
        if speck:
            x[i, :, y0:y0 + 8, 40:48] += 0.25
        if defect:
            x[i, :, y0:y0 + 8, 16:24] += 0.4
    return np.clip(x, 0, 1).astype(np.float32)


def test_structure_weight_weighs_down_specks_on_plain_background():
    good = _on_plain_background(20, 1)
    w = D.structure_weight_map(good, 0.5)
    assert w.shape == (8, 8)
    assert float(w[:, 4:].max()) < 0.7 < float(np.median(w[:, :4]))  # plain background: near the floor
    np.testing.assert_array_equal(D.structure_weight_map(good, 1.0), np.ones((8, 8)))
    plain = np.full((3, 1, 64, 64), 0.4, dtype=np.float32)
    np.testing.assert_array_equal(D.structure_weight_map(plain, 0.5), np.ones((8, 8)))  # nothing to weigh
    with pytest.raises(ValueError):
        D.structure_weight_map(good, 1.5)
    # a speck on the background against a defect on the part: unweighted, the stand-in network's specks
    # outscore every defect (as dust on the screws' table did); weighted, every defect outscores every speck
    specks, defects = _on_plain_background(10, 2, speck=True), _on_plain_background(10, 3, defect=True)
    det = D.DiscDetector(_Brightness())
    det.normalise_on_good(good, structure_floor=1.0)
    plain_speck, plain_defect = D.infer(det, specks)[0], D.infer(det, defects)[0]
    summary = det.normalise_on_good(good)
    assert det.score_name == "disc-wzmax" and summary["structure_weight"]["floor"] == D.STRUCTURE_FLOOR
    s_speck, maps_speck = D.infer(det, specks)
    s_defect, _ = D.infer(det, defects)
    assert auto.auroc(plain_speck, plain_defect) < 0.5 < auto.auroc(s_speck, s_defect) == 1.0
    assert (maps_speck >= 0).all()
    # the weight is a constant of the exported graph
    b = export.detector_to_onnx_bytes(det, 1, 64, 64)
    assert export.detector_parity(det, b, specks[:3], floor=1.0) <= export.PARITY_TOLERANCE


def test_views_average_the_mirrored_maps():
    x = _textured(2, h=64, w=96, seed=8)
    x[1, :, 20:28, 60:70] = 0.0  # something asymmetric
    net = D.build(1, x, width=4)
    D.fit(net, x, steps=2, crop=32, batch_size=4)
    one, two = D.DiscDetector(net, views=1), D.DiscDetector(net, views=2)
    assert D.DiscDetector(net).views == D.VIEWS == 3
    _, m1 = D.infer(one, x)
    _, m1_mirrored = D.infer(one, np.ascontiguousarray(x[..., ::-1]))
    _, m2 = D.infer(two, x)
    np.testing.assert_allclose(m2, (m1 + m1_mirrored[..., ::-1]) / 2, rtol=1e-5, atol=1e-6)
    _, m2_mirrored = D.infer(two, np.ascontiguousarray(x[..., ::-1]))
    np.testing.assert_allclose(m2_mirrored[..., ::-1], m2, rtol=1e-5, atol=1e-6)  # left-right blind
    with pytest.raises(ValueError):
        D.DiscDetector(net, views=4)


def test_exported_normalised_graph_equals_pytorch():
    x = _textured(8, seed=7)
    net = D.build(1, x, width=4)
    D.fit(net, x, steps=3, crop=32, batch_size=4)
    det = D.DiscDetector(net)
    det.normalise_on_good(x[:6])
    b = export.detector_to_onnx_bytes(det, 1, 64, 64)
    assert export.detector_parity(det, b, x[6:], floor=1.0) <= export.PARITY_TOLERANCE
    s, maps, _ = export.detect(export.session(b), x[6:])
    ref_s, ref_m = D.infer(det, x[6:])
    np.testing.assert_allclose(s, ref_s, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(maps, ref_m, rtol=1e-4, atol=1e-4)


def _normalised(x, seed):
    net = D.build(x.shape[1], x, width=4)
    D.fit(net, x, steps=3, crop=32, batch_size=4, seed=seed)
    det = D.DiscDetector(net)
    det.normalise_on_good(x)
    return det


def test_two_scales_average_the_networks_and_export_exactly():
    x = _textured(8, h=64, w=96, seed=9)
    half = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 2).numpy()
    fine, coarse = _normalised(x, 0), _normalised(half, 1)
    both = D.ScalesDetector([fine, coarse], [1, 2])
    assert both.score_name == "disc-wzmax-scales"  # weighted by structure, the default
    s, m = D.infer(both, x)
    s1, m1 = D.infer(fine, x)
    s2, m2 = D.infer(coarse, half)
    assert m.shape == m1.shape == (8, 1, 8, 12) and m2.shape == (8, 1, 4, 6)
    np.testing.assert_allclose(s, (s1 + s2) / 2, rtol=1e-5, atol=1e-6)  # the mean of the two maxima
    coarse_on_fine_grid = m2.repeat(2, axis=2).repeat(2, axis=3)
    np.testing.assert_allclose(m, (m1 + coarse_on_fine_grid) / 2, rtol=1e-5, atol=1e-6)
    b = export.detector_to_onnx_bytes(both, 1, 64, 96)
    assert export.detector_parity(both, b, x[:3], floor=1.0) <= export.PARITY_TOLERANCE
    got, maps, _ = export.detect(export.session(b), x[:3])
    np.testing.assert_allclose(maps, m[:3], rtol=1e-4, atol=1e-4)
    with pytest.raises(UserError):
        both.check_input(64, 88)  # 88 / 16 is not whole: the coarse map would not line up
    with pytest.raises(ValueError):
        D.ScalesDetector([fine, D.DiscDetector(fine.net)], [1, 2])  # not normalised
    with pytest.raises(ValueError):
        D.ScalesDetector([fine, coarse], [2, 1])


def test_good_scores_are_each_image_against_the_others():
    """normalise_on_good's good_scores are leave-one-out scores, exactly: what an unseen good image scores."""
    x = _textured(6, h=64, w=64, seed=4)
    det = _normalised(x, 2)
    _, maps = D.infer(D.DiscDetector(det.net), x)
    floor = max(0.1 * float(np.median(maps.std(0))), 0.01)
    weight = D.structure_weight_map(x)
    for i in range(len(x)):
        others = np.delete(maps, i, 0).astype(np.float64)
        expected = (np.maximum(0, (maps[i] - others.mean(0)) / (others.std(0) + floor)) * weight).max()
        assert det.good_scores[i] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def _neighbour_reference(det, x, xq):
    """Brute force: every query cell's 1 - best cosine to the bank, in numpy (float64)."""
    with torch.no_grad():
        f = det.features(torch.from_numpy(xq)).numpy().astype(np.float64)
    bank = det.bank[:, :, 0, 0].numpy().astype(np.float64)
    n, d, h, w = f.shape
    cos = np.einsum("nchw,kc->nkhw", f, bank)
    return 1 - cos.max(1, keepdims=True)


@pytest.mark.parametrize("scales", [False, True])
def test_neighbour_reference_combines_standardised_scores_and_exports_exactly(scales):
    x = _textured(8, h=64, w=96, seed=11)
    fine = _normalised(x, 0)
    base = D.ScalesDetector([fine, _normalised(torch.nn.functional.avg_pool2d(torch.from_numpy(x), 2).numpy(), 1)],
                            [1, 2]) if scales else fine
    det = D.NeighbourDetector(base, bank_size=300)
    assert det.score_name == ("disc-wzmax-scales-knn" if scales else "disc-wzmax-knn")
    info = det.fit_reference(x, seed=0)
    assert info["feature_grid"] == ([4, 6] if scales else [8, 12])
    assert info["images"] == 8 and info["bank_cells"] == min(300, 8 * (24 if scales else 96))  # all, if fewer
    a, b, c, d = (float(v) for v in det.stats)
    assert a == pytest.approx(base.good_scores.mean(), rel=1e-6) and b >= 0.1 - 1e-7 and d >= 0.01 - 1e-7  # floors
    xq = _textured(3, h=64, w=96, seed=12)
    xq[0, :, 20:40, 30:50] = 0.0  # a hole: a patch no good part shows
    s, m = D.infer(det, xq)
    s_disc, m_disc = D.infer(base, xq)
    dist = _neighbour_reference(det, x, xq)
    expected = np.maximum(0, ((s_disc - a) / b + (dist.reshape(3, -1).max(1) - c) / d) / 2 + 2)
    np.testing.assert_allclose(s, expected, rtol=1e-5, atol=1e-5)
    up = m_disc.shape[-1] // dist.shape[-1]
    dist_fine = dist.repeat(up, 2).repeat(up, 3)
    np.testing.assert_allclose(m, np.maximum(0, ((m_disc - a) / b + (dist_fine - c) / d) / 2 + 2), rtol=1e-5, atol=1e-5)
    assert m.shape == m_disc.shape
    assert dist[0].max() > dist[1:].max(), "the hole is farther from every good cell than any good cell"
    onnx_bytes = export.detector_to_onnx_bytes(det, 1, 64, 96)
    assert export.detector_parity(det, onnx_bytes, xq, floor=1.0) <= export.PARITY_TOLERANCE
    with pytest.raises(ValueError):
        D.NeighbourDetector(D.DiscDetector(fine.net))  # not normalised


def test_neighbour_reference_of_each_image_leaves_its_own_cells_out():
    """The neighbour spread is measured like an unseen image: with its own cells in the bank, every training
    image would be at distance 0 from itself."""
    x = _textured(5, h=64, w=64, seed=13)
    det = D.NeighbourDetector(_normalised(x, 3), bank_size=5 * 8 * 8)  # every cell of every image
    info = det.fit_reference(x)
    assert info["bank_cells"] == 320
    assert info["neighbour_score_mean"] > 1e-4


def test_choice_prefers_both_networks_only_within_the_tolerance():
    def cand(name, a, ensemble=False):
        return {"method": name, "ensemble": ensemble, "criterion": {"auroc": a, "tpr_at_max_good": 0.5}}
    tol = auto.ENSEMBLE_TOLERANCE
    assert auto.choose([cand("full", 0.95), cand("half", 0.94), cand("both", 0.95 - tol / 2, True)])["method"] == "both"
    assert auto.choose([cand("full", 0.95), cand("half", 0.94), cand("both", 0.95 - 2 * tol, True)])["method"] == "full"
    assert auto.choose([cand("full", 0.90), cand("half", 0.94)])["method"] == "half"


def test_default_train_offers_both_networks_at_two_scales(tmp_path, capsys):
    """Images large enough for a half-size candidate: two networks trained, and a third candidate made of both,
    scored without another run; whatever is chosen is what the model file says."""
    from lineside_train import synth
    data = tmp_path / "set"
    synth.write_set(data, 30, 0, size=160, seed=3, progress=False)
    model = tmp_path / "m.onnx"
    code = main(["train", "--good", str(data / "good"), "--out", str(model), "--budget", "16s", "--quiet",
                 "--threads", "1"])
    assert code == 0, capsys.readouterr().err
    r = _report(model)
    cands = r["candidates"]
    assert [c["input"]["width"] for c in cands] == [160, 80, 160]
    both = cands[2]
    assert both["ensemble"] and both["score"] == "disc-wzmax-scales" and both["steps"] == cands[0]["steps"] + cands[1]["steps"]
    assert [s["width"] for s in both["scales"]] == [160, 80]
    chosen = [c for c in cands if c["chosen"]]
    assert len(chosen) == 1
    m = export.LoadedModel(model)
    assert m.meta["lineside.score"] == r["chosen"]["score"] == chosen[0]["score"]  # no neighbours by default
    assert int(m.meta["lineside.score.neighbours"]) == 0 and r["chosen"]["neighbours"] is None
    assert m.meta["lineside.score.scales"] == ("1,2" if chosen[0].get("ensemble") else "1")
    assert (m.width, m.height) == (chosen[0]["input"]["width"], chosen[0]["input"]["height"])


def test_fit_stops_when_its_time_is_up():
    x = _textured(8, seed=5)
    net = D.build(1, x, width=4)
    t0 = time.perf_counter()
    r = D.fit(net, x, seconds=1.0, crop=32, batch_size=4)
    took = time.perf_counter() - t0
    assert r["steps"] >= 1 and r["seconds"] < 1.0 + 2.0 and took < 3.0


def test_autoencoder_fit_stops_at_its_deadline():
    from lineside_train import models, train as T
    x = _textured(16, seed=6)[:, :, :32, :32]
    model = models.build("conv", 1, 32, width=4, latent=4)
    opt = models.optimizer_for("conv", model, 1e-3)
    losses = T.fit(model, opt, x, epochs=10_000, batch_size=8, progress=False, device=torch.device("cpu"),
                   deadline=time.perf_counter() + 1.0)
    assert 1 <= len(losses) < 10_000


class _Sensitive(torch.nn.Module):
    """Scores local deviation from the image's own smoothed version: sees pasted anomalies."""

    def forward(self, x):
        m = (x - torch.nn.functional.avg_pool2d(x, 9, 1, 4, count_include_pad=False)).abs().mean(1, keepdim=True)
        m = torch.nn.functional.avg_pool2d(m, 8)
        return m.flatten(1).amax(1), m


class _Blind(torch.nn.Module):
    """Scores global brightness only: blind to local anomalies."""

    def forward(self, x):
        m = x.mean(1, keepdim=True)
        m = torch.nn.functional.avg_pool2d(m, 8)
        return m.flatten(1).mean(1), m


def test_choice_picks_the_better_candidate_on_synthetic_anomalies():
    held_out = _textured(24, seed=7)
    bad = auto.synthetic_validation_set(held_out, seed=0)
    cands = []
    for name, det in (("blind", _Blind()), ("sensitive", _Sensitive())):
        g, _ = D.infer(det, held_out)
        a, _ = D.infer(det, bad)
        cands.append({"method": name, "criterion": auto.criterion(g, a)})
    best = auto.choose(cands)
    assert best["method"] == "sensitive"
    print(cands)
    assert cands[1]["criterion"]["auroc"] > 0.7 and cands[0]["criterion"]["auroc"] < 0.62


def test_budget_parsing_and_input_size():
    assert auto.parse_budget("90s") == 90 and auto.parse_budget("20m") == 1200 and auto.parse_budget("1h") == 3600
    assert auto.parse_budget("1.5h") == 5400 and auto.parse_budget("45") == 45
    for bad in ("", "20 minutes", "-5m", "0s"):
        with pytest.raises(UserError):
            auto.parse_budget(bad)
    assert auto.input_size([(800, 600)] * 3) == (592, 440)  # 262144 pixels at most, aspect kept
    assert auto.input_size([(300, 300)]) == (304, 304)  # never scaled up beyond rounding
    w, h = auto.input_size([(2048, 1024)])
    assert w * h <= auto.MAX_PIXELS * 1.05 and w % 8 == 0 and h % 8 == 0 and abs(w / h - 2) < 0.05


def test_expected_fpr_is_the_beta_of_the_order_statistic():
    n, k = 19, 19
    e = auto.expected_fpr(n, k)
    assert e["mean"] == pytest.approx(1 / 20)
    # Beta(1, 19): P(FPR <= x) = 1 - (1 - x)^19
    assert 1 - (1 - e["p05"]) ** 19 == pytest.approx(0.05, abs=1e-6)
    assert 1 - (1 - e["p95"]) ** 19 == pytest.approx(0.95, abs=1e-6)
    # simulation: calibrate on n uniform scores, the share of new scores above the k-th smallest
    rng = np.random.default_rng(0)
    cal = np.sort(rng.random((4000, n)), axis=1)[:, k - 1]
    assert float(np.mean(1 - cal)) == pytest.approx(e["mean"], abs=0.005)


def _report(model):
    return json.loads(model.with_name(model.stem + ".train-report.json").read_text())


def test_default_train_works_from_few_images_and_says_so(tiny_set, tmp_path, capsys):
    """No flags but --good and --out (and a short budget): disc, format 2, alpha falls back to 1/(n+1)."""
    model = tmp_path / "m.onnx"
    code = main(["train", "--good", str(tiny_set / "good"), "--out", str(model), "--budget", "12s", "--quiet",
                 "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    r = _report(model)
    assert r["chosen"]["method"] == "disc" and r["chosen"]["input"] == {"width": 64, "height": 64, "channels": 1}
    c = r["calibration"]
    assert c["n"] == 5 and c["alpha"] == pytest.approx(1 / 6) and c["alpha_requested"] == 0.01 and c["alpha_fallback"]
    assert "too few for alpha 0.01" in err and "1/(n+1)" in err
    assert c["expected_fpr"]["mean"] == pytest.approx(1 / 6)
    assert r["defect_dir_used"] is False and r["elapsed_s"] < 12 + 10
    m = export.LoadedModel(model)
    assert m.format == 2 and m.meta["lineside.model.arch"] == "disc"
    assert float(m.meta["lineside.calibration.alpha"]) == pytest.approx(1 / 6)
    assert float(m.meta["lineside.threshold"]) == pytest.approx(c["threshold"])
    assert r["candidates"][0]["criterion"]["auroc"] >= 0  # measured, not assumed
    assert m.meta["lineside.score"] == "disc-wzmax" and r["candidates"][0]["score"] == "disc-wzmax"
    assert r["candidates"][0]["map_normalisation"]["images"] == 19


def test_explicit_alpha_keeps_the_refusal(tiny_set, tmp_path, capsys):
    code = main(["train", "--good", str(tiny_set / "good"), "--out", str(tmp_path / "m.onnx"), "--alpha", "0.01",
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "too small for alpha=0.01" in err and "at least 99" in err


def _train_tiny(tiny_set, model, *flags):
    """train on the tiny set at 32 px for 2 epochs, quietly, on one thread, with the flags given."""
    return main(["train", "--good", str(tiny_set / "good"), "--out", str(model), "--size", "32", "--epochs", "2",
                 "--quiet", "--threads", "1", *flags])


def test_defect_folder_chooses_and_is_reported(tiny_set, tmp_path, capsys):
    model = tmp_path / "d.onnx"
    code = _train_tiny(tiny_set, model, "--arch", "disc", "--defect", str(tiny_set / "defect"))
    err = capsys.readouterr().err
    assert code == 0, err
    r = _report(model)
    assert r["defect_dir_used"] is True and "never to train" in r["criterion_source"]
    assert r["chosen"]["input"] == {"width": 32, "height": 32, "channels": 1}
    assert r["candidates"][0]["steps"] == 2


def test_neighbours_add_the_reference_to_the_chosen_detector(tiny_set, tmp_path, capsys):
    model = tmp_path / "n.onnx"
    code = _train_tiny(tiny_set, model, "--arch", "disc", "--neighbours", "64")
    assert code == 0, capsys.readouterr().err
    r = _report(model)
    m = export.LoadedModel(model)
    assert m.meta["lineside.score"] == r["chosen"]["score"] == "disc-wzmax-knn"
    assert r["candidates"][0]["score"] == "disc-wzmax"  # the candidate as trained and judged
    ref = r["chosen"]["neighbours"]
    assert int(m.meta["lineside.score.neighbours"]) == ref["bank_cells"] == 64
    assert 0 <= ref["criterion"]["auroc"] <= 1 and ref["neighbour_score_sd"] >= 0.01 - 1e-7
    x, _ = preprocess.load_folder(tiny_set / "good", m.width, m.height, m.channels)
    s = m.infer(x, keep_maps=False)[0]
    assert (s >= 0).all()
    with pytest.raises(SystemExit) as refused:
        main(["train", "--good", str(tiny_set / "good"), "--out", str(model), "--neighbours", "-1"])
    assert refused.value.code == 2 and "--neighbours must not be negative" in capsys.readouterr().err


def test_autoencoder_flags_pin_the_autoencoder(tiny_set, tmp_path, capsys):
    model = tmp_path / "c.onnx"
    code = _train_tiny(tiny_set, model, "--arch", "conv", "--conv-width", "4")
    assert code == 0, capsys.readouterr().err
    r = _report(model)
    assert r["chosen"]["method"] == "conv" and r["candidates"][0]["epochs"] == 2
    assert r["chosen"]["input"] == {"width": 32, "height": 32, "channels": 1}
    code = main(["train", "--good", str(tiny_set / "good"), "--out", str(model), "--arch", "disc", "--loss", "mse",
                 "--quiet"])
    assert code == 2 and "only apply to the autoencoders" in capsys.readouterr().err


def test_near_copies_are_held_out_by_group(tmp_path, capsys):
    """Images that come as near-copies (rotated, re-exposed shots of one part) are held out whole groups at a time."""
    from PIL import Image
    rng = np.random.default_rng(8)
    folder = tmp_path / "good"
    folder.mkdir()
    for p in range(10):  # 10 distinct parts, 3 near-copies each
        base = rng.random((8, 8))
        img = np.kron(base, np.ones((8, 8)))
        for v in range(3):
            shot = np.clip(np.rot90(img, v) * (0.9 + 0.05 * v), 0, 1)
            Image.fromarray((shot * 255).astype(np.uint8)).save(folder / f"p{p:02d}_{v}.png")
    model = tmp_path / "g.onnx"
    code = main(["train", "--good", str(folder), "--out", str(model), "--epochs", "1", "--quiet", "--threads", "1",
                 "--calibration-fraction", "0.2"])
    assert code == 0, capsys.readouterr().err
    c = _report(model)["calibration"]
    assert c["holdout"].startswith("groups of near-copies (10 groups of 2-3") and c["n"] % 3 == 0 and c["n"] >= 6
