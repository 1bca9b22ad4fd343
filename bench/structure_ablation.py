"""What the structure weight adds, on one trained model (issue 16): the same graph scored with and without it.

A `disc-wzmax` / `disc-wzmax-scales` model (the default of `train` since 2026-12-07) multiplies each
network's normalised map by a constant per-cell weight, from `lineside.score.structure_floor` on plain
background to 1 (`detectors.structure_weight_map`). This script finds those constants in the model's own
graph, sets them to 1 in a copy (the map and score `train --structure-floor 1` would have exported from the
same networks) and prints the image AUROC on test/good against test/defect of both, overall and per
defect kind: a paired comparison on the same trained networks, so the run-to-run variance of training
does not enter it. Quality, not speed.

    cd training && ../target/trainer-venv/bin/python ../bench/structure_ablation.py \
        --model runs/bench-quality/mvtec3d-tire.onnx --data ../../shared/datasets/mvtec3d-tire
"""
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from lineside_train import export, preprocess  # noqa: E402
from lineside_train.evaluate import auroc  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from neighbour_ablation import model_and_data  # noqa: E402


def without_weights(proto: onnx.ModelProto, floor: float) -> tuple[onnx.ModelProto, int]:
    """A copy of the model whose structure weights (constant [1, 1, h, w] operands of a Mul, every value in
    [floor, 1]) are all 1; and how many it replaced."""
    proto = onnx.ModelProto.FromString(proto.SerializeToString())
    g = proto.graph
    inits = {i.name: i for i in g.initializer}
    consts = {n.output[0]: n for n in g.node if n.op_type == "Constant"}
    mul_inputs = {i for n in g.node if n.op_type == "Mul" for i in n.input}

    def is_weight(a: np.ndarray) -> bool:
        return (a.ndim == 4 and a.shape[:2] == (1, 1) and a.size > 1
                and float(a.min()) >= floor - 1e-6 and float(a.max()) <= 1 + 1e-6)

    replaced = 0
    for name in mul_inputs:
        if name in inits and is_weight(numpy_helper.to_array(inits[name])):
            a = numpy_helper.to_array(inits[name])
            inits[name].CopyFrom(numpy_helper.from_array(np.ones_like(a), name))
            replaced += 1
        elif name in consts:
            attr = consts[name].attribute[0]
            a = numpy_helper.to_array(attr.t)
            if is_weight(a):
                attr.t.CopyFrom(numpy_helper.from_array(np.ones_like(a)))
                replaced += 1
    return proto, replaced


def main():
    a, m = model_and_data(__doc__)
    if "wzmax" not in str(m.meta.get("lineside.score", "")):
        raise SystemExit(f"{a.model} is a {m.meta.get('lineside.score')} model, without the structure weight")
    floor = float(m.meta["lineside.score.structure_floor"])
    proto = onnx.load(a.model)
    plain, replaced = without_weights(proto, floor)
    networks = len(str(m.meta.get("lineside.score.scales", "1")).split(","))
    if replaced != networks:
        raise SystemExit(f"found {replaced} structure weights in the graph, expected {networks} (one per network)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    sessions = [ort.InferenceSession(p.SerializeToString(), opts) for p in (proto, plain)]
    root = Path(a.data)

    def run(folder, recursive):
        files = preprocess.list_images(root / folder, recursive=recursive)
        out = []
        for f in files:
            x = preprocess.load(f, m.width, m.height, m.channels).reshape(1, m.channels, m.height, m.width)
            out.append([float(np.ravel(s.run(["score"], {"image": x})[0])[0]) for s in sessions])
        return np.array(out), [Path(f).parent.name for f in files]

    good, _ = run("test/good", False)
    bad, kinds = run("test/defect", True)
    print(f"{Path(a.model).name} ({m.meta['lineside.score']}, {m.width}x{m.height}x{m.channels}, floor {floor:g}; "
          f"{len(good)} good, {len(bad)} defective): image AUROC with / without the structure weight")
    print(f"  {'all':24s} {auroc(good[:, 0], bad[:, 0]):.3f} / {auroc(good[:, 1], bad[:, 1]):.3f}")
    kinds = np.array(kinds)
    if len(set(kinds)) > 1:
        for k in sorted(set(kinds)):
            b = bad[kinds == k]
            print(f"  {k:24s} {auroc(good[:, 0], b[:, 0]):.3f} / {auroc(good[:, 1], b[:, 1]):.3f}")


if __name__ == "__main__":
    main()
