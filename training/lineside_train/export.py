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
SCORE = "score"
MAP = "anomaly_map"
PARITY_TOLERANCE = 1e-4
FORMATS = (1, 2)

REQUIRED_KEYS = (
    "lineside.format", "lineside.input.width", "lineside.input.height", "lineside.input.channels",
    "lineside.input.resize", "lineside.score", "lineside.score.sigma", "lineside.threshold",
    "lineside.calibration.alpha", "lineside.calibration.n", "lineside.calibration.median",
    "lineside.model.name", "lineside.model.version",
)


def _trace(model: torch.nn.Module, dummies: tuple, input_names: list[str], output_names: list[str]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(model, dummies, buf, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamo=False, do_constant_folding=True)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def pin_output_shapes(onnx_bytes: bytes) -> bytes:
    """Write the outputs' concrete shapes into the graph (the tracer leaves some dimensions symbolic):
    the appliance checks static sizes at load. Runs the graph once on zeros of its static input."""
    proto = onnx.load_from_string(onnx_bytes)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value for d in dims]
    if not all(v > 0 for v in shape):
        return onnx_bytes  # a dynamic input: nothing to pin against
    sess = session(onnx_bytes)
    got = sess.run(None, {proto.graph.input[0].name: np.zeros(shape, dtype=np.float32)})
    for out, value in zip(proto.graph.output, got):
        out_dims = out.type.tensor_type.shape.dim
        del out_dims[:]
        for v in value.shape:
            out_dims.add().dim_value = int(v)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def to_onnx_bytes(model: torch.nn.Module, channels: int, size: int, width: int | None = None) -> bytes:
    """Trace an autoencoder to a format-1 graph: static [1, C, H, W] input `image` -> `reconstruction`.

    `size` is the height, and the width too unless `width` is given."""
    model = model.cpu().eval()
    return _trace(model, (torch.rand(1, channels, size, width or size),), [INPUT], [OUTPUT])


def detector_to_onnx_bytes(module: torch.nn.Module, channels: int, height: int, width: int,
                           with_reconstruction: bool = False) -> bytes:
    """Trace a format-2 detector, `forward(image) -> (score [N], anomaly_map [N, 1, h, w][, reconstruction])`,
    with a static [1, C, H, W] input `image`."""
    module = module.cpu().eval()
    outputs = [SCORE, MAP] + ([OUTPUT] if with_reconstruction else [])
    return pin_output_shapes(_trace(module, (torch.rand(1, channels, height, width),), [INPUT], outputs))


def head_onnx_bytes(head: torch.nn.Module, channels: int, height: int, width: int) -> bytes:
    """Trace a score head, `forward(image, reconstruction) -> (score, anomaly_map)`."""
    head = head.cpu().eval()
    dummy = torch.rand(1, channels, height, width)
    return _trace(head, (dummy, dummy.clone()), [INPUT, OUTPUT], [SCORE, MAP])


def attach_head(autoencoder_onnx: bytes, head_onnx: bytes) -> bytes:
    """Splice a head graph after an autoencoder graph: one graph image -> (score, anomaly_map, reconstruction).

    The head's own tensor and node names get the prefix `head/`; its inputs `image` and
    `reconstruction` become the autoencoder's input and output. Works on any format-1 file, so a
    model already in the field converts without its PyTorch weights (`upgrade`)."""
    base = onnx.load_from_string(autoencoder_onnx)
    head = onnx.load_from_string(head_onnx)
    shared = {INPUT, OUTPUT, ""}  # "" marks an omitted optional input

    def rename(name: str) -> str:
        return name if name in shared or name in (SCORE, MAP) else "head/" + name

    g, h = base.graph, head.graph
    if [i.name for i in g.input] != [INPUT] or [o.name for o in g.output] != [OUTPUT]:
        raise UserError("the model is not a format-1 autoencoder graph (input 'image', output 'reconstruction')")
    for node in h.node:
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
        node.name = rename(node.name) if node.name else node.name
    for init in h.initializer:
        init.name = rename(init.name)
    for vi in h.value_info:
        vi.name = rename(vi.name)
    g.node.extend(h.node)
    g.initializer.extend(h.initializer)
    g.value_info.extend(h.value_info)
    recon = [o for o in g.output][0]
    outs = [o for o in h.output] + [recon]
    del g.output[:]
    g.output.extend(outs)
    proto = onnx.shape_inference.infer_shapes(base)
    onnx.checker.check_model(proto)
    return pin_output_shapes(proto.SerializeToString())


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


