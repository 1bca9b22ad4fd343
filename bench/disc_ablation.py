"""Ablation of the disc head (issue 16): the same trained network, scored four ways.

Takes a *single-view, unnormalised* disc model (score "disc-max", as `train` wrote before the views and the
normalisation were added: commit b79acd3's `bench-quality --budget 8m`) and a data set with train/good,
test/good and test/defect, and prints the image AUROC of
  max          the map's maximum (the old head),
  zmax         max(0, (p - mean) / spread) per cell, mean and spread over the maps of train/good,
  views2/3     the same after averaging the maps of the image and its mirror images (left-right, top-bottom).
The trainer normalises on the images it trained on only; this script uses all of train/good (the model's
held-out split is not recorded), so its zmax figures are a close, not an exact, reproduction.

    cd training && ../target/trainer-venv/bin/python ../bench/disc_ablation.py \
        --model runs/bench-quality/mvtec3d-tire.onnx --data ../../shared/datasets/mvtec3d-tire
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from lineside_train import export, preprocess  # noqa: E402
from lineside_train.auto import auroc  # noqa: E402


def maps_of(sess, model, files):
    w, h, c = model.width, model.height, model.channels
    out = []
    for f in files:
        x = preprocess.load(f, w, h, c).reshape(1, c, h, w)
        plain = sess.run(None, {"image": x})[1][0, 0]
        lr = sess.run(None, {"image": np.ascontiguousarray(x[..., ::-1])})[1][0, 0][:, ::-1]
        tb = sess.run(None, {"image": np.ascontiguousarray(x[..., ::-1, :])})[1][0, 0][::-1, :]
        out.append(np.stack([plain, lr, tb]))
    return np.stack(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    model = export.LoadedModel(a.model)
    if model.score != "disc-max":
        raise SystemExit(f"{a.model}: score {model.score!r}; this ablation needs a single-view disc-max model")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(a.model, opts)
    d = Path(a.data)
    train = maps_of(sess, model, preprocess.list_images(d / "train" / "good"))
    good = maps_of(sess, model, preprocess.list_images(d / "test" / "good"))
    defect = maps_of(sess, model, preprocess.list_images(d / "test" / "defect", recursive=True))
    print(f"{d.name}: {len(train)} train/good, {len(good)} test/good, {len(defect)} test/defect")
    for name, views in (("max", [0]), ("zmax", [0]), ("views2 zmax", [0, 1]), ("views3 zmax", [0, 1, 2])):
        t, g, df = (m[:, views].mean(1) for m in (train, good, defect))
        if name == "max":
            def score(m):
                return m.reshape(len(m), -1).max(1)
        else:
            mean, sd = t.mean(0), t.std(0)
            spread = sd + max(0.1 * float(np.median(sd)), 0.01)

            def score(m, mean=mean, spread=spread):
                return np.maximum((m - mean) / spread, 0).reshape(len(m), -1).max(1)
        print(f"  {name:12s} image AUROC {auroc(score(g), score(df)):.3f}")


if __name__ == "__main__":
    main()
