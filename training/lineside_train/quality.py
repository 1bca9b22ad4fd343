"""Detection quality beyond image labels: pixel masks, brightness-equalised images, and the
whole-table benchmark over every data set (`bench-quality`)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import preprocess
from .evaluate import auroc_labelled
from .errors import UserError

# Pixel AUROC is exact over at most this many pixels; beyond, every k-th pixel (a fixed stride,
# the same for every image) is used, so memory stays bounded on large inputs.
MAX_PIXELS = 8_000_000


def _mask_index(mask_dir: Path) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for f in preprocess.list_images(mask_dir, "mask", recursive=True):
        stem = f.stem
        for key in {stem, stem[:-5] if stem.endswith("_mask") else stem}:
            index.setdefault(key, []).append(f)
    return index


def find_masks(defect_files: list[Path], mask_dir) -> list[Path | None]:
    """The mask of each defect image: same stem (or stem + `_mask`) anywhere under `mask_dir`,
    preferring one in a folder of the same name as the image's (e.g. masks/crack/x.png for
    test/defect/crack/x.jpg). None where there is none."""
    index = _mask_index(Path(mask_dir))
    out = []
    for f in defect_files:
        cands = index.get(Path(f).stem, [])
        same = [c for c in cands if c.parent.name == Path(f).parent.name]
        out.append((same or cands or [None])[0])
    return out


def load_mask(path, width: int, height: int) -> np.ndarray:
    """A mask file -> boolean [H, W] at model resolution: area-resized like the image, then > 0.5
    (soft masks count where they are more than half on)."""
    m = preprocess.decode(path)
    m = preprocess.resize_area(preprocess.to_channels(m, 1), width, height)[:, :, 0]
    return m > 0.5


def upsample(maps: np.ndarray, width: int, height: int) -> np.ndarray:
    """[N, 1, h, w] -> [N, H, W], bilinear (as the appliance draws it)."""
    import torch
    t = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))
    if t.shape[-2:] != (height, width):
        t = torch.nn.functional.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)
    return t[:, 0].numpy()


def pixel_auroc(maps_good: np.ndarray, maps_defect: np.ndarray, masks: list[np.ndarray | None]) -> float | None:
    """Pixel AUROC over good images (every pixel negative) and the defect images that have a mask.
    Maps [N, H, W] at model resolution; masks boolean [H, W]. None when no defect image has a mask."""
    keep = [i for i, m in enumerate(masks) if m is not None]
    if not keep:
        return None
    values = np.concatenate([maps_good.reshape(-1), maps_defect[keep].reshape(-1)])
    labels = np.concatenate([np.zeros(maps_good.size, bool), np.stack([masks[i] for i in keep]).reshape(-1)])
    if len(values) > MAX_PIXELS:
        step = math.ceil(len(values) / MAX_PIXELS)
        values, labels = values[::step], labels[::step]
    return auroc_labelled(values, labels)


def equalise_brightness(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Each image mapped affinely to the given mean and standard deviation of its pixels (clipped to
    [0, 1]): a score that only counts brightness or contrast loses its separation."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    mu = flat.mean(axis=1, keepdims=True)
    sd = np.maximum(flat.std(axis=1, keepdims=True), 1e-6)
    return np.clip((flat - mu) / sd * std + mean, 0, 1).astype(np.float32).reshape(x.shape)


# ---------------------------------------------------------------- bench-quality

COLUMNS = ("set", "method", "input", "AUROC", "AUROC eq.", "AP", "FPR", "TPR", "pixel AUROC", "train min",
           "infer ms")


def _sets(datasets: Path, only: list[str] | None):
    for d in sorted(p for p in datasets.iterdir() if p.is_dir()):
        if only and d.name not in only:
            continue
        if (d / "train/good").is_dir() and (d / "test/good").is_dir() and (d / "test/defect").is_dir():
            yield d.name, d / "train/good", d / "test/good", d / "test/defect", (d / "masks" if (d / "masks").is_dir() else None)
        elif d.name == "casting300" and (d / "train/good").is_dir() and (d / "train/defect").is_dir():
            yield d.name, None, None, None, None  # split below, by similarity groups
        else:
            print(f"bench-quality: {d.name}: no train/good + test/good + test/defect layout, skipped", file=sys.stderr)


def _casting_split(d: Path, work: Path) -> tuple[Path, Path, Path]:
    split = work / "casting300-split"
    if not (split / "split.json").exists():
        from . import split as SP
        if SP.main(["--good", str(d / "train/good"), "--defect", str(d / "train/defect"), "--out", str(split),
                    "--seed", "0"]) != 0:
            raise UserError(f"could not split {d}")
    return split / "train-good", split / "val-good", split / "val-defect"


def inference_ms(model_path, width: int, height: int, channels: int, threads: int = 2, runs: int = 20) -> float:
    """Median ONNX Runtime session.run time of one image, `threads` intra-op threads."""
    from . import export
    sess = export.session(model_path, threads=threads)
    x = np.random.default_rng(0).random((1, channels, height, width), dtype=np.float32)
    name = sess.get_inputs()[0].name
    sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


def _run(cmd: list[str]) -> None:
    import os
    print("bench-quality: $ " + " ".join(cmd), file=sys.stderr, flush=True)
    # the trainer's own package, wherever bench-quality is run from
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parents[1])] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    r = subprocess.run(cmd, env=env)
    if r.returncode != 0:
        raise UserError(f"command failed with exit status {r.returncode}: {' '.join(cmd)}")


def _fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def bench_quality(datasets, work, budget: str | None = None, train_args: list[str] | None = None,
                  only: list[str] | None = None, quiet: bool = False) -> list[dict]:
    datasets, work = Path(datasets), Path(work)
    if not datasets.is_dir():
        raise UserError(f"--datasets {datasets} is not a directory")
    work.mkdir(parents=True, exist_ok=True)
    py = [sys.executable, "-m", "lineside_train"]
    rows = []
    for name, train_good, test_good, test_defect, masks in _sets(datasets, only):
        if train_good is None:
            train_good, test_good, test_defect = _casting_split(datasets / name, work)
        model = work / f"{name}.onnx"
        cmd = py + ["train", "--good", str(train_good), "--out", str(model)]
        if budget:
            cmd += ["--budget", budget]
        cmd += list(train_args or []) + (["--quiet"] if quiet else [])
        t0 = time.perf_counter()
        _run(cmd)
        train_min = (time.perf_counter() - t0) / 60
        ev = work / f"{name}-eval"
        cmd = py + ["evaluate", "--model", str(model), "--good", str(test_good), "--defect", str(test_defect),
                    "--report", str(ev), "--equalise-brightness"] + (["--masks", str(masks)] if masks else [])
        _run(cmd + (["--quiet"] if quiet else []))
        rep = json.loads((ev / "report.json").read_text())
        from . import export
        m = export.LoadedModel(model)
        report = model.with_name(model.stem + ".train-report.json")
        method = m.meta.get("lineside.model.arch") or m.score
        if report.exists():
            method = json.loads(report.read_text()).get("chosen", {}).get("method", method)
        rows.append({
            "set": name, "method": method, "input": f"{m.width}x{m.height}x{m.channels}",
            "AUROC": rep["auroc"], "AUROC eq.": rep.get("equalised", {}).get("auroc"),
            "AP": rep["average_precision"], "FPR": rep.get("fpr"), "TPR": rep.get("tpr"),
            "pixel AUROC": rep.get("pixel_auroc"), "train min": train_min,
            "infer ms": inference_ms(model, m.width, m.height, m.channels),
        })
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        cells = [_fmt(r[c], 1 if c in ("train min", "infer ms") else 3) for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
