"""Write the golden vectors of training/CONTRACT.md that the Java tests reproduce.

    python -m lineside_train.golden --gray-model ../src/test/resources/golden/golden-gray.onnx \
        --gray2-model ../src/main/resources/lineside/default-model.onnx --out ../src/test/resources/golden

`--gray-model` is the format-1 default model (golden-gray.onnx is its copy), `--gray2-model` the
format-2 default model; golden.json pins format 1, golden2.json format 2 (with a tiny model made the way
the default `train` makes its detectors: two disc networks and the neighbour reference).

Images cover every decode path (8-bit gray, RGB, RGBA, palette, 16-bit gray) and both resize
directions with non-integer ratios; one model is gray (the default model, copied), one is a
tiny 3-channel model with a non-square input, so a swapped width/height shows up.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from . import calibrate as cal
from . import export, preprocess, synth
from . import scores as S
from .cli import base_metadata

SEED = 4242  # not used by any training run


def _part(size, rng, defects=None):
    return synth.render_part(size, rng, defects)


def make_images(out: Path) -> list[str]:
    rng = np.random.default_rng(SEED)
    names = []

    def save(im: Image.Image, name: str):
        im.save(out / name)
        names.append(name)

    g = _part(300, rng)
    save(Image.fromarray(np.round(g * 255).astype(np.uint8), "L"), "gray-300x300.png")
    d = _part(300, rng, ["blow-hole"])
    save(Image.fromarray(np.round(d * 255).astype(np.uint8), "L"), "gray-defect-300x300.png")
    # RGB, non-square, colour tint varying over the image (gray conversion weights matter).
    p = _part(301, rng)[:257, :]
    yy, xx = np.mgrid[0:257, 0:301]
    rgb = np.stack([p * (0.8 + 0.2 * xx / 300), p, np.clip(p * 0.9 + 0.1 * yy / 256, 0, 1)], axis=2)
    save(Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB"), "rgb-301x257.png")
    # RGBA with alpha varying: alpha must be ignored, not blended.
    q = _part(200, rng)[:180, :]
    alpha = np.tile(np.linspace(0, 255, 200), (180, 1))
    rgba = np.stack([q * 0.95, q, q * 1.0, alpha / 255], axis=2)
    save(Image.fromarray(np.round(np.clip(rgba, 0, 1) * 255).astype(np.uint8), "RGBA"), "rgba-200x180.png")
    # Palette (indexed colour) image.
    pal = _part(150, rng)
    pal_rgb = np.stack([pal, pal * 0.9, pal * 0.8], axis=2)
    im = Image.fromarray(np.round(pal_rgb * 255).astype(np.uint8), "RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    assert im.mode == "P"
    save(im, "palette-150x150.png")
    # 16-bit gray with values that are not multiples of 257 (a wrong 8-bit path shows).
    h = _part(260, rng)
    v16 = np.round(h * 65535).astype(np.uint16) ^ np.uint16(0x5A)  # scramble the low byte
    im16 = Image.fromarray(v16.astype(np.uint16))
    save(im16, "gray16-260x260.png")
    # Small image: up-scaling by a non-integer ratio (50 -> 128, 40 -> 128).
    sm = _part(50, rng)[:40, :]
    save(Image.fromarray(np.round(sm * 255).astype(np.uint8), "L"), "gray-small-50x40.png")
    return names


class TinyRgb(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Conv2d(4, 3, 3, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


def make_rgb_model(path: Path, calib_dir: Path) -> None:
    """A tiny 3-channel model (random weights) with a non-square 40x32 input, score std."""
    torch.manual_seed(SEED)
    width, height = 40, 32
    model = TinyRgb().eval()
    dummy = torch.rand(1, 3, height, width)
    import io
    import warnings
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (dummy,), buf, opset_version=export.OPSET, input_names=[export.INPUT],
                          output_names=[export.OUTPUT], dynamo=False)
    onnx_bytes = buf.getvalue()
    rng = np.random.default_rng(SEED + 1)
    xs = np.concatenate([preprocess.to_tensor(np.repeat(synth.render_part(96, rng)[:, :, None], 3, axis=2)
                                              .astype(np.float32), width, height, 3) for _ in range(9)])
    export.parity(model, onnx_bytes, xs[:2])
    ys = export.run(export.session(onnx_bytes), xs)
    s = S.score_batch("std", xs, ys)
    alpha = 0.1
    thr = cal.threshold(s, alpha)
    meta = base_metadata(width, height, 3, "std", 1.5, thr, alpha, len(xs), float(np.median(s)),
                         "golden-rgb", "1", "tiny")
    export.save(export.with_metadata(onnx_bytes, meta), path)


class TinyStrip(nn.Module):
    """A format-2 detector with a map a quarter of its non-square input: map = 4x4 mean of |y - x|."""

    def __init__(self):
        super().__init__()
        self.net = TinyRgb()

    def forward(self, x):
        y = self.net(x)
        heat = nn.functional.avg_pool2d((y - x).abs().mean(dim=1, keepdim=True), 4)
        return heat.amax(dim=(1, 2, 3)), heat, y


def make_strip_model(path: Path) -> None:
    """Format 2, 3 channels, W 64 x H 24, anomaly map 16 x 6: swapped axes or a wrong map size show."""
    torch.manual_seed(SEED + 2)
    width, height = 64, 24
    model = TinyStrip().eval()
    onnx_bytes = export.detector_to_onnx_bytes(model, 3, height, width, with_reconstruction=True)
    rng = np.random.default_rng(SEED + 3)
    xs = np.concatenate([preprocess.to_tensor(np.repeat(synth.render_part(96, rng)[:, :, None], 3, axis=2)
                                              .astype(np.float32), width, height, 3) for _ in range(9)])
    export.detector_parity(model, onnx_bytes, xs[:3])
    s, maps, _ = export.detect(export.session(onnx_bytes), xs)
    alpha = 0.1
    meta = base_metadata(width, height, 3, "strip-test", 1.0, cal.threshold(s, alpha), alpha, len(xs),
                         float(np.median(s)), "golden2-rgb-strip", "1", "tiny", fmt=2)
    meta["lineside.map.max"] = export.map_max(maps)
    export.save(export.with_metadata(onnx_bytes, meta), path)


def make_disc_model(path: Path) -> None:
    """Format 2 as the default `train` makes it: two disc networks (the image and its 2 x 2 pooling, three
    mirror views each, per-cell normalisation) plus the neighbour reference (disc-zmax-scales-knn), gray,
    W 96 x H 64: every operator the default command's graphs use, tiny and trained for a few steps only."""
    from . import detectors as D
    rng = np.random.default_rng(SEED + 4)
    width, height = 96, 64
    xs = np.concatenate([preprocess.to_tensor(synth.render_part(128, rng)[:, :, None].astype(np.float32), width, height, 1)
                         for _ in range(12)])
    half = torch.nn.functional.avg_pool2d(torch.from_numpy(xs), 2).numpy()
    dets = []
    for i, x in enumerate((xs, half)):
        net = D.build(1, x, width=4)
        D.fit(net, x, steps=4, crop=32, batch_size=4, seed=SEED + 5 + i)
        det = D.DiscDetector(net)
        det.normalise_on_good(x)
        dets.append(det)
    model = D.NeighbourDetector(D.ScalesDetector(dets, [1, 2]), bank_size=64)
    model.fit_reference(xs, seed=SEED + 7)
    onnx_bytes = export.detector_to_onnx_bytes(model, 1, height, width)
    export.detector_parity(model, onnx_bytes, xs[:3], floor=1.0)
    s, maps, _ = export.detect(export.session(onnx_bytes), xs)
    alpha = 0.1
    meta = base_metadata(width, height, 1, model.score_name, 1.0, cal.threshold(s, alpha), alpha, len(xs),
                         float(np.median(s)), "golden2-disc", "1", "disc", fmt=2)
    meta.update({"lineside.map.max": max(export.map_max(maps), 1e-6), "lineside.score.views": model.views,
                 "lineside.score.scales": "1,2", "lineside.score.neighbours": 64})
    export.save(export.with_metadata(onnx_bytes, meta), path)


