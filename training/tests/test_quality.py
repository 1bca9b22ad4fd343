"""Pixel masks, brightness equalisation and the bench-quality table."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from lineside_train import evaluate as E
from lineside_train import export, quality as Q
from lineside_train.cli import base_metadata, main


def test_labelled_auroc_equals_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    good = np.round(rng.normal(0, 1, 300), 1)  # rounding makes ties
    defect = np.round(rng.normal(0.8, 1, 200), 1)
    scores = np.concatenate([good, defect])
    labels = np.r_[np.zeros(300, bool), np.ones(200, bool)]
    assert Q.auroc_labelled(scores, labels) == pytest.approx(E.auroc(good, defect), abs=1e-12)
    assert Q.auroc_labelled(labels.astype(float), labels) == 1.0
    assert Q.auroc_labelled(-labels.astype(float), labels) == 0.0


def test_masks_are_found_by_stem_suffix_and_folder(tmp_path):
    (tmp_path / "masks/crack").mkdir(parents=True)
    (tmp_path / "masks/hole").mkdir(parents=True)
    img = Image.fromarray(np.zeros((4, 4), np.uint8))
    for p in ("masks/crack/a.png", "masks/hole/a.png", "masks/cut_001_mask.png"):
        img.save(tmp_path / p)
    defects = [tmp_path / "test/defect/hole/a.jpg", tmp_path / "test/defect/cut_001.jpg", tmp_path / "test/defect/z.jpg"]
    found = Q.find_masks(defects, tmp_path / "masks")
    assert found == [tmp_path / "masks/hole/a.png", tmp_path / "masks/cut_001_mask.png", None]


def test_equalised_images_share_mean_and_contrast():
    rng = np.random.default_rng(1)
    x = np.stack([rng.random((1, 16, 16)) * 0.3 + 0.1, rng.random((1, 16, 16)) * 0.2 + 0.6]).astype(np.float32)
    e = Q.equalise_brightness(x, 0.5, 0.05)
    assert e.reshape(2, -1).mean(axis=1) == pytest.approx([0.5, 0.5], abs=1e-4)
    assert e.reshape(2, -1).std(axis=1) == pytest.approx([0.05, 0.05], abs=1e-4)


class BrightSpots(torch.nn.Module):
    """A format-2 detector with a known answer: the map is the image's 4x4 brightness."""

    def forward(self, x):
        heat = torch.nn.functional.avg_pool2d(x.mean(dim=1, keepdim=True), 4)
        return heat.amax(dim=(1, 2, 3)), heat


def _scene(root, rng, n_good=6, n_defect=6, shift_masks=False):
    for d in ("good", "defect/spot"):
        (root / "test" / d).mkdir(parents=True, exist_ok=True)
    (root / "masks/spot").mkdir(parents=True, exist_ok=True)
    for i in range(n_good):
        Image.fromarray((rng.random((64, 64)) * 40 + 20).astype(np.uint8)).save(root / f"test/good/g{i}.png")
    for i in range(n_defect):
        a = rng.random((64, 64)) * 40 + 20
        y, x = rng.integers(4, 44, 2)
        a[y:y + 16, x:x + 16] = 230
        Image.fromarray(a.astype(np.uint8)).save(root / f"test/defect/spot/d{i}.png")
        m = np.zeros((64, 64), np.uint8)
        if shift_masks:
            y, x = (y + 24) % 48, (x + 24) % 48
        m[y:y + 16, x:x + 16] = 255
        Image.fromarray(m).save(root / f"masks/spot/d{i}.png")


@pytest.mark.parametrize("shift,expect", [(False, lambda v: v > 0.97), (True, lambda v: v < 0.6)])
def test_evaluate_masks_pixel_auroc_has_the_known_answer(tmp_path, shift, expect):
    _scene(tmp_path, np.random.default_rng(2), shift_masks=shift)
    module = BrightSpots()
    onnx_bytes = export.detector_to_onnx_bytes(module, 1, 64, 64)
    meta = base_metadata(64, 64, 1, "bright", 1.0, 0.5, 0.1, 9, 0.2, "spots", "1", "test", fmt=2)
    export.save(export.with_metadata(onnx_bytes, meta), tmp_path / "m.onnx")
    assert main(["evaluate", "--model", str(tmp_path / "m.onnx"), "--good", str(tmp_path / "test/good"),
                 "--defect", str(tmp_path / "test/defect"), "--masks", str(tmp_path / "masks"),
                 "--equalise-brightness", "--report", str(tmp_path / "ev"), "--quiet"]) == 0
    rep = json.loads((tmp_path / "ev/report.json").read_text())
    assert rep["masks"] == {"folder": str(tmp_path / "masks"), "found": 6, "of": 6}
    assert expect(rep["pixel_auroc"]), rep["pixel_auroc"]
    assert rep["auroc"] == 1.0 and "auroc" in rep["equalised"]
    assert (tmp_path / "ev/residuals.png").stat().st_size > 1000


def test_bench_quality_prints_a_row_per_set_with_every_column(tmp_path, tiny_set, capsys):
    import shutil
    rng = np.random.default_rng(3)
    for name in ("alpha", "beta"):
        root = tmp_path / "sets" / name
        shutil.copytree(tiny_set / "good", root / "train/good")
        _scene(root, rng, n_good=4, n_defect=3)
    (tmp_path / "sets/notes").mkdir()  # no layout: skipped
    quick = "--arch conv --size 32 --epochs 1 --conv-width 4 --latent 4 --alpha 0.2 --calibration-fraction 0.3"
    assert main(["bench-quality", "--datasets", str(tmp_path / "sets"), "--work", str(tmp_path / "work"),
                 "--train-args", quick, "--quiet"]) == 0
    out = capsys.readouterr().out
    table = [l for l in out.splitlines() if l.startswith("|")]
    assert table[0] == "| " + " | ".join(Q.COLUMNS) + " |"
    rows = [l.split("|")[1:-1] for l in table[2:]]
    assert [r[0].strip() for r in rows] == ["alpha", "beta"]
    for r in rows:
        assert len(r) == len(Q.COLUMNS)
        assert all(c.strip() not in ("", "-") for c in r), r  # every column has a value (masks present)
        assert r[2].strip() == "32x32x1"
        assert 0 <= float(r[3]) <= 1 and 0 <= float(r[8]) <= 1 and float(r[10]) > 0
