"""ONNX export with the contract's metadata, parity check, and running an exported model."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from .errors import UserError

OPSET = 17
INPUT = "image"
OUTPUT = "reconstruction"
PARITY_TOLERANCE = 1e-4

REQUIRED_KEYS = (
    "lineside.format", "lineside.input.width", "lineside.input.height", "lineside.input.channels",
    "lineside.input.resize", "lineside.score", "lineside.score.sigma", "lineside.threshold",
    "lineside.calibration.alpha", "lineside.calibration.n", "lineside.calibration.median",
    "lineside.model.name", "lineside.model.version",
)


def to_onnx_bytes(model: torch.nn.Module, channels: int, size: int) -> bytes:
    """Trace the model to an opset-17 graph with a static [1, C, H, W] input `image`."""
    model = model.cpu().eval()
    dummy = torch.rand(1, channels, size, size)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(model, (dummy,), buf, opset_version=OPSET, input_names=[INPUT],
                          output_names=[OUTPUT], dynamo=False, do_constant_folding=True)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def fmt(v) -> str:
    """Numbers as the shortest text that reads back to the same double."""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def with_metadata(onnx_bytes: bytes, meta: dict) -> onnx.ModelProto:
    proto = onnx.load_from_string(onnx_bytes)
    keep = {p.key: p.value for p in proto.metadata_props}
    keep.update({k: fmt(v) for k, v in meta.items()})
    del proto.metadata_props[:]
    for k in sorted(keep):
        proto.metadata_props.add(key=k, value=keep[k])
    missing = [k for k in REQUIRED_KEYS if k not in keep]
    if missing:
        raise ValueError(f"metadata lacks {', '.join(missing)}")
    return proto


def save(proto: onnx.ModelProto, path) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())


def read_metadata(path) -> dict[str, str]:
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any parse failure means "not a model"
        raise UserError(f"cannot read ONNX model {path}: {e}") from e
    return {p.key: p.value for p in proto.metadata_props}


def session(model_bytes_or_path, threads: int = 0) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    src = model_bytes_or_path if isinstance(model_bytes_or_path, bytes) else str(model_bytes_or_path)
    return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: np.ndarray, progress: bool = False, desc: str = "scoring") -> np.ndarray:
    """Reconstruct a batch [N, C, H, W] one image at a time (the graph's batch is 1)."""
    out = np.empty_like(x, dtype=np.float32)
    it = range(len(x))
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc=desc, unit="img", leave=False)
    for i in it:
        out[i] = sess.run([OUTPUT], {INPUT: x[i:i + 1].astype(np.float32)})[0][0]
    return out


def parity(model: torch.nn.Module, onnx_bytes: bytes, samples: np.ndarray) -> float:
    """Max abs difference between PyTorch and ONNX Runtime outputs; raises above tolerance."""
    model = model.cpu().eval()
    sess = session(onnx_bytes)
    worst = 0.0
    with torch.no_grad():
        for i in range(len(samples)):
            x = samples[i:i + 1].astype(np.float32)
            ref = model(torch.from_numpy(x)).numpy()
            got = sess.run([OUTPUT], {INPUT: x})[0]
            if got.shape != ref.shape:
                raise RuntimeError(f"ONNX output shape {got.shape} differs from PyTorch {ref.shape}")
            worst = max(worst, float(np.max(np.abs(got - ref))))
    if worst > PARITY_TOLERANCE:
        raise RuntimeError(f"export parity failed: ONNX Runtime differs from PyTorch by {worst:.3g} "
                           f"(> {PARITY_TOLERANCE})")
    return worst


class LoadedModel:
    """An exported lineside model with its metadata, run by ONNX Runtime."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"model file {self.path} does not exist")
        self.meta = read_metadata(self.path)
        try:
            self.width = int(self.meta["lineside.input.width"])
            self.height = int(self.meta["lineside.input.height"])
            self.channels = int(self.meta["lineside.input.channels"])
            self.score = self.meta["lineside.score"]
        except (KeyError, ValueError) as e:
            raise UserError(f"{self.path} is not a lineside model: metadata {e} missing or invalid") from e
        if self.meta.get("lineside.input.resize", "area") != "area":
            raise UserError(f"{self.path}: resize {self.meta['lineside.input.resize']!r} is not supported")
        self.sigma = float(self.meta.get("lineside.score.sigma", "2.0"))
        self.threshold = float(self.meta["lineside.threshold"]) if "lineside.threshold" in self.meta else None
        self.sess = session(self.path)

    def reconstruct(self, x: np.ndarray, progress: bool = False) -> np.ndarray:
        return run(self.sess, x, progress)

    def rewrite(self, meta: dict, out) -> None:
        proto = with_metadata(self.path.read_bytes(), meta)
        save(proto, out)
