"""What the nearest-neighbour reference adds, on one trained model (issue 16): the same graph scored three ways.

A `disc-zmax-knn` / `disc-zmax-scales-knn` model (`train --neighbours N`; not the default) computes
    score = max(0, (disc score standardised + neighbour score standardised) / 2 + 2).
This script exposes the two standardised terms of that sum as extra outputs of the model's own graph and
prints the image AUROC on test/good against test/defect of the disc term alone, the neighbour term alone
and the exported score: a paired comparison on the same trained networks, so the run-to-run variance of
training does not enter it. Quality, not speed.

    cd training && ../target/trainer-venv/bin/python ../bench/neighbour_ablation.py \
        --model runs/bench-quality/mvtec3d-tire.onnx --data ../../shared/datasets/mvtec3d-tire
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from lineside_train import export, preprocess  # noqa: E402
from lineside_train.evaluate import auroc  # noqa: E402


def terms(graph) -> tuple[str, str]:
    """score <- Relu <- Add(+2) <- Div(/2) <- Add(disc term, neighbour term), as NeighbourDetector.forward builds it."""
    by_output = {o: n for n in graph.node for o in n.output}
    node = by_output["score"]
    for op in ("Relu", "Add", "Div", "Add"):
        if node.op_type != op:
            raise SystemExit(f"not a -knn graph: expected {op} on the way back from score, found {node.op_type}")
        if op == "Add" and all(i in by_output and by_output[i].op_type != "Constant" for i in node.input):
            return node.input[0], node.input[1]
        node = by_output[node.input[0]]
    raise SystemExit("not a -knn graph: no sum of two terms before score")


def model_and_data(doc: str):
    """The command line every ablation here takes (--model, --data, --threads): (args, the loaded model)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="a set with test/good and test/defect (one folder per kind allowed)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    return a, export.LoadedModel(a.model)


def main():
    a, m = model_and_data(__doc__)
    if not str(m.meta.get("lineside.score", "")).endswith("-knn"):
        raise SystemExit(f"{a.model} is a {m.meta.get('lineside.score')} model, without the neighbour reference")
    proto = onnx.load(a.model)
    disc, neighbour = terms(proto.graph)
    for t in (disc, neighbour):
        proto.graph.output.append(onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(proto.SerializeToString(), opts)
    root = Path(a.data)

    def run(folder, recursive):
        out = []
        for f in preprocess.list_images(root / folder, recursive=recursive):
            x = preprocess.load(f, m.width, m.height, m.channels)
            s, d, n = sess.run(["score", disc, neighbour], {"image": x.reshape(1, m.channels, m.height, m.width)})
            out.append((float(np.ravel(s)[0]), float(np.ravel(d)[0]), float(np.ravel(n)[0])))
        return np.array(out)

    good, bad = run("test/good", False), run("test/defect", True)
    print(f"{Path(a.model).name} ({m.meta['lineside.score']}, {m.width}x{m.height}x{m.channels}; "
          f"{len(good)} good, {len(bad)} defective): image AUROC")
    for col, name in ((1, "disc alone"), (2, "neighbours alone"), (0, "exported score (both)")):
        print(f"  {name:24s} {auroc(good[:, col], bad[:, col]):.3f}")


if __name__ == "__main__":
    main()
