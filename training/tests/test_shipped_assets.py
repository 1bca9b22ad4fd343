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
    assert int(default_model.meta["lineside.calibration.n"]) >= 99  # enough for its alpha
    assert float(default_model.meta["lineside.calibration.median"]) < default_model.threshold


def _sample_scores(model, kind):
    files = preprocess.list_images(SAMPLES / kind)
    x = np.concatenate([preprocess.load(f, model.width, model.height, model.channels) for f in files])
    return S.score_batch(model.score, x, model.reconstruct(x), model.sigma)


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
