"""Detection figures (AUROC, AP, FPR/TPR at the calibrated threshold) and the report's plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import scores as S


def auroc_labelled(scores: np.ndarray, positive: np.ndarray) -> float:
    """AUROC of scores against boolean labels, ties counted half (rank-sum form), vectorised; nan when
    one class is empty."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(positive, dtype=bool).ravel()
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = ends - (counts - 1) / 2.0  # 1-based mean rank of each run of equal values
    rank_sum = average_rank[inverse][y].sum()
    return float((rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def auroc(good: np.ndarray, defect: np.ndarray) -> float:
    """P(defect score > good score), ties counted half (Mann-Whitney U / (n_g n_d)); nan when a side is empty."""
    g = np.asarray(good, dtype=np.float64).ravel()
    d = np.asarray(defect, dtype=np.float64).ravel()
    return auroc_labelled(np.concatenate([g, d]), np.r_[np.zeros(len(g), dtype=bool), np.ones(len(d), dtype=bool)])


def average_precision(good: np.ndarray, defect: np.ndarray) -> float:
    """Area under the precision-recall curve as a step sum (defect = positive)."""
    s = np.concatenate([good, defect]).astype(np.float64)
    y = np.concatenate([np.zeros(len(good)), np.ones(len(defect))])
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    # evaluate only at the last index of each run of equal scores
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(y)[distinct]
    fp = (distinct + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / len(defect)
    prev = np.r_[0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


def at_threshold(good, defect, thr: float) -> dict:
    """Verdict DEFECT when score > threshold."""
    good, defect = np.asarray(good), np.asarray(defect)
    fp = int(np.sum(good > thr))
    tp = int(np.sum(defect > thr))
    fn = len(defect) - tp
    fpr = fp / len(good) if len(good) else float("nan")
    tpr = tp / len(defect) if len(defect) else float("nan")
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * tpr / (precision + tpr) if precision + tpr else 0.0
    return {"threshold": float(thr), "fpr": fpr, "tpr": tpr, "precision": precision, "f1": f1,
            "false_rejects": fp, "missed_defects": fn}


def f1_optimal(good, defect) -> dict:
    cands = np.unique(np.concatenate([good, defect]))
    # threshold just below each candidate -> that candidate becomes DEFECT
    best = None
    for c in cands:
        r = at_threshold(good, defect, float(np.nextafter(c, -np.inf)))
        if best is None or r["f1"] > best["f1"]:
            best = r
    return best


def figures(good, defect, thr: float | None) -> dict:
    good = np.asarray(good, dtype=np.float64)
    defect = np.asarray(defect, dtype=np.float64)
    out = {"n_good": len(good), "n_defect": len(defect),
           "auroc": auroc(good, defect), "average_precision": average_precision(good, defect)}
    if thr is not None:
        out.update(at_threshold(good, defect, thr))
    opt = f1_optimal(good, defect)
    out["f1_optimal"] = {"threshold": opt["threshold"], "f1": opt["f1"], "fpr": opt["fpr"], "tpr": opt["tpr"]}
    return out


# ---------------------------------------------------------------- plots

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_scores(good, defect, thr, score_name, path, title=""):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    allv = np.concatenate([good, defect])
    lo, hi = float(allv.min()), float(allv.max())
    if thr is not None:
        lo, hi = min(lo, thr), max(hi, thr)
    bins = np.linspace(lo, hi + 1e-12, 60)
    ax.hist(good, bins=bins, alpha=0.6, color="tab:green", label=f"good (n={len(good)})")
    ax.hist(defect, bins=bins, alpha=0.6, color="tab:red", label=f"defect (n={len(defect)})")
    if thr is not None:
        ax.axvline(thr, color="black", linestyle="--", label=f"threshold {thr:.4g}")
    ax.set_xlabel(f"anomaly score ({score_name})")
    ax.set_ylabel("images")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _pick(n_total, k):
    if n_total <= k:
        return list(range(n_total))
    return [int(round(i)) for i in np.linspace(0, n_total - 1, k)]


def plot_reconstructions(xg, yg, xd, yd, path, k=4):
    """Columns: k good then k defective parts; rows: input, reconstruction."""
    plt = _plt()
    gi, di = _pick(len(xg), k), _pick(len(xd), k)
    cols = [(xg[i], yg[i], "good") for i in gi] + [(xd[i], yd[i], "defect") for i in di]
    fig, axes = plt.subplots(2, len(cols), figsize=(2 * len(cols), 4.3), dpi=100, squeeze=False)
    for c, (x, y, label) in enumerate(cols):
        for r, (img, what) in enumerate(((x, "input"), (y, "reconstruction"))):
            ax = axes[r][c]
            ax.imshow(_show(img), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]); ax.set_yticks([])
            if r == 0:
                ax.set_title(label, color="tab:green" if label == "good" else "tab:red")
            if c == 0:
                ax.set_ylabel(what)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _show(img):
    img = np.asarray(img)
    return img[0] if img.shape[0] == 1 else np.transpose(img, (1, 2, 0))


def plot_residuals(xg, gg, sg, xd, gd, sd, thr, path, k=4, map_label="residual |y - x| (blurred)", masks=None):
    """Residual heatmaps over the inputs: good parts on the left, defective on the right,
    one colour scale for all so 'hot' means the same everywhere. With `masks` (one per defect
    image, or None), a third column shows each defect's true mask, outlined on its map too."""
    plt = _plt()
    gi, di = _pick(len(xg), k), _pick(len(xd), k)
    vmax = max(float(np.max([gg[i].max() for i in gi])), float(np.max([gd[i].max() for i in di])))
    cols = 3 if masks is not None else 2
    fig, axes = plt.subplots(k, cols, figsize=(3.3 * cols, 3.1 * k), dpi=90, squeeze=False)
    im = None
    for col, (xs, gs, ss, idx, label) in enumerate(((xg, gg, sg, gi, "good"), (xd, gd, sd, di, "defect"))):
        for row in range(k):
            ax = axes[row][col]
            ax.set_xticks([]); ax.set_yticks([])
            if row >= len(idx):
                ax.axis("off")
                if cols == 3 and label == "defect":
                    axes[row][2].axis("off")
                continue
            i = idx[row]
            base = _show(xs[i])
            ax.imshow(base if base.ndim == 3 else base, cmap="gray", vmin=0, vmax=1)
            h, w = base.shape[:2]  # a format-2 map may be smaller than the input: stretch it over the image
            im = ax.imshow(gs[i], cmap="inferno", alpha=0.6, vmin=0, vmax=vmax, extent=(-0.5, w - 0.5, h - 0.5, -0.5))
            if label == "defect" and masks is not None:
                mask = masks[i]
                ax_m = axes[row][2]
                ax_m.set_xticks([]); ax_m.set_yticks([])
                if mask is None:
                    ax_m.set_title("no mask", fontsize=9)
                else:
                    ax_m.imshow(base, cmap="gray", vmin=0, vmax=1)
                    ax_m.imshow(np.ma.masked_where(~mask, mask), cmap="cool", alpha=0.7, vmin=0, vmax=1)
                    ax_m.set_title("true defect mask", fontsize=9)
                    if mask.any():
                        ax.contour(mask, levels=[0.5], colors="cyan", linewidths=0.8)
            verdict = "" if thr is None else (" DEFECT" if ss[i] > thr else " GOOD")
            ax.set_title(f"{label}: score {ss[i]:.4g}{verdict}", fontsize=9,
                         color="tab:green" if label == "good" else "tab:red")
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.6, label=map_label)
    fig.savefig(path)
    plt.close(fig)


def write_report(report: dict, out_dir) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = out / "report.json"
    p.write_text(json.dumps(report, indent=2) + "\n")
    return p
