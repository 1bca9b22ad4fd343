"""The alternative a user would write: a Python loop with onnxruntime, Pillow and numpy.

It computes the same score as the appliance (training/CONTRACT.md: a colour JPEG into a one-channel
model decoded straight to luma with Pillow's `draft("L")`, as the trainer does; other images RGB -> gray
in floating point; `area` resize; the model; for a format-1 model the score function in numpy, for a
format-2 model the graph's own `score` output), written the way a competent user would: vectorised
numpy, resize weights computed once, ONNX Runtime with its default settings (all cores).

    python bench/python_loop.py MODEL.onnx IMAGE.jpg...   # prints one score per image, then images/s
"""

from __future__ import annotations

import io
import math
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of the contract's `area` filter along one axis."""
    s = n_in / n_out
    lo = np.arange(n_out)[:, None] * s
    hi = lo + s
    i = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(i + 1, hi) - np.maximum(i, lo), 0.0, None)
    return overlap / s


class PythonLoop:
    def __init__(self, model_path: str, spinning: bool = True):
        options = ort.SessionOptions()
        if not spinning:  # not what a user writes by default; measured as a tuned variant
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.width = int(meta["lineside.input.width"])
        self.height = int(meta["lineside.input.height"])
        self.channels = int(meta["lineside.input.channels"])
        self.score_name = meta["lineside.score"]
        self.format = int(meta.get("lineside.format", "1"))
        self.output_names = [o.name for o in self.session.get_outputs()]
        roi = meta.get("lineside.input.roi")  # x,y,w,h in source pixels, cropped before the resize
        self.roi = tuple(int(v) for v in roi.split(",")) if roi else None
        self.threshold = float(meta["lineside.threshold"])
        sigma = float(meta.get("lineside.score.sigma", "2.0"))
        radius = int(math.ceil(3 * sigma))
        t = np.arange(-radius, radius + 1, dtype=np.float64)
        k = np.exp(-(t * t) / (2 * sigma * sigma))
        self.kernel = (k / k.sum()).astype(np.float32)
        self.radius = radius
        self._weights = {}

    def _resize(self, plane: np.ndarray) -> np.ndarray:
        h_in, w_in = plane.shape
        if (h_in, w_in) == (self.height, self.width):
            return plane  # the contract's area resize is the identity at equal sizes
        key = (h_in, w_in)
        if key not in self._weights:
            self._weights[key] = (area_weights(h_in, self.height).astype(np.float32),
                                  area_weights(w_in, self.width).astype(np.float32).T.copy())
        wy, wx_t = self._weights[key]
        return wy @ (plane @ wx_t)  # horizontal pass, then vertical

    def preprocess(self, data: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(data)) as im:
            if self.channels == 1 and im.format == "JPEG" and im.mode == "RGB":
                im.draft("L", im.size)  # the contract: libjpeg outputs luma only (as the trainer decodes)
            a = np.asarray(im, dtype=np.float32) * np.float32(1 / 255)
        if a.ndim == 2:
            a = a[:, :, None]
        if self.roi:
            x, y, w, h = self.roi
            if x + w > a.shape[1] or y + h > a.shape[0]:
                raise ValueError("roi-outside-image")
            a = a[y:y + h, x:x + w]
        a = a[:, :, :3]
        if self.channels == 1:
            planes = [a[:, :, 0] if a.shape[2] == 1 else a @ np.array([0.299, 0.587, 0.114], dtype=np.float32)]
        else:
            planes = [a[:, :, min(c, a.shape[2] - 1)] for c in range(3)]
        return np.stack([self._resize(p) for p in planes])[None].astype(np.float32, copy=False)

    def score(self, x: np.ndarray, y: np.ndarray) -> float:
        r = (y - x)[0]
        if self.score_name == "std":
            return float(r.std(dtype=np.float64))
        if self.score_name == "mse":
            return float(np.mean(np.square(r, dtype=np.float64)))
        m = np.abs(r).mean(axis=0)
        k, rad = self.kernel, self.radius
        p = np.pad(m, ((0, 0), (rad, rad)), mode="edge")
        rows = sum(k[t] * p[:, t:t + m.shape[1]] for t in range(len(k)))
        p = np.pad(rows, ((rad, rad), (0, 0)), mode="edge")
        g = sum(k[t] * p[t:t + m.shape[0], :] for t in range(len(k)))
        return float(g.max())

    def infer(self, x: np.ndarray) -> float:
        """The model on one preprocessed input; returns the score (format 2: the graph's own, with its map)."""
        if self.format >= 2:
            outputs = dict(zip(self.output_names, self.session.run(None, {"image": x})))
            return float(np.asarray(outputs["score"]).reshape(-1)[0])
        y = self.session.run(None, {"image": x})[0]
        return self.score(x, y)

    def inspect(self, data: bytes) -> tuple[float, str]:
        s = self.infer(self.preprocess(data))
        return s, ("DEFECT" if s > self.threshold else "GOOD")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    loop = PythonLoop(argv[0])
    images = [open(p, "rb").read() for p in argv[1:]]
    t0 = time.perf_counter()
    for path, data in zip(argv[1:], images):
        s, verdict = loop.inspect(data)
        print(f"{path}\t{s:.6g}\t{verdict}")
    dt = time.perf_counter() - t0
    print(f"{len(images) / dt:.1f} images/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
