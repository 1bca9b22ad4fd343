"""Format 2: score functions as graph operations, splicing, upgrade, and the CLI around them."""

import numpy as np
import onnx
import pytest
import torch

from conftest import REPO
from lineside_train import export, heads, preprocess
from lineside_train import scores as S
from lineside_train.cli import main
from lineside_train.errors import UserError

FORMAT1 = REPO / "src/test/resources/golden/golden-gray.onnx"


@pytest.fixture(scope="module")
def parts(tiny_set):
    x, _ = preprocess.load_folder(tiny_set / "defect", 128, 128, 1)
    g, _ = preprocess.load_folder(tiny_set / "good", 128, 128, 1)
    return np.concatenate([g[:4], x[:4]])


@pytest.mark.parametrize("score,sigma", [("std", 2.0), ("mse", 2.0), ("max-blur", 2.0), ("max-blur", 1.0),
                                         ("ssim", 1.0), ("ssim", 2.0)])
def test_graph_score_equals_the_float64_reference(score, sigma, parts):
    f2 = export.rehead(FORMAT1.read_bytes(), score, sigma, 1, 128, 128)
    got, maps, y = export.detect(export.session(f2), parts, keep_reconstructions=True)
    ref = S.score_batch(score, parts, y, sigma)
    assert export.relative_error(got, ref) < 1e-6, (got, ref)  # float64 in the graph, float32 out
    expected_maps = S.residual_maps(parts, y, sigma if score in ("max-blur", "ssim") else S.DEFAULT_SIGMA, score)
    np.testing.assert_allclose(maps[:, 0], expected_maps, rtol=1e-5, atol=1e-6)


def test_ssim_quantile_is_the_nearest_rank_in_the_graph():
    """A map with one known order: the graph must pick exactly the k-th smallest value."""
    head = heads.ScoreHead("ssim", 1.0)
    x = torch.zeros(1, 1, 40, 25)
    y = torch.rand(1, 1, 40, 25, generator=torch.Generator().manual_seed(3))
    f2 = export.head_onnx_bytes(head, 1, 40, 25)
    got = export.session(f2).run(["score"], {"image": x.numpy(), "reconstruction": y.numpy()})[0]
    assert float(got[0]) == pytest.approx(S.score_ssim(x.numpy(), y.numpy(), 1.0), rel=1e-6)


def test_parity_check_catches_a_wrong_graph(parts):
    f2 = export.rehead(FORMAT1.read_bytes(), "max-blur", 2.0, 1, 128, 128)
    with pytest.raises(RuntimeError, match="parity failed"):
        export.head_parity(f2, parts[:2], "max-blur", 1.0)  # the graph blurs with sigma 2


def test_attach_head_refuses_a_graph_that_is_not_an_autoencoder():
    f2 = export.rehead(FORMAT1.read_bytes(), "std", 2.0, 1, 128, 128)
    head = export.head_onnx_bytes(heads.ScoreHead("std", 2.0), 1, 128, 128)
    with pytest.raises(UserError, match="not a format-1 autoencoder"):
        export.attach_head(f2, head)


def test_upgrade_keeps_network_and_threshold(tmp_path, tiny_set, parts):
    out = tmp_path / "f2.onnx"
    assert main(["upgrade", "--model", str(FORMAT1), "--out", str(out), "--good", str(tiny_set / "good"),
                 "--quiet"]) == 0
    m1, m2 = export.LoadedModel(FORMAT1), export.LoadedModel(out)
    assert m2.format == 2 and m2.outputs == ["score", "anomaly_map", "reconstruction"]
    assert m2.threshold == m1.threshold and m2.score == m1.score
    assert float(m2.meta["lineside.map.max"]) > 0
    s1, _, _ = m1.infer(parts, keep_maps=False)
    s2, _, _ = m2.infer(parts, keep_maps=False)
    np.testing.assert_allclose(s2, s1, rtol=1e-6)
    assert main(["upgrade", "--model", str(out), "--out", str(tmp_path / "again.onnx")]) == 2  # already format 2


def test_train_writes_format2_by_default_and_format1_on_request(tmp_path, tiny_set):
    common = ["train", "--good", str(tiny_set / "good"), "--size", "32", "--epochs", "1", "--conv-width", "4",
              "--latent", "4", "--alpha", "0.2", "--calibration-fraction", "0.3", "--quiet"]
    assert main(common + ["--out", str(tmp_path / "f2.onnx")]) == 0
    assert main(common + ["--out", str(tmp_path / "f1.onnx"), "--format", "1"]) == 0
    f2, f1 = export.LoadedModel(tmp_path / "f2.onnx"), export.LoadedModel(tmp_path / "f1.onnx")
    assert f2.meta["lineside.format"] == "2" and f1.meta["lineside.format"] == "1"
    assert f2.outputs == ["score", "anomaly_map", "reconstruction"] and f1.outputs == ["reconstruction"]
    assert float(f2.meta["lineside.map.max"]) > 0 and "lineside.map.max" not in f1.meta
    graph = onnx.load(str(tmp_path / "f2.onnx")).graph
    assert [d.dim_value for d in graph.output[1].type.tensor_type.shape.dim] == [1, 1, 32, 32]


