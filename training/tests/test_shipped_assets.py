"""The files the appliance ships and tests with: default model, sample images, golden vectors."""

import json

import numpy as np
import pytest

from conftest import REPO
from lineside_train import export, preprocess
from lineside_train import scores as S

DEFAULT_MODEL = REPO / "src/main/resources/lineside/default-model.onnx"
SAMPLES = REPO / "src/main/resources/samples"
GOLDEN = REPO / "src/test/resources/golden"


@pytest.fixture(scope="module")
def default_model():
    return export.LoadedModel(DEFAULT_MODEL)


def test_default_model_is_small_and_complete(default_model):
    assert DEFAULT_MODEL.stat().st_size < 5 * 1024 * 1024
    for key in export.REQUIRED_KEYS:
        assert default_model.meta.get(key), key
    assert default_model.channels == 1
    assert default_model.format == 2  # the appliance runs the graph's own score
    assert float(default_model.meta["lineside.map.max"]) > default_model.threshold
    assert int(default_model.meta["lineside.calibration.n"]) >= 99  # enough for its alpha
    assert float(default_model.meta["lineside.calibration.median"]) < default_model.threshold


def _sample_scores(model, kind):
    files = preprocess.list_images(SAMPLES / kind)
    x = np.concatenate([preprocess.load(f, model.width, model.height, model.channels) for f in files])
    return model.infer(x, keep_maps=False)[0]


def test_samples_get_the_right_verdict_with_margin(default_model):
    thr = default_model.threshold
    good = _sample_scores(default_model, "good")
    defect = _sample_scores(default_model, "defect")
    assert len(good) >= 3 and len(defect) >= 3
    # clear margin: good parts well under the threshold, defects well over it
    assert good.max() < 0.9 * thr, (good, thr)
    assert defect.min() > 1.25 * thr, (defect, thr)


def test_golden_vectors_reproduce():
    doc = json.loads((GOLDEN / "golden.json").read_text())
    tol = doc["tolerance"]
    kinds = set()
    for entry in doc["models"]:
        model = export.LoadedModel(GOLDEN / entry["file"])
        kinds.add(model.channels)
        assert len(entry["cases"]) >= 6
        for case in entry["cases"]:
            x = preprocess.load(GOLDEN / case["image"], model.width, model.height, model.channels)
            x64 = x.astype(np.float64)
            assert x64.sum() == pytest.approx(case["input"]["sum"], rel=tol)
            assert (x64 * x64).sum() == pytest.approx(case["input"]["sumOfSquares"], rel=tol)
            np.testing.assert_allclose(x.ravel()[:16], case["input"]["first"], rtol=tol, atol=1e-7)
            y = model.reconstruct(x)
            for name in S.SCORES:
                assert S.score(name, x, y, model.sigma) == pytest.approx(case["scores"][name], rel=tol), \
                    (entry["file"], case["image"], name)
    assert kinds == {1, 3}


def test_format2_golden_vectors_reproduce():
    doc = json.loads((GOLDEN / "golden2.json").read_text())
    tol = doc["tolerance"]
    shapes = set()
    for entry in doc["models"]:
        model = export.LoadedModel(GOLDEN / entry["file"])
        assert model.format == 2
        assert len(entry["cases"]) >= 6
        for case in entry["cases"]:
            x = preprocess.load(GOLDEN / case["image"], model.width, model.height, model.channels)
            x64 = x.astype(np.float64)
            assert x64.sum() == pytest.approx(case["input"]["sum"], rel=tol)
            s, maps, _ = model.infer(x)
            assert float(s[0]) == pytest.approx(case["score"], rel=tol), (entry["file"], case["image"])
            assert list(maps.shape) == case["map"]["shape"]
            assert float(maps.max()) == pytest.approx(case["map"]["max"], rel=tol)
            assert float(maps.astype(np.float64).sum()) == pytest.approx(case["map"]["sum"], rel=tol)
            shapes.add(tuple(case["map"]["shape"]))
    # the default model's full-size map, the strip model's quarter-size, non-square one, and the disc model's
    # 1/8 grid (two networks and the neighbour reference, as the default train exports them)
    assert shapes == {(1, 1, 128, 128), (1, 1, 6, 16), (1, 1, 8, 12)}
    assert export.LoadedModel(GOLDEN / "golden2-disc.onnx").meta["lineside.score"] == "disc-zmax-scales-knn"


def test_default_model_is_the_format1_network_with_its_score_in_the_graph():
    """golden-gray.onnx is the format-1 original: same reconstruction, and the graph's score equals
    the format-1 score computed in numpy on it."""
    f1 = export.LoadedModel(GOLDEN / "golden-gray.onnx")
    f2 = export.LoadedModel(DEFAULT_MODEL)
    assert f1.format == 1 and f1.meta["lineside.threshold"] == f2.meta["lineside.threshold"]
    x = np.concatenate([preprocess.load(f, 128, 128, 1) for f in preprocess.list_images(SAMPLES / "defect")])
    s1, _, y1 = f1.infer(x, keep_reconstructions=True)
    s2, _, y2 = f2.infer(x, keep_reconstructions=True)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_allclose(s2, s1, rtol=1e-6)