def case2(model: export.LoadedModel, image: Path) -> dict:
    x = preprocess.load(image, model.width, model.height, model.channels)
    s, maps, _ = model.infer(x)
    x64, m64 = x.astype(np.float64), maps.astype(np.float64)
    return {
        "image": image.name,
        "input": {"sum": float(x64.sum()), "sumOfSquares": float((x64 * x64).sum()),
                  "first": [float(v) for v in x.ravel()[:16]]},
        "score": float(s[0]),
        "map": {"shape": list(maps.shape), "max": float(m64.max()), "sum": float(m64.sum())},
    }


def case(model: export.LoadedModel, image: Path) -> dict:
    x = preprocess.load(image, model.width, model.height, model.channels)
    y = model.reconstruct(x)
    x64 = x.astype(np.float64)
    return {
        "image": image.name,
        "input": {"sum": float(x64.sum()), "sumOfSquares": float((x64 * x64).sum()),
                  "first": [float(v) for v in x.ravel()[:16]]},
        "scores": {name: S.score(name, x, y, model.sigma) for name in S.SCORES},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lineside_train.golden")
    ap.add_argument("--gray-model", required=True, help="the format-1 default model (copied as golden-gray.onnx)")
    ap.add_argument("--gray2-model", required=True, help="the format-2 default model (copied as golden2-gray.onnx)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    images = make_images(out)
    if Path(args.gray_model).resolve() != (out / "golden-gray.onnx").resolve():
        shutil.copyfile(args.gray_model, out / "golden-gray.onnx")
    make_rgb_model(out / "golden-rgb.onnx", out)
    doc = {"tolerance": 1e-4, "models": []}
    for f in ("golden-gray.onnx", "golden-rgb.onnx"):
        m = export.LoadedModel(out / f)
        doc["models"].append({"file": f, "cases": [case(m, out / name) for name in images]})
    (out / "golden.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out / 'golden.json'}: {len(doc['models'])} models x {len(images)} images")
    shutil.copyfile(args.gray2_model, out / "golden2-gray.onnx")
    make_strip_model(out / "golden2-rgb-strip.onnx")
    make_disc_model(out / "golden2-disc.onnx")
    doc2 = {"tolerance": 1e-5, "models": []}
    for f in ("golden2-gray.onnx", "golden2-rgb-strip.onnx", "golden2-disc.onnx"):
        m = export.LoadedModel(out / f)
        if m.format != 2:
            raise SystemExit(f"{f} is format {m.format}; golden2.json pins format 2")
        doc2["models"].append({"file": f, "cases": [case2(m, out / name) for name in images]})
    (out / "golden2.json").write_text(json.dumps(doc2, indent=2) + "\n")
    print(f"wrote {out / 'golden2.json'}: {len(doc2['models'])} models x {len(images)} images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