def read_metadata(path_or_bytes) -> dict[str, str]:
    path = path_or_bytes
    try:
        if isinstance(path_or_bytes, bytes):
            proto = onnx.load_from_string(path_or_bytes)
            path = "<in memory>"
        else:
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


def rehead(onnx_bytes: bytes, score: str, sigma: float, channels: int, height: int, width: int) -> bytes:
    """The autoencoder part of a format-1 or format-2 graph (image -> reconstruction) with a new score head."""
    from . import heads
    proto = onnx.load_from_string(onnx_bytes)
    outs = [o.name for o in proto.graph.output]
    if OUTPUT not in outs:
        raise UserError("the model has no 'reconstruction' output, so its score function cannot be changed")
    if outs != [OUTPUT]:
        proto = onnx.utils.Extractor(proto).extract_model([INPUT], [OUTPUT])
    head = head_onnx_bytes(heads.ScoreHead(score, sigma), channels, height, width)
    out = onnx.load_from_string(attach_head(proto.SerializeToString(), head))
    del out.metadata_props[:]
    out.metadata_props.extend(onnx.load_from_string(onnx_bytes).metadata_props)  # the extractor drops them
    return out.SerializeToString()


def detect(sess: ort.InferenceSession, x: np.ndarray, keep_maps: bool = True, keep_reconstructions: bool = False,
           progress: bool = False, desc: str = "scoring"):
    """Run a format-2 graph over a batch [N, C, H, W], one image at a time.

    Returns (scores [N] float64, maps [N, 1, h, w] float32 or None, reconstructions or None)."""
    names = [o.name for o in sess.get_outputs()]
    want = [SCORE] + ([MAP] if keep_maps else []) + ([OUTPUT] if keep_reconstructions and OUTPUT in names else [])
    scores = np.empty(len(x), dtype=np.float64)
    maps = recons = None
    it = range(len(x))
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc=desc, unit="img", leave=False)
    for i in it:
        got = dict(zip(want, sess.run(want, {INPUT: x[i:i + 1].astype(np.float32)})))
        scores[i] = float(np.asarray(got[SCORE]).reshape(-1)[0])
        if keep_maps:
            if maps is None:
                maps = np.empty((len(x),) + got[MAP].shape[1:], dtype=np.float32)
            maps[i] = got[MAP][0]
        if OUTPUT in got:
            if recons is None:
                recons = np.empty_like(x, dtype=np.float32)
            recons[i] = got[OUTPUT][0]
    return scores, maps, recons


def relative_error(got, ref, floor: float = 1e-12) -> float:
    got = np.asarray(got, dtype=np.float64).ravel()
    ref = np.asarray(ref, dtype=np.float64).ravel()
    return float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), floor))) if len(ref) else 0.0


def check_score_parity(got, ref, what: str, floor: float = 1e-12) -> float:
    """The graph's scores against a reference, relative (to at least `floor`); raises above PARITY_TOLERANCE."""
    worst = relative_error(got, ref, floor)
    if not worst <= PARITY_TOLERANCE:
        raise RuntimeError(f"export parity failed: the graph's score differs from {what} by {worst:.3g} relative "
                           f"(> {PARITY_TOLERANCE})")
    return worst


def head_parity(onnx_bytes: bytes, samples: np.ndarray, score: str, sigma: float) -> float:
    """A spliced autoencoder + head graph: its score against the float64 numpy reference of scores.py,
    computed on the graph's own reconstruction. Returns the worst relative difference."""
    from . import scores as S
    got, _, y = detect(session(onnx_bytes), samples, keep_maps=False, keep_reconstructions=True)
    return check_score_parity(got, S.score_batch(score, samples, y, sigma), f"the numpy reference ({score})")


