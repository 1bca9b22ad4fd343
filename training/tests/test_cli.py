import json

import numpy as np
import pytest
from PIL import Image

from lineside_train import export
from lineside_train.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    assert "error:" in lines[0]
    return lines[0]


def test_train_calibrate_evaluate_end_to_end(tiny_set, tmp_path, capsys):
    model = tmp_path / "m.onnx"
    code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(model), "--arch", "dense",
                       "--size", "32", "--epochs", "2", "--alpha", "0.25", "--calibration-fraction", "0.25",
                       "--quiet", "--name", "tiny", "--threads", "1")
    assert code == 0, err
    meta = export.read_metadata(model)
    assert meta["lineside.calibration.n"] == "6"  # 0.25 of 24 good images
    assert meta["lineside.calibration.alpha"] == "0.25"
    assert meta["lineside.model.name"] == "tiny" and meta["lineside.model.arch"] == "dense"
    assert meta["lineside.score"] == "max-blur"
    # format 2: the threshold is the graph's float32 score; the information key is scores.py's float64
    assert float(meta["lineside.calibration.threshold.max-blur"]) == pytest.approx(float(meta["lineside.threshold"]), rel=1e-6)

    recal = tmp_path / "m2.onnx"
    code, _, err = run(capsys, "calibrate", "--model", str(model), "--good", str(tiny_set / "good"),
                       "--alpha", "0.1", "--score", "mse", "--out", str(recal), "--quiet")
    assert code == 0, err
    m2 = export.read_metadata(recal)
    assert m2["lineside.score"] == "mse" and m2["lineside.calibration.n"] == "24"
    assert m2["lineside.model.name"] == "tiny"

    rep = tmp_path / "report"
    code, out, err = run(capsys, "evaluate", "--model", str(recal), "--good", str(tiny_set / "good"),
                         "--defect", str(tiny_set / "defect"), "--report", str(rep), "--quiet")
    assert code == 0, err
    r = json.loads((rep / "report.json").read_text())
    for key in ("auroc", "average_precision", "threshold", "fpr", "tpr", "f1", "n_good", "n_defect", "f1_optimal"):
        assert key in r, key
    assert r["n_good"] == 24 and r["n_defect"] == 6
    assert r["threshold"] == pytest.approx(float(m2["lineside.threshold"]))
    assert 0 <= r["auroc"] <= 1
    # the calibration images are the evaluation images here: the FPR is at most alpha
    assert r["fpr"] <= 0.1 + 1e-9
    for png in ("scores.png", "reconstructions.png", "residuals.png"):
        with Image.open(rep / png) as im:
            assert im.size[0] > 200 and im.size[1] > 200
    assert "AUROC" in out
    assert set(r["by_score"]) == {"std", "mse", "max-blur", "ssim"}
    assert r["by_score"]["mse"]["threshold"] == pytest.approx(r["threshold"])  # the model's score is mse now
    assert "fpr" in r["by_score"]["std"]  # from the trainer's information key


def test_conv_defaults_to_ssim_and_calibrate_switches_the_sigma_with_the_score(tiny_set, tmp_path, capsys):
    model = tmp_path / "c.onnx"
    code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(model), "--size", "32",
                       "--epochs", "1", "--conv-width", "4", "--latent", "4", "--loss", "mse+ssim",
                       "--augment", "flip,scale", "--corrupt", "0.5",
                       "--alpha", "0.25", "--calibration-fraction", "0.25", "--quiet", "--threads", "1")
    assert code == 0, err
    meta = export.read_metadata(model)
    assert meta["lineside.model.arch"] == "conv" and meta["lineside.train.loss"] == "mse+ssim"
    assert meta["lineside.train.augment"] == "flip,scale" and float(meta["lineside.train.corrupt"]) == 0.5
    assert meta["lineside.score"] == "ssim" and float(meta["lineside.score.sigma"]) == 1.0
    # format 2: the threshold is the graph's float32 score; the information key is scores.py's float64
    assert float(meta["lineside.calibration.threshold.ssim"]) == pytest.approx(float(meta["lineside.threshold"]), rel=1e-6)
    recal = tmp_path / "c2.onnx"
    code, _, err = run(capsys, "calibrate", "--model", str(model), "--good", str(tiny_set / "good"),
                       "--alpha", "0.1", "--score", "max-blur", "--out", str(recal), "--quiet")
    assert code == 0, err
    m2 = export.read_metadata(recal)
    assert m2["lineside.score"] == "max-blur" and float(m2["lineside.score.sigma"]) == 2.0  # max-blur's default
    rep = tmp_path / "report"
    code, out, err = run(capsys, "evaluate", "--model", str(model), "--good", str(tiny_set / "good"),
                         "--defect", str(tiny_set / "defect"), "--report", str(rep), "--quiet")
    assert code == 0, err
    r = json.loads((rep / "report.json").read_text())
    assert r["score"] == "ssim" and r["by_score"]["ssim"]["auroc"] == pytest.approx(r["auroc"])


