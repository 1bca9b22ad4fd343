"""Run-to-run variance of `disc` on real parts, and what combining two networks is worth (issue 16).

Trains one `disc` network per entry of --scales (`full`: the input size `train` picks; `half`: half of it,
a quarter of the pixels), each for --seconds with its own seed (0, 1, 2, ...), normalises each on
train/good as `train` does, and prints the image AUROC on test/good against test/defect of
  - each network alone (disc-zmax), and
  - every pair combined as `train` exports it (detectors.ScalesDetector: the mean of the two z-maps,
    the score the mean of their maxima; a pair of the same size is the mean of the two scores).
The synthetic criterion cannot see what this shows: networks trained alike differ by up to 0.1 AUROC.
No calibration split: every train/good image is trained and normalised on (the AUROC needs no threshold).

    cd training && ../target/trainer-venv/bin/python ../bench/disc_seeds.py \
        --data ../../shared/datasets/mvtec-screw --seconds 240 --scales full,half,half
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from lineside_train import auto, detectors as D, preprocess  # noqa: E402
from lineside_train.cli import _image_channels, _image_sizes  # noqa: E402
from lineside_train.evaluate import auroc  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="a set with train/good, test/good, test/defect")
    ap.add_argument("--seconds", type=float, default=240, help="training time of each network")
    ap.add_argument("--scales", default="full,half,half", help="one network per entry: full or half")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    root = Path(a.data)
    files = preprocess.list_images(root / "train/good")
    ch = _image_channels(files)
    full = auto.input_size(_image_sizes(files), multiple=2 * D.STRIDE)
    sizes = {"full": full, "half": (full[0] // 2, full[1] // 2)}
    cache = {}

    def data(tag):
        if tag not in cache:
            w, h = sizes[tag]
            cache[tag] = [preprocess.load_folder(root / d, w, h, ch, recursive=r)[0]
                          for d, r in (("train/good", False), ("test/good", False), ("test/defect", True))]
        return cache[tag]

    nets = []
    for seed, tag in enumerate(a.scales.split(",")):
        train, good, defect = data(tag)
        net = D.build(ch, train)
        t0 = time.perf_counter()
        fitted = D.fit(net, train, seconds=a.seconds, seed=seed)
        det = D.DiscDetector(net)
        det.normalise_on_good(train)
        sg, _ = D.infer(det, good)
        sd, _ = D.infer(det, defect)
        nets.append((tag, seed, det, (sg, sd)))
        print(f"{root.name} {tag} {sizes[tag][0]}x{sizes[tag][1]} seed {seed}: {fitted['steps']} steps in "
              f"{fitted['seconds']:.0f} s (scored in {time.perf_counter() - t0 - fitted['seconds']:.0f} s), "
              f"AUROC {auroc(sg, sd):.3f}", flush=True)
    _, good, defect = data("full")
    for i in range(len(nets)):
        for j in range(i + 1, len(nets)):
            (ti, si, di, score_i), (tj, sj, dj, score_j) = nets[i], nets[j]
            if ti == tj:  # same size: the sum of the two scores already computed (ranks as their mean)
                both = [score_i[0] + score_j[0], score_i[1] + score_j[1]]
            else:  # the half network on the full image pooled 2 x 2, as the exported graph runs it
                pair = D.ScalesDetector([di, dj] if ti == "full" else [dj, di], [1, 2])
                both = [D.infer(pair, x)[0] for x in (good, defect)]
            print(f"{root.name} {ti} seed {si} + {tj} seed {sj}: AUROC {auroc(both[0], both[1]):.3f}", flush=True)


if __name__ == "__main__":
    main()
