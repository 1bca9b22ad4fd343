"""A line-size format-2 model for the benchmarks, generated from a seed (never trained, never committed).

Speed depends on the graph, not on the weights, so the weights are PyTorch's random initialisation from
`--seed`: nothing is learnt from any data set. The graph is what the trainer's `conv` recipe with a
`max-blur` head exports in format 2 (training/CONTRACT.md, format 2): a convolutional
autoencoder (three stride-2 convolutions, three stride-2 transposed convolutions, sigmoid), then
`m = mean_c |y - x|`, a separable Gaussian blur (sigma 2, edge replication), `score = max(g)` and
`anomaly_map = g` averaged over 4x4 blocks (a quarter of the input on each side).

    python bench/line_model.py --out M.onnx [--width 1024 --height 384 --channels 1 --conv-width 24]
        [--batch 1|dynamic] [--seed 11] [--format 2|1]

The threshold written is a placeholder: the benchmark calibrates every model on its good images first.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn import functional as F


class LineAutoencoder(nn.Module):
    def __init__(self, channels: int, width: int, sigma: float = 2.0, map_block: int = 4):
        super().__init__()
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Sigmoid())
        radius = int(math.ceil(3 * sigma))
        t = torch.arange(-radius, radius + 1, dtype=torch.float64)
        k = torch.exp(-(t * t) / (2 * sigma * sigma))
        k = (k / k.sum()).float()
        self.radius = radius
        self.register_buffer("row_kernel", k.view(1, 1, 1, -1))
        self.register_buffer("column_kernel", k.view(1, 1, -1, 1))
        self.map_block = map_block
        self.format = 2

    def forward(self, image):
        y = self.decoder(self.encoder(image))
        if self.format == 1:
            return y
        m = (y - image).abs().mean(dim=1, keepdim=True)
        r = self.radius
        g = F.conv2d(F.pad(m, (r, r, 0, 0), mode="replicate"), self.row_kernel)
        g = F.conv2d(F.pad(g, (0, 0, r, r), mode="replicate"), self.column_kernel)
        score = torch.amax(g, dim=(1, 2, 3))
        anomaly_map = F.avg_pool2d(g, self.map_block)
        return score, anomaly_map


def build(out: str, width: int, height: int, channels: int, conv_width: int, batch: str, seed: int,
          name: str, fmt: int = 2) -> None:
    if width % 8 or height % 8:
        sys.exit("width and height must be multiples of 8 (three stride-2 stages)")
    torch.manual_seed(seed)
    model = LineAutoencoder(channels, conv_width).eval()
    model.format = fmt
    x = torch.rand(1, channels, height, width, generator=torch.Generator().manual_seed(seed))
    outputs = ["score", "anomaly_map"] if fmt == 2 else ["reconstruction"]
    dynamic = {k: {0: "N"} for k in ["image", *outputs]} if batch == "dynamic" else None
    with torch.no_grad():
        torch.onnx.export(model, (x,), out, input_names=["image"], output_names=outputs,
                          opset_version=17, dynamic_axes=dynamic, dynamo=False)
        model.format = 2
        score, amap = model(x)
    proto = onnx.load(out)
    meta = {
        "lineside.format": str(fmt),
        "lineside.input.width": str(width), "lineside.input.height": str(height),
        "lineside.input.channels": str(channels), "lineside.input.resize": "area",
        "lineside.score": "max-blur", "lineside.score.sigma": "2.0",
        # placeholders: the benchmark calibrates on its good images before measuring
        "lineside.threshold": f"{float(score[0]):.6g}", "lineside.calibration.alpha": "0.05",
        "lineside.calibration.n": "1", "lineside.calibration.median": f"{float(score[0]):.6g}",
        "lineside.map.max": f"{2 * float(amap.max()):.6g}",
        "lineside.model.name": name, "lineside.model.version": f"seed-{seed}",
        "lineside.model.arch": f"conv-w{conv_width}-random",
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto)
    onnx.save(proto, out)
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": x.numpy()})
    if fmt == 2 and not np.allclose(got[0], score.numpy(), rtol=1e-4):
        sys.exit(f"onnxruntime score {got[0]} != torch {score.numpy()}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--height", type=int, default=384)
    p.add_argument("--channels", type=int, default=1, choices=(1, 3))
    p.add_argument("--conv-width", type=int, default=24)
    p.add_argument("--batch", default="1", choices=("1", "dynamic"))
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--name", default="bench-line")
    p.add_argument("--format", type=int, default=2, choices=(1, 2),
                   help="1: the same network with only its reconstruction (the appliance scores in Java)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    build(a.out, a.width, a.height, a.channels, a.conv_width, a.batch, a.seed, a.name, a.format)
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