def test_conv_and_dense_baseline_defaults(tiny_set, tmp_path, capsys):
    for arch, loss, score in (("conv", "ssim", "ssim"), ("dense", "mse", "max-blur")):
        model = tmp_path / f"{arch}.onnx"
        code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(model), "--arch", arch,
                           "--size", "32", "--epochs", "1", "--conv-width", "4", "--latent", "4",
                           "--alpha", "0.25", "--calibration-fraction", "0.25", "--quiet", "--threads", "1")
        assert code == 0, err
        meta = export.read_metadata(model)
        assert meta["lineside.train.loss"] == loss and meta["lineside.score"] == score, arch
        augment, corrupt = ("rot90,shift,scale,brightness", 0.5) if arch == "conv" else ("none", 0.0)
        assert meta["lineside.train.augment"] == augment and float(meta["lineside.train.corrupt"]) == corrupt, arch


def test_missing_and_empty_folders(tmp_path, capsys):
    code, _, err = run(capsys, "train", "--good", str(tmp_path / "nope"), "--out", str(tmp_path / "m.onnx"))
    assert code == 2 and "does not exist" in one_line_error(err)
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "train", "--good", str(tmp_path / "empty"), "--out", str(tmp_path / "m.onnx"))
    assert code == 2 and "holds no images" in one_line_error(err)


def test_unreadable_image_is_named(tiny_set, tmp_path, capsys):
    bad = tmp_path / "good"
    bad.mkdir()
    for f in sorted((tiny_set / "good").iterdir())[:20]:
        (bad / f.name).write_bytes(f.read_bytes())
    (bad / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    code, _, err = run(capsys, "train", "--good", str(bad), "--out", str(tmp_path / "m.onnx"), "--size", "32",
                       "--alpha", "0.25", "--quiet")
    line = one_line_error(err)
    assert code == 2 and "broken.png" in line


def test_impossible_sizes(tiny_set, tmp_path, capsys):
    code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(tmp_path / "m.onnx"),
                       "--size", "100")
    assert code == 2 and "multiple of 16" in one_line_error(err)
    code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(tmp_path / "m.onnx"),
                       "--size", "0")
    assert code == 2 and "--size must be at least 1" in one_line_error(err)
    code, _, err = run(capsys, "synth", "--out", str(tmp_path / "s"), "--good", "1", "--defect", "0", "--size", "8")
    assert code == 2 and "impossible size" in one_line_error(err)


def test_corrupt_share_must_be_between_0_and_1(tiny_set, tmp_path, capsys):
    for bad in ("1.5", "-0.1", "half"):
        code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(tmp_path / "m.onnx"),
                           "--corrupt", bad)
        assert code == 2 and "--corrupt must be" in one_line_error(err), bad


def test_too_few_good_images_for_alpha(tiny_set, tmp_path, capsys):
    # 24 images x 0.2 = 5 held out; alpha 0.01 needs 99
    code, _, err = run(capsys, "train", "--good", str(tiny_set / "good"), "--out", str(tmp_path / "m.onnx"),
                       "--size", "32")
    line = one_line_error(err)
    assert code == 2 and "n=5" in line and "too small for alpha=0.01" in line and "at least 99" in line


def test_calibrate_refuses_too_few_images(tiny_set, tmp_path, capsys):
    from lineside_train import models
    from lineside_train.cli import base_metadata

    b = export.to_onnx_bytes(models.build("dense", 1, 16), 1, 16)
    export.save(export.with_metadata(b, base_metadata(16, 16, 1, "mse", 2.0, 0.1, 0.1, 9, 0.05, "t", "1")),
                tmp_path / "m.onnx")
    code, _, err = run(capsys, "calibrate", "--model", str(tmp_path / "m.onnx"), "--good", str(tiny_set / "good"),
                       "--alpha", "0.01", "--out", str(tmp_path / "m2.onnx"))
    line = one_line_error(err)
    assert code == 2 and "n=24" in line and "at least 99" in line
    assert not (tmp_path / "m2.onnx").exists()


def test_model_that_is_not_onnx(tiny_set, tmp_path, capsys):
    (tmp_path / "x.onnx").write_text("nope")
    code, _, err = run(capsys, "evaluate", "--model", str(tmp_path / "x.onnx"), "--good", str(tiny_set / "good"),
                       "--defect", str(tiny_set / "defect"), "--report", str(tmp_path / "r"))
    assert code == 2 and "cannot read ONNX model" in one_line_error(err)


def test_synth_writes_good_and_defect(tmp_path, capsys):
    code, out, _ = run(capsys, "synth", "--out", str(tmp_path / "s"), "--good", "2", "--defect", "3",
                       "--size", "48", "--seed", "5", "--quiet")
    assert code == 0
    assert len(list((tmp_path / "s" / "good").glob("*.png"))) == 2
    d = sorted((tmp_path / "s" / "defect").glob("*.png"))
    assert len(d) == 3
    with Image.open(d[0]) as im:
        assert im.size == (48, 48) and im.mode == "L"
    # deterministic: the same seed draws the same parts
    run(capsys, "synth", "--out", str(tmp_path / "t"), "--good", "2", "--defect", "3", "--size", "48",
        "--seed", "5", "--quiet")
    a = np.asarray(Image.open(d[0]))
    b = np.asarray(Image.open(sorted((tmp_path / "t" / "defect").glob("*.png"))[0]))
    assert np.array_equal(a, b)