def detector_parity(module: torch.nn.Module, onnx_bytes: bytes, samples: np.ndarray, floor: float = 1e-12) -> float:
    """A traced format-2 detector: the graph's score against the PyTorch module's. A score in units of the
    good parts' spread (disc-zmax) passes floor=1: an error is then judged against one spread at least."""
    module = module.cpu().eval()
    with torch.no_grad():
        ref = np.concatenate([np.asarray(module(torch.from_numpy(samples[i:i + 1].astype(np.float32)))[0]).reshape(-1)
                              for i in range(len(samples))])
    got, _, _ = detect(session(onnx_bytes), samples, keep_maps=False)
    return check_score_parity(got, ref, "PyTorch", floor)


def map_max(maps: np.ndarray) -> float:
    """lineside.map.max: twice the median, over held-out good images, of each image's map maximum,
    so a good part is drawn at about half colour and a clear defect saturates (CONTRACT.md)."""
    peaks = np.asarray(maps, dtype=np.float64).reshape(len(maps), -1).max(axis=1)
    return float(2 * np.median(peaks))


class LoadedModel:
    """An exported lineside model with its metadata, run by ONNX Runtime (format 1 or 2)."""

    def __init__(self, path, onnx_bytes: bytes | None = None):
        self.path = Path(path)
        if onnx_bytes is None and not self.path.is_file():
            raise UserError(f"model file {self.path} does not exist")
        self.meta = read_metadata(self.path if onnx_bytes is None else onnx_bytes)
        try:
            self.format = int(self.meta.get("lineside.format", "1"))
            self.width = int(self.meta["lineside.input.width"])
            self.height = int(self.meta["lineside.input.height"])
            self.channels = int(self.meta["lineside.input.channels"])
            self.score = self.meta["lineside.score"]
        except (KeyError, ValueError) as e:
            raise UserError(f"{self.path} is not a lineside model: metadata {e} missing or invalid") from e
        if self.format not in FORMATS:
            raise UserError(f"{self.path}: lineside.format {self.format} is not supported (1 or 2)")
        if self.meta.get("lineside.input.resize", "area") != "area":
            raise UserError(f"{self.path}: resize {self.meta['lineside.input.resize']!r} is not supported")
        from .preprocess import parse_roi
        self.roi = parse_roi(self.meta.get("lineside.input.roi"))
        self.sigma = float(self.meta.get("lineside.score.sigma", "2.0"))
        self.threshold = float(self.meta["lineside.threshold"]) if "lineside.threshold" in self.meta else None
        self.sess = session(self.path if onnx_bytes is None else onnx_bytes)
        self.outputs = [o.name for o in self.sess.get_outputs()]
        self.has_reconstruction = OUTPUT in self.outputs

    def reconstruct(self, x: np.ndarray, progress: bool = False) -> np.ndarray:
        if not self.has_reconstruction:
            raise UserError(f"{self.path} has no 'reconstruction' output")
        if self.format == 1:
            return run(self.sess, x, progress)
        return detect(self.sess, x, keep_maps=False, keep_reconstructions=True, progress=progress)[2]

    def infer(self, x: np.ndarray, keep_maps: bool = True, keep_reconstructions: bool = False,
              progress: bool = False, desc: str = "scoring"):
        """(scores [N], anomaly maps [N, 1, h, w] or None, reconstructions or None), for either format:
        format 2 runs the graph's own score; format 1 scores its reconstruction in numpy (scores.py)."""
        if self.format == 2:
            return detect(self.sess, x, keep_maps, keep_reconstructions, progress, desc)
        from . import scores as S
        y = run(self.sess, x, progress, desc)
        s = S.score_batch(self.score, x, y, self.sigma)
        maps = S.residual_maps(x, y, self.sigma, self.score)[:, None].astype(np.float32) if keep_maps else None
        return s, maps, (y if keep_reconstructions else None)

    @classmethod
    def from_bytes(cls, onnx_bytes: bytes, path) -> "LoadedModel":
        """A model held in memory (e.g. re-headed); `path` names where it came from."""
        return cls(path, onnx_bytes)

    def rewrite(self, meta: dict, out, onnx_bytes: bytes | None = None) -> None:
        """Write this model, or the graph `onnx_bytes` in its place, with its metadata updated by `meta`."""
        save(with_metadata(onnx_bytes if onnx_bytes is not None else self.path.read_bytes(), meta), out)