def test_calibrate_format2_and_change_its_score(tmp_path, tiny_set):
    out = tmp_path / "f2.onnx"
    assert main(["upgrade", "--model", str(FORMAT1), "--out", str(out)]) == 0
    ssim = tmp_path / "ssim.onnx"
    assert main(["calibrate", "--model", str(out), "--good", str(tiny_set / "good"), "--alpha", "0.1",
                 "--score", "ssim", "--out", str(ssim), "--quiet"]) == 0
    m = export.LoadedModel(ssim)
    assert m.format == 2 and m.score == "ssim" and m.sigma == S.DEFAULT_SSIM_SIGMA
    x, _ = preprocess.load_folder(tiny_set / "good", 128, 128, 1)
    s, _, y = m.infer(x, keep_reconstructions=True)
    np.testing.assert_allclose(s, S.score_batch("ssim", x, y, 1.0), rtol=1e-6)
    assert m.threshold == pytest.approx(np.sort(s)[int(np.ceil(len(s) * 0.9 + 0.9)) - 1], rel=1e-9)


def test_calibrate_refuses_a_score_switch_without_reconstruction(tmp_path, tiny_set):
    strip = REPO / "src/test/resources/golden/golden2-rgb-strip.onnx"
    # the strip model has a reconstruction; strip it off to get a pure detector
    proto = onnx.load(str(strip))
    proto = onnx.utils.Extractor(proto).extract_model(["image"], ["score", "anomaly_map"])
    proto.metadata_props.extend(onnx.load(str(strip)).metadata_props)
    pure = tmp_path / "pure.onnx"
    onnx.save(proto, str(pure))
    assert main(["calibrate", "--model", str(pure), "--good", str(tiny_set / "good"), "--alpha", "0.1",
                 "--score", "ssim", "--out", str(tmp_path / "x.onnx"), "--quiet"]) == 2
    assert main(["calibrate", "--model", str(pure), "--good", str(tiny_set / "good"), "--alpha", "0.1",
                 "--out", str(tmp_path / "y.onnx"), "--quiet"]) == 0
    assert export.LoadedModel(tmp_path / "y.onnx").format == 2


def test_evaluate_a_format2_model(tmp_path, tiny_set):
    import json
    out = tmp_path / "f2.onnx"
    assert main(["upgrade", "--model", str(FORMAT1), "--out", str(out)]) == 0
    assert main(["evaluate", "--model", str(out), "--good", str(tiny_set / "good"), "--defect",
                 str(tiny_set / "defect"), "--report", str(tmp_path / "ev"), "--quiet"]) == 0
    rep = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert 0 <= rep["auroc"] <= 1 and rep["n_good"] == 24 and rep["n_defect"] == 6
    assert (tmp_path / "ev" / "residuals.png").stat().st_size > 1000


def test_roi_is_cropped_before_the_resize_and_travels_with_the_model(tmp_path, tiny_set):
    from PIL import Image
    from lineside_train import preprocess as P
    assert P.parse_roi("4, 8, 32, 16") == (4, 8, 32, 16) and P.parse_roi(None) is None
    for bad in ("1,2,3", "a,b,c,d", "0,0,0,5", "-1,0,4,4"):
        with pytest.raises(UserError):
            P.parse_roi(bad)
    img = np.zeros((40, 60), np.uint8)
    img[10:20, 30:50] = 255  # the region is all white, the rest black
    Image.fromarray(img).save(tmp_path / "p.png")
    x = P.load(tmp_path / "p.png", 8, 4, 1, roi=(30, 10, 20, 10))
    assert x.shape == (1, 1, 4, 8) and float(x.min()) == 1.0
    with pytest.raises(UserError, match="roi-outside-image"):
        P.load(tmp_path / "p.png", 8, 4, 1, roi=(50, 10, 20, 10))
    common = ["train", "--good", str(tiny_set / "good"), "--size", "32", "--epochs", "1", "--conv-width", "4",
              "--latent", "4", "--alpha", "0.2", "--calibration-fraction", "0.3", "--quiet"]
    assert main(common + ["--out", str(tmp_path / "r.onnx"), "--roi", "8,8,48,40"]) == 0
    m = export.LoadedModel(tmp_path / "r.onnx")
    assert m.meta["lineside.input.roi"] == "8,8,48,40" and m.roi == (8, 8, 48, 40)
    assert main(common + ["--out", str(tmp_path / "r1.onnx"), "--roi", "8,8,48,40", "--format", "1"]) == 2
