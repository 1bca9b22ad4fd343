"""Writes expected.json: the trainer's calibration figures for the images in good/ with each model here,
computed by the trainer's own functions, step by step as `python -m lineside_train calibrate` does
(preprocess.load_folder -> ONNX Runtime -> scores.score_batch -> calibrate.threshold, median by numpy).
CalibrationParityTest checks that POST /api/v1/model/calibration gives the same figures.

How the inputs were made (the models are tiny contract-valid ONNX files written by the Java test helper
io.lineside.model.OnnxModelBuilder: valid(1, 32, 32), reconstruction 0.9 x + 0.02; model-max-blur.onnx
with lineside.score=max-blur and lineside.score.sigma=1.5):

    PYTHONPATH=training python3 -m lineside_train synth --out /tmp/parity-synth --good 30 --defect 0 --size 64 --seed 11
    cp /tmp/parity-synth/good/*.png src/test/resources/calibration/trainer-parity/good/

Regenerate (needs numpy, pillow, onnxruntime; run from the repository root):

    PYTHONPATH=training python3 src/test/resources/calibration/trainer-parity/expected.py \\
        > src/test/resources/calibration/trainer-parity/expected.json
"""
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from lineside_train import calibrate as cal
from lineside_train import preprocess
from lineside_train import scores as S

HERE = Path(__file__).resolve().parent
ALPHAS = [0.1, 0.2, 0.05]

out = {"images": "good", "cases": []}
for model_file in ["model.onnx", "model-max-blur.onnx"]:
    sess = ort.InferenceSession(str(HERE / model_file), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    w, h, c = (int(meta[f"lineside.input.{k}"]) for k in ("width", "height", "channels"))
    score = meta["lineside.score"]
    sigma = float(meta.get("lineside.score.sigma", S.DEFAULT_SIGMA))
    x, files = preprocess.load_folder(HERE / "good", w, h, c, "good")
    y = np.concatenate([sess.run(["reconstruction"], {"image": x[i:i + 1]})[0] for i in range(len(x))])
    s = S.score_batch(score, x, y, sigma)
    for alpha in ALPHAS:
        out["cases"].append({
            "model": model_file, "score": score, "alpha": alpha, "n": len(x),
            "k": cal.order_index(len(x), alpha),
            "threshold": cal.threshold(s, alpha),
            "median": float(np.median(s)),
            "scores": {f.name: float(v) for f, v in zip(files, s)},
        })
print(json.dumps(out, indent=1))
