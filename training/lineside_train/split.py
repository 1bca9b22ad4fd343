"""Hold-out splits that keep near-copies together (rotations by quarter turns, flips,
brightness changes), so a validation or calibration set is not flattered by copies of
training images.

Every image gets a small mean-centred gray thumbnail; the distance of two images is the
RMS difference of their thumbnails, minimised over the 8 quarter-turn/flip variants. Images
closer than a threshold are joined into one group (transitively), and whole groups go to
one side of a split.

    python -m lineside_train.split --good DIR [--defect DIR] --out DIR [--fraction 0.2]
        -> DIR/train-good, DIR/val-good, DIR/val-defect (symbolic links), DIR/split.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from .preprocess import decode, list_images, resize_area, to_channels

THUMB = 16  # coarse stage: candidate pairs
FINE = 64  # fine stage: the decision
CANDIDATE = 0.03  # RMS distance at 16x16 below which a pair is checked at 64x64
DEFAULT_THRESHOLD = 9 / 255  # mean abs difference at 64x64 (the data set README uses 9 grey levels at 100 px)


def thumbnail(img_hwc: np.ndarray, size: int = THUMB) -> np.ndarray:
    t = resize_area(to_channels(img_hwc, 1), size, size)[:, :, 0]
    return t - t.mean()  # a brightness change does not make a new part


def variants(t: np.ndarray) -> list[np.ndarray]:
    out = []
    for flip in (False, True):
        b = t[:, ::-1] if flip else t
        for k in range(4):
            out.append(np.ascontiguousarray(np.rot90(b, k)).ravel())
    return out


def distances(thumbs: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """[N, s, s] (and [M, s, s]) -> [N, M] RMS distance, min over the 8 variants of `others`."""
    a = thumbs.reshape(len(thumbs), -1).astype(np.float64)
    others = thumbs if others is None else others
    best = np.full((len(a), len(others)), np.inf)
    na = (a * a).sum(axis=1)[:, None]
    vs = np.array([variants(t) for t in others])  # [M, 8, s*s]
    for v in range(8):
        b = vs[:, v, :]
        d2 = na + (b * b).sum(axis=1)[None, :] - 2 * a @ b.T
        best = np.minimum(best, np.sqrt(np.maximum(d2, 0) / a.shape[1]))
    return best


def fine_distances(fine_a: np.ndarray, fine_b: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Mean abs difference of 64x64 thumbnails for the given (i, j) pairs, min over variants of b."""
    out = np.empty(len(pairs))
    for s in range(0, len(pairs), 512):
        p = pairs[s:s + 512]
        a = fine_a[p[:, 0]].reshape(len(p), 1, -1)
        b = np.array([variants(fine_b[j]) for j in p[:, 1]])
        out[s:s + 512] = np.abs(a - b).mean(axis=2).min(axis=1)
    return out


def near_pairs(coarse_a, fine_a, coarse_b=None, fine_b=None, threshold=DEFAULT_THRESHOLD):
    """(i, j) pairs that are near-copies: candidates at 16 px, decided at 64 px."""
    same = coarse_b is None
    d = distances(coarse_a, coarse_a if same else coarse_b)
    cand = np.argwhere(np.triu(d < CANDIDATE, 1) if same else d < CANDIDATE)
    if len(cand) == 0:
        return cand
    fd = fine_distances(fine_a, fine_a if same else fine_b, cand)
    return cand[fd < threshold]


def groups_from_pairs(n: int, pairs: np.ndarray) -> np.ndarray:
    parent = np.arange(n)

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
    return np.array([find(i) for i in range(n)])


def groups(x_nchw: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Group id per image of a tensor batch [N, C, H, W]."""
    hwc = [np.transpose(img, (1, 2, 0)) for img in x_nchw]
    coarse = np.array([thumbnail(a) for a in hwc])
    fine = np.array([thumbnail(a, FINE) for a in hwc]).astype(np.float32)
    return groups_from_pairs(len(x_nchw), near_pairs(coarse, fine, threshold=threshold))


def pick_groups(g: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of whole groups, in random group order, until about `fraction` of the images."""
    target = int(round(fraction * len(g)))
    chosen = []
    for gid in rng.permutation(np.unique(g)):
        if len(chosen) >= target:
            break
        chosen.extend(np.nonzero(g == gid)[0].tolist())
    return np.sort(np.array(chosen, dtype=int))


def holdout_groups(x: np.ndarray, fraction: float, rng: np.random.Generator,
                   threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    return pick_groups(groups(x, threshold), fraction, rng)


def _thumbs_of(files, progress=True):
    it = files
    if progress:
        from tqdm import tqdm
        it = tqdm(files, desc="thumbnails", unit="img", leave=False)
    coarse, fine = [], []
    for f in it:
        img = decode(f)
        coarse.append(thumbnail(img))
        fine.append(thumbnail(img, FINE).astype(np.float32))
    return np.array(coarse), np.array(fine)


def _link(files, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        dst = folder / Path(f).name
        if not dst.exists():
            os.symlink(os.path.abspath(f), dst)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lineside_train.split", description=__doc__.split("\n\n")[0])
    ap.add_argument("--good", required=True)
    ap.add_argument("--defect", default=None, help="defective images: all go to val-defect, "
                    "except near-copies of good images (contradicting labels), listed in split.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--fraction", type=float, default=0.2, help="share of good images held out for validation")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"split: error: {out} exists and is not empty", file=sys.stderr)
        return 2
    good = list_images(args.good, "good")
    tg, fg = _thumbs_of(good)
    pairs = near_pairs(tg, fg, threshold=args.threshold)
    g = groups_from_pairs(len(good), pairs)
    val = pick_groups(g, args.fraction, np.random.default_rng(args.seed))
    is_val = np.zeros(len(good), bool)
    is_val[val] = True
    sizes = np.bincount(np.unique(g, return_inverse=True)[1])
    info = {"threshold_mad_64px": args.threshold, "n_good": len(good), "near_copy_pairs": int(len(pairs)),
            "groups": int(len(sizes)), "largest_group": int(sizes.max()), "singletons": int((sizes == 1).sum()),
            "n_train_good": int((~is_val).sum()), "n_val_good": int(is_val.sum())}
    _link([good[i] for i in np.nonzero(~is_val)[0]], out / "train-good")
    _link([good[i] for i in val], out / "val-good")
    if args.defect:
        defect = list_images(args.defect, "defect")
        td, fd = _thumbs_of(defect)
        cp = near_pairs(td, fd, tg, fg, threshold=args.threshold)  # defects that are near-copies of good images
        conflict = np.zeros(len(defect), bool)
        conflict[cp[:, 0] if len(cp) else []] = True
        _link([f for f, c in zip(defect, conflict) if not c], out / "val-defect")
        info.update({"n_defect": len(defect), "n_val_defect": int((~conflict).sum()),
                     "defects_dropped_as_near_copies_of_good": [str(f) for f, c in zip(defect, conflict) if c]})
    (out / "split.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps({k: v for k, v in info.items() if not k.startswith("defects_dropped")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
