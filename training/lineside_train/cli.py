"""Command line: train, calibrate, evaluate, synth (see training/README.md)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .errors import UserError

PROG = "python -m lineside_train"


def _positive_int(name):
    def parse(v):
        try:
            n = int(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {v!r}")
        if n < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {n}")
        return n
    return parse


def _count(name):
    def parse(v):
        try:
            n = int(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {v!r}")
        if n < 0:
            raise argparse.ArgumentTypeError(f"{name} must not be negative, got {n}")
        return n
    return parse


def _fraction(name, closed: bool = False):
    """A number strictly between 0 and 1, or with closed=True one from 0 to 1 inclusive."""
    def parse(v):
        try:
            f = float(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {v!r}")
        if not (0 <= f <= 1 if closed else 0 < f < 1):
            raise argparse.ArgumentTypeError(f"{name} must be between 0 and 1{'' if closed else ' (exclusive)'}, got {v}")
        return f
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="lineside trainer: autoencoders from good parts, exported as ONNX.")
    p.add_argument("--version", action="version", version=f"lineside_train {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train on good images, calibrate, export ONNX")
    t.add_argument("--good", required=True, help="folder of good-part images")
    t.add_argument("--out", required=True, help="model file to write (.onnx)")
    t.add_argument("--arch", choices=("disc", "conv", "dense"), default=None,
                   help="method: disc (discriminative network on synthetic anomalies), conv or dense (autoencoders, "
                        "the earlier baselines); default: chosen automatically (see --budget)")
    t.add_argument("--size", type=_positive_int("--size"), default=None,
                   help="model input width = height; default: conv/dense 128, disc chosen from the images "
                        "(their median size, at most 512 x 512 pixels)")
    t.add_argument("--channels", type=int, choices=(1, 3), default=None,
                   help="default: 1 for conv/dense; disc: 3 when the images are in colour, else 1")
    t.add_argument("--epochs", type=_positive_int("--epochs"), default=None,
                   help="default: 40 for conv/dense; disc trains for the time the budget gives it")
    t.add_argument("--budget", default="20m",
                   help="wall-clock bound of the whole train (every candidate, calibration, export), "
                        "e.g. 90s, 20m, 1h (default 20m)")
    t.add_argument("--neighbours", type=_count("--neighbours"), default=0,
                   help="disc: good-part cells kept as a location-free reference (nearest neighbour of each cell's "
                        "features, combined with the disc map), e.g. 4096; default 0 = none (measured neutral on "
                        "average: training/README.md)")
    t.add_argument("--structure-floor", type=_fraction("--structure-floor", closed=True), default=None,
                   help="disc: weight of the map in cells where the good images show only plain background, from "
                        "this floor to 1 where they are busiest (weighs down specks on the background); 1 = no "
                        "weighting; default 0.5")
    t.add_argument("--defect", default=None,
                   help="optional folder of a few real defect images: used to choose among candidates, never to train")
    t.add_argument("--score", choices=("std", "mse", "max-blur", "ssim"), default=None,
                   help="score function (default: ssim for conv, max-blur for dense)")
    t.add_argument("--sigma", type=float, default=None,
                   help="Gaussian sigma of the score, model pixels: ssim's window (default 1.0), max-blur's blur (default 2.0)")
    t.add_argument("--alpha", type=_fraction("--alpha"), default=None,
                   help="target false-reject rate (default 0.01; when too few good images are held out for it, "
                        "the smallest they support, 1/(n+1), is used and reported; a given --alpha is kept or refused)")
    t.add_argument("--calibration-fraction", type=_fraction("--calibration-fraction"), default=0.2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--augment", default=None,
                   help="comma list of flip,rot90,shift,scale,brightness or none "
                        "(default: rot90,shift,scale,brightness for conv, none for dense)")
    t.add_argument("--loss", choices=("mse", "ssim", "mse+ssim"), default=None,
                   help="training loss (default: ssim for conv, mse for dense)")
    t.add_argument("--corrupt", type=_fraction("--corrupt", closed=True), default=None,
                   help="share of training images given a simulated defect that the network must repair "
                        "(input corrupted, target clean; default 0.5 for conv, 0 for dense: plain reconstruction)")
    t.add_argument("--batch-size", type=_positive_int("--batch-size"), default=32)
    t.add_argument("--lr", type=float, default=None, help="learning rate (default 1e-3)")
    t.add_argument("--conv-width", type=_positive_int("--conv-width"), default=16, help="conv: channels of the first stage (default 16)")
    t.add_argument("--latent", type=_positive_int("--latent"), default=None, help="conv: bottleneck channels (default 16)")
    t.add_argument("--bottleneck", type=int, choices=(8, 16), default=None,
                   help="conv: the bottleneck's resolution is size/8 or size/16 (default 16)")
    t.add_argument("--group-similar", action="store_true",
                   help="hold out calibration images by similarity groups (near-copies stay on one side)")
    t.add_argument("--name", default=None, help="model name for the metadata (default: the output file's stem)")
    t.add_argument("--model-version", default="1", help="model version for the metadata (default 1)")
    t.add_argument("--device", default=None, help="cpu, cuda, cuda:0 (default: cuda when available)")
    t.add_argument("--threads", type=_positive_int("--threads"), default=None, help="CPU threads for PyTorch")
    t.add_argument("--roi", default=None,
                   help="x,y,w,h: crop every image to this region (source pixels) before the resize; "
                        "written to the model (lineside.input.roi, format 2) so the appliance crops alike")
    t.add_argument("--format", type=int, choices=(1, 2), default=2,
                   help="model format: 2 (default) puts the score and anomaly map in the graph; "
                        "1 writes the reconstruction-only form for appliances that predate format 2")
    t.add_argument("--quiet", action="store_true", help="no progress bars")

    c = sub.add_parser("calibrate", help="set a model's threshold from held-out good images")
    c.add_argument("--model", required=True)
    c.add_argument("--good", required=True, help="folder of held-out good images (never trained on)")
    c.add_argument("--alpha", type=_fraction("--alpha"), default=0.01)
    c.add_argument("--score", choices=("std", "mse", "max-blur", "ssim"), default=None,
                   help="switch the model's score function (default: keep it)")
    c.add_argument("--sigma", type=float, default=None,
                   help="score sigma: ssim's window, max-blur's blur (default: the model's; the new score's default when --score changes it)")
    c.add_argument("--out", required=True)
    c.add_argument("--quiet", action="store_true")

    u = sub.add_parser("upgrade", help="convert a format-1 model to format 2 (score and map in the graph)")
    u.add_argument("--model", required=True, help="format-1 model file")
    u.add_argument("--out", required=True, help="format-2 model file to write")
    u.add_argument("--good", default=None,
                   help="optional folder of good images: checks the graph's score against the reference and "
                        "sets lineside.map.max from them")
    u.add_argument("--quiet", action="store_true")

    e = sub.add_parser("evaluate", help="score labelled good and defective images; report and plots")
    e.add_argument("--model", required=True)
    e.add_argument("--good", required=True)
    e.add_argument("--defect", required=True)
    e.add_argument("--report", required=True, help="folder for report.json and the plots")
    e.add_argument("--masks", default=None,
                   help="folder of defect masks (same file stem, or stem + _mask, any subfolder): adds pixel AUROC "
                        "and draws map and mask side by side")
    e.add_argument("--equalise-brightness", action="store_true",
                   help="also score every image brightness- and contrast-equalised (report key `equalised`): "
                        "a model that separates by brightness loses its AUROC there")
    e.add_argument("--quiet", action="store_true")

    q = sub.add_parser("bench-quality", help="the default train command on every data set: one Markdown table")
    q.add_argument("--datasets", required=True,
                   help="folder of data sets, each with train/good and test/{good,defect} (test/defect may hold "
                        "one folder per defect kind; masks/ where present); casting300 is split by similarity")
    q.add_argument("--work", default="runs/bench-quality", help="models, reports and splits (default runs/bench-quality)")
    q.add_argument("--sets", default=None, help="comma list of data set names (default: all)")
    q.add_argument("--budget", default=None, help="passed to train (default: train's own default)")
    q.add_argument("--train-args", default="",
                   help="extra flags for train, one string (the table is the default command only without them)")
    q.add_argument("--quiet", action="store_true")

    s = sub.add_parser("synth", help="draw synthetic cast parts, good and defective")
    s.add_argument("--out", required=True)
    s.add_argument("--good", type=_count("--good"), required=True)
    s.add_argument("--defect", type=_count("--defect"), required=True)
    s.add_argument("--size", type=_positive_int("--size"), default=300)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--quiet", action="store_true")
    return p


def main(argv=None) -> int:
    started = time.perf_counter()  # the budget of `train` counts from here
    args = build_parser().parse_args(argv)
    args.started = started
    try:
        return {"train": cmd_train, "calibrate": cmd_calibrate, "evaluate": cmd_evaluate,
                "synth": cmd_synth, "upgrade": cmd_upgrade, "bench-quality": cmd_bench_quality}[args.command](args)
    except UserError as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


def _log(args, msg):
    """Progress and summary lines go to stderr, so stdout stays free for results."""
    print(msg, file=sys.stderr, flush=True)


AUTOENCODER_ONLY = ("score", "sigma", "loss", "corrupt", "augment", "latent", "bottleneck")


def cmd_train(args) -> int:
    """Train, choose, calibrate and export, within --budget. Flags given pin their choice; the rest is chosen."""
    from . import auto

    budget = auto.Budget(auto.parse_budget(args.budget), getattr(args, "started", None))
    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name such as model.onnx")
    pinned_by = [f"--{f}" for f in AUTOENCODER_ONLY if getattr(args, f) is not None] + \
        (["--format 1"] if args.format == 1 else [])
    if args.arch is None and pinned_by:
        args.arch = "conv"  # those flags only mean something for an autoencoder
        why = f"conv: {', '.join(pinned_by)} given (autoencoder flags)"
    elif args.arch is None:
        why = None
    else:
        why = f"{args.arch}: --arch given"
    if args.arch == "disc" and pinned_by:
        raise UserError(f"{', '.join(pinned_by)} only apply to the autoencoders (--arch conv or dense), not to disc")
    if args.arch in ("conv", "dense"):
        return _train_autoencoder(args, budget, why)
    return _train_disc(args, budget)


def _calibrate_scores(args, scores) -> dict:
    """Threshold from held-out good scores; with no --alpha, falls back to the smallest alpha n supports."""
    from . import auto
    from . import calibrate as cal
    n = len(scores)
    asked = args.alpha if args.alpha is not None else 0.01
    if args.alpha is not None or n >= cal.min_good_images(asked):
        # the alpha asked; given explicitly it is kept, or refused (calibrate.threshold says how many are needed)
        alpha, k = asked, cal.order_index(n, asked)
        thr = cal.threshold(scores, alpha)
    else:  # the smallest alpha n images support, 1/(n+1): k = n, the largest held-out score
        alpha, k = 1.0 / (n + 1), n
        thr = _kth(scores, k)
    return {"n": n, "alpha": float(alpha), "alpha_requested": float(asked), "alpha_fallback": alpha != asked,
            "k": k, "threshold": float(thr), "median": float(np.median(scores)),
            "expected_fpr": auto.expected_fpr(n, k)}


def _kth(scores, k: int) -> float:
    return float(np.sort(np.asarray(scores, dtype=np.float64))[k - 1])


def _say_calibration(args, c):
    e = c["expected_fpr"]
    if c["alpha_fallback"]:
        _log(args, f"calibration: only {c['n']} held-out good images, too few for alpha {c['alpha_requested']:g} "
                   f"(needs {math.ceil(1 / c['alpha_requested']) - 1}); using the smallest alpha they support, "
                   f"1/(n+1) = {c['alpha']:.4g} (recalibrate with more good images later to tighten it)")
    _log(args, f"calibration: threshold {c['threshold']:.6g} = score {c['k']} of {c['n']} held-out good images; "
               f"expected false-reject rate {e['mean']:.2%} (90 % interval {e['p05']:.2%}-{e['p95']:.2%}; "
               f"{e['formula']})")


def _write_report(out: Path, report: dict) -> Path:
    path = out.with_name(out.stem + ".train-report.json")
    path.write_text(json.dumps(report, indent=2, default=float) + "\n")
    return path


def _pick_groups_balanced(g: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Whole groups, about `fraction` of the images, small groups first (in random order): one large group
    would make the held-out set a single cluster of alike images, which represents the line badly."""
    target = int(round(fraction * len(g)))
    sizes = np.bincount(g)
    cap = max(2, target // 4)
    order = [i for i in rng.permutation(len(sizes)) if sizes[i] > 0]
    chosen: list[int] = []
    for small in (True, False):
        for gid in order:
            if len(chosen) >= target:
                break
            if (sizes[gid] <= cap) == small:
                chosen.extend(np.nonzero(g == gid)[0].tolist())
    return np.sort(np.array(chosen, dtype=int))


def _held_out(args, x, n_files, rng):
    from . import split
    n_cal = int(round(n_files * args.calibration_fraction))
    if args.group_similar:
        cal_idx = split.holdout_groups(x, args.calibration_fraction, rng)
    else:
        cal_idx = np.sort(rng.permutation(len(x))[:n_cal])
    is_cal = np.zeros(len(x), dtype=bool)
    is_cal[cal_idx] = True
    return is_cal


def _check_counts(args, n_files):
    from . import calibrate as cal
    n_cal = int(round(n_files * args.calibration_fraction))
    if args.alpha is not None and n_cal < cal.min_good_images(args.alpha):
        raise UserError(
            f"n={n_cal} held-out good images ({args.calibration_fraction:g} of {n_files}) is too small for "
            f"alpha={args.alpha}: at least {cal.min_good_images(args.alpha)} are needed; add good images or raise "
            f"--alpha or --calibration-fraction")
    if n_cal < 1:
        raise UserError(f"no good image held out for calibration ({args.calibration_fraction:g} of {n_files}); "
                        f"add good images or raise --calibration-fraction")
    if n_files - n_cal < 1:
        raise UserError("no good images left to train on after holding out the calibration set")


def _train_autoencoder(args, budget, why) -> int:
    from . import calibrate as cal
    from . import export, models, preprocess
    from . import heads
    from . import scores as S
    from . import train as T

    args.size = args.size or 128
    args.epochs = args.epochs or 40
    args.latent = args.latent or 16
    args.bottleneck = args.bottleneck or 16
    args.channels = args.channels or 1
    models.check_size(args.arch, args.size)
    if args.score is None:
        # ssim is robust to brightness and contrast; on real parts max-blur ranks darker defective parts
        # below good ones (training/README.md, "Real parts"). The dense baseline keeps max-blur.
        args.score = "ssim" if args.arch == "conv" else "max-blur"
    if args.loss is None:
        # Real cast parts: the same conv network reaches AUROC 0.94 trained on SSIM against 0.75 on MSE
        # (training/README.md, "Real parts"); on our synthetic renderings MSE does better, but they are
        # not what a line photographs. The dense baseline stays the original write-up's (MSE).
        args.loss = "ssim" if args.arch == "conv" else "mse"
    if args.sigma is None:
        args.sigma = S.default_sigma(args.score)
    if not args.sigma > 0:
        raise UserError(f"--sigma must be > 0, got {args.sigma}")
    augmentations = T.parse_augment(args.augment if args.augment is not None
                                    else ("rot90,shift,scale,brightness" if args.arch == "conv" else "none"))
    # conv: repair training measured better on cast parts and synthetic ones (training/README.md);
    # dense stays the original write-up's plain reconstruction.
    if args.corrupt is None:
        args.corrupt = 0.5 if args.arch == "conv" else 0.0
    if args.defect:
        raise UserError("--defect chooses among candidates; with --arch conv or dense there is nothing to choose")
    out, files, device = _start_training(args)
    roi = preprocess.parse_roi(args.roi)
    if roi and args.format == 1:
        raise UserError("--roi needs --format 2: format-1 appliances do not crop")
    x, files = preprocess.load_folder(args.good, args.size, args.size, args.channels, "good", not args.quiet, roi=roi)
    is_cal = _held_out(args, x, len(files), np.random.default_rng(args.seed))
    x_train, x_cal = x[~is_cal], x[is_cal]
    _log(args, f"training {args.arch} {args.channels}x{args.size}x{args.size} on {len(x_train)} good images "
               f"({len(x_cal)} held out for calibration), device {device}, augment {','.join(augmentations) or 'none'}"
               f" (chosen: {why}; budget {budget.seconds:.0f} s)")
    kw = {"width": args.conv_width, "latent": args.latent, "bottleneck": args.bottleneck} if args.arch == "conv" else {}
    model = models.build(args.arch, args.channels, args.size, **kw)
    opt = models.optimizer_for(args.arch, model, args.lr)
    # The budget bounds the whole run: training stops after the epoch that reaches it, keeping ~10 % for the rest.
    deadline = time.perf_counter() + max(1.0, budget.left() - max(5.0, 0.1 * budget.seconds))
    losses = T.fit(model, opt, x_train, args.epochs, args.batch_size, augmentations, args.seed, device,
                   progress=not args.quiet, loss=args.loss, corruption=args.corrupt, deadline=deadline)
    if len(losses) < args.epochs:
        _log(args, f"budget: stopped after {len(losses)} of {args.epochs} epochs (--budget {args.budget})")
    onnx_bytes = export.to_onnx_bytes(model, args.channels, args.size)
    diff = export.parity(model, onnx_bytes, x_cal[: min(8, len(x_cal))])
    if args.format == 2:
        # The score function becomes part of the graph (CONTRACT.md, format 2).
        onnx_bytes = export.attach_head(onnx_bytes, export.head_onnx_bytes(
            heads.ScoreHead(args.score, args.sigma), args.channels, args.size, args.size))
        export.head_parity(onnx_bytes, x_cal[: min(8, len(x_cal))], args.score, args.sigma)
    sess = export.session(onnx_bytes)
    if args.format == 2:
        cal_scores, cal_maps, y_cal = export.detect(sess, x_cal, keep_reconstructions=True,
                                                    progress=not args.quiet, desc="calibrating")
    else:
        y_cal = export.run(sess, x_cal, progress=not args.quiet, desc="calibrating")
        cal_scores = S.score_batch(args.score, x_cal, y_cal, args.sigma)
    c = _calibrate_scores(args, cal_scores)
    thr = c["threshold"]
    meta = base_metadata(args.size, args.size, args.channels, args.score, args.sigma, thr, c["alpha"],
                         len(x_cal), c["median"], args.name or out.stem, args.model_version, args.arch,
                         fmt=args.format)
    if args.format == 2:
        meta["lineside.map.max"] = export.map_max(cal_maps)
    if roi:
        meta["lineside.input.roi"] = ",".join(str(v) for v in roi)
    # For information (ignored by the appliance): the threshold each score function would get
    # from the same held-out images, so `evaluate` can compare them at the same alpha.
    for name in S.SCORES:
        meta[f"lineside.calibration.threshold.{name}"] = _kth(
            S.score_batch(name, x_cal, y_cal, S.sigma_for(name, args.score, args.sigma)), c["k"])
    meta.update({
        "lineside.train.images": len(x_train), "lineside.train.epochs": len(losses),
        "lineside.train.final_loss": float(losses[-1]), "lineside.train.seed": args.seed,
        "lineside.train.augment": ",".join(augmentations) or "none", "lineside.train.loss": args.loss,
        "lineside.train.corrupt": args.corrupt,
        "lineside.train.trainer": f"lineside_train {__version__}",
        "lineside.calibration.alpha_requested": c["alpha_requested"],
        "lineside.calibration.expected_fpr": c["expected_fpr"]["mean"],
    })
    export.save(export.with_metadata(onnx_bytes, meta), out)
    _say_calibration(args, c)
    report = {"chosen": {"method": args.arch, "input": {"width": args.size, "height": args.size,
                                                         "channels": args.channels},
                         "score": args.score, "why": why},
              "candidates": [{"method": args.arch, "input": {"width": args.size, "height": args.size,
                                                             "channels": args.channels},
                              "epochs": len(losses), "final_loss": float(losses[-1]), "chosen": True}],
              "calibration": c, "defect_dir_used": False, "budget_s": budget.seconds,
              "train_images": len(x_train), "model": str(out), "elapsed_s": budget.elapsed()}
    rp = _write_report(out, report)
    _log(args, f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): loss {losses[0]:.5f} -> {losses[-1]:.5f}, "
               f"{args.score} threshold {thr:.6g} (alpha {c['alpha']:.4g}, n {len(x_cal)}, "
               f"calibration median {c['median']:.6g}), ONNX parity {diff:.2g}; report {rp} "
               f"({budget.elapsed():.0f} s)")
    return 0


def _image_channels(files) -> int:
    """3 when the images carry colour (channels that differ), else 1 (gray stored as RGB stays gray)."""
    from PIL import Image
    for f in files[:16]:
        try:
            with Image.open(f) as im:
                if im.mode in ("L", "I", "I;16", "1", "LA"):
                    continue
                im.draft("RGB", (128, 128))
                a = np.asarray(im.convert("RGB").resize((64, 64)), dtype=np.int16)
        except Exception as e:  # noqa: BLE001 - any decoder failure is a bad image
            raise UserError(f"cannot read image {f}: {e}") from e
        if np.abs(a[..., 0] - a[..., 1]).mean() > 2 or np.abs(a[..., 1] - a[..., 2]).mean() > 2:
            return 3
    return 1


def _image_sizes(files):
    from PIL import Image
    sizes = []
    for f in files:
        try:
            with Image.open(f) as im:
                sizes.append(im.size)
        except Exception as e:  # noqa: BLE001 - any decoder failure is a bad image
            raise UserError(f"cannot read image {f}: {e}") from e
    return sizes


def _start_training(args):
    """What every train path does first: the good images (counted), threads, seed, device."""
    import torch

    from . import preprocess, train as T

    files = preprocess.list_images(args.good, "good")
    _check_counts(args, len(files))
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return Path(args.out), files, T.pick_device(args.device)


def _resized(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """Images [N, C, H, W] at input size w x h (area resize); the same array when that is their size."""
    from . import preprocess
    if a.shape[2:] == (h, w):
        return a
    return np.stack([preprocess.resize_area(i.transpose(1, 2, 0), w, h).transpose(2, 0, 1) for i in a]).astype(np.float32)


def _train_disc(args, budget) -> int:
    from tqdm import tqdm

    from . import auto, detectors as D, export, preprocess

    out, files, device = _start_training(args)
    channels = args.channels or _image_channels(files)
    roi = preprocess.parse_roi(args.roi)
    # a multiple of 16 without --size, so the half-size candidate is exactly half (a 2 x 2 pooling in the
    # combined graph is then the area resize it trained on)
    full = (args.size, args.size) if args.size else auto.input_size(
        [(roi[2], roi[3])] if roi else _image_sizes(files), multiple=2 * D.STRIDE)
    sizes = [full]
    if args.size is None:
        half = (full[0] // 2, full[1] // 2)
        if min(half) >= 64:
            sizes.append(half)  # fewer pixels, more training steps in the same time; and a second scale
    for w, h in sizes:
        D.check_input(h, w)
    W, H = full
    x, files = preprocess.load_folder(args.good, W, H, channels, "good", not args.quiet, roi=roi)
    rng = np.random.default_rng(args.seed)
    holdout = "groups of near-copies (--group-similar)" if args.group_similar else "random"
    if args.group_similar:
        is_cal = _held_out(args, x, len(files), rng)
    else:
        # Near-copies (augmented or repeated shots of one part) on both sides of the split make the threshold
        # too low; where the images come in such groups, whole groups are held out. A group of more than half
        # the images says the similarity test does not discriminate here (dark, alike images): random then.
        from . import split
        g = split.groups(x)
        sizes_g = np.bincount(g)
        if sizes_g.max() > 1 and sizes_g.max() <= len(x) // 2:
            is_cal = np.zeros(len(x), dtype=bool)
            is_cal[_pick_groups_balanced(g, args.calibration_fraction, rng)] = True
            holdout = f"groups of near-copies ({int((sizes_g > 1).sum())} groups of 2-{sizes_g.max()} images found)"
        else:
            is_cal = _held_out(args, x, len(files), rng)
    x_train, x_cal = x[~is_cal], x[is_cal]
    if len(x_train) < 1 or len(x_cal) < 1:
        raise UserError(f"cannot hold out calibration images by groups ({len(x_cal)} held out of {len(x)}); "
                        f"add good images or change --calibration-fraction")
    # The criterion: held-out good images, clean and with a synthetic anomaly pasted in at full size
    # (a seed apart from training's); or, with --defect, the real defects given.
    if args.defect:
        x_bad_full, _ = preprocess.load_folder(args.defect, W, H, channels, "defect", not args.quiet, roi=roi)
        source = f"real defect images from --defect {args.defect} (used to choose, never to train)"
    else:
        x_bad_full = auto.synthetic_validation_set(x_cal, args.seed)
        source = "synthetic anomalies pasted into the held-out good images (no model trained on them)"
    # calibration, export, parity, report; and the neighbour reference (features of every training image)
    reserve = max(10.0, (0.12 if args.neighbours else 0.08) * budget.seconds)
    _log(args, f"disc: {len(x_train)} good images to train on, {len(x_cal)} held out ({holdout}); channels {channels}; "
               f"candidates {', '.join(f'disc {w}x{h}' for w, h in sizes)}; criterion: {source}; "
               f"budget {budget.seconds:.0f} s, device {device}")
    structure_floor = D.STRUCTURE_FLOOR if args.structure_floor is None else args.structure_floor
    candidates = []
    for ci, (w, h) in enumerate(sizes):
        xt = _resized(x_train, w, h)
        steps_per_epoch = max(1, math.ceil(len(xt) * (h * w) / (D.CROP * D.CROP) / 16))
        # equal shares of what is left for the candidates still to train (scoring them is in the reserve)
        seconds = max(1.0, (budget.left() - reserve) / (len(sizes) - ci))
        steps = args.epochs * steps_per_epoch if args.epochs else None
        net = D.build(channels, xt)
        bar = None if args.quiet else tqdm(total=round(seconds), unit="s", leave=False,
                                            desc=f"candidate {ci + 1}/{len(sizes)} disc {w}x{h}")
        t0 = time.perf_counter()

        def progress(step, epoch, loss, bar=bar, t0=t0, seconds=seconds):
            if bar is not None and step % 5 == 0:
                el = time.perf_counter() - t0
                bar.n = min(round(el), bar.total)
                bar.set_postfix_str(f"epoch {epoch + 1}, step {step}, loss {loss:.4f}, "
                                    f"{max(0.0, budget.left()):.0f} s left of the budget")
                bar.refresh()
        fitted = D.fit(net, xt, steps=steps, seconds=seconds, seed=args.seed + ci, device=device,
                       progress=progress, steps_per_epoch=steps_per_epoch)
        if bar is not None:
            bar.close()
        det = D.DiscDetector(net)
        norm = det.normalise_on_good(xt, structure_floor=structure_floor)
        sg, _ = D.infer(det, _resized(x_cal, w, h))
        sb, _ = D.infer(det, _resized(x_bad_full, w, h))
        crit = auto.criterion(sg, sb)
        cand = {"method": "disc", "input": {"width": w, "height": h, "channels": channels},
                "train_s": fitted["seconds"], "steps": fitted["steps"],
                "epochs": round(fitted["steps"] / steps_per_epoch, 2), "final_loss": fitted["loss"],
                "map_normalisation": norm, "score": det.score_name, "views": det.views,
                "criterion": crit, "detector": det, "x_cal": _resized(x_cal, w, h), "scores": (sg, sb)}
        candidates.append(cand)
        _log(args, f"candidate {ci + 1}/{len(sizes)} disc {w}x{h}: {fitted['steps']} steps "
                   f"({cand['epochs']} epochs) in {fitted['seconds']:.0f} s, loss {fitted['loss']:.4f}; "
                   f"criterion AUROC {crit['auroc']:.4f}, share above every good score {crit['tpr_at_max_good']:.3f}")
    if len(candidates) == 2:
        # both networks at once: their scores are the mean of the two (what ScalesDetector computes), no new run
        (g0, b0), (g1, b1) = candidates[0]["scores"], candidates[1]["scores"]
        both = D.ScalesDetector([candidates[0]["detector"], candidates[1]["detector"]], [1, 2])
        crit = auto.criterion((g0 + g1) / 2, (b0 + b1) / 2)
        candidates.append({"method": "disc", "input": candidates[0]["input"], "ensemble": True,
                           "scales": [c["input"] for c in candidates],
                           "steps": sum(c["steps"] for c in candidates), "epochs": candidates[0]["epochs"],
                           "final_loss": candidates[0]["final_loss"], "score": both.score_name,
                           "views": both.views, "criterion": crit, "detector": both, "x_cal": candidates[0]["x_cal"]})
        _log(args, f"candidate 3/3 both networks (scales 1 and 1/2, mean of their z-maps): criterion AUROC "
                   f"{crit['auroc']:.4f}, share above every good score {crit['tpr_at_max_good']:.3f}")
    best = auto.choose(candidates)
    why = (f"{'both networks, within ' + str(auto.ENSEMBLE_TOLERANCE) + ' of the highest' if best.get('ensemble') else 'highest'} "
           f"AUROC on {source}: {best['criterion']['auroc']:.4f}" if len(candidates) > 1
           else "the only candidate (" + ("--size given" if args.size else "one size") + ")")
    best["chosen"] = True
    w, h = best["input"]["width"], best["input"]["height"]
    _log(args, f"chosen: disc {w}x{h}{' + ' + str(w // 2) + 'x' + str(h // 2) if best.get('ensemble') else ''} ({why})")
    det, xc = best["detector"], best["x_cal"]
    reference = None
    if args.neighbours:
        t0 = time.perf_counter()
        det = D.NeighbourDetector(det, bank_size=args.neighbours)
        reference = det.fit_reference(_resized(x_train, w, h), seed=args.seed)
        sg, _ = D.infer(det, xc)
        sb, _ = D.infer(det, _resized(x_bad_full, w, h))
        reference["criterion"] = auto.criterion(sg, sb)
        reference["seconds"] = round(time.perf_counter() - t0, 1)
        best["neighbours"] = reference
        _log(args, f"neighbour reference: {reference['bank_cells']} cells of {reference['images']} training images "
                   f"(features {reference['feature_grid'][1]}x{reference['feature_grid'][0]}), combined with the disc "
                   f"map ({det.score_name}); criterion AUROC {reference['criterion']['auroc']:.4f} "
                   f"(disc alone {best['criterion']['auroc']:.4f}; not used to choose: the synthetic anomalies are "
                   f"what disc trained on), {reference['seconds']:.0f} s")
    onnx_bytes = export.detector_to_onnx_bytes(det, channels, h, w)
    diff = export.detector_parity(det, onnx_bytes, xc[: min(4, len(xc))],
                                  floor=1.0 if "zmax" in det.score_name else 1e-12)
    cal_scores, cal_maps, _ = export.detect(export.session(onnx_bytes), xc, progress=not args.quiet,
                                            desc="calibrating")
    c = _calibrate_scores(args, cal_scores)
    meta = base_metadata(w, h, channels, det.score_name, 1.0, c["threshold"], c["alpha"], c["n"], c["median"],
                         args.name or out.stem, args.model_version, "disc", fmt=2)
    meta.update({
        "lineside.map.max": max(export.map_max(cal_maps), 1e-6),
        "lineside.score.views": det.views,
        "lineside.score.scales": ",".join(str(f) for f in getattr(det, "factors", [1])),
        "lineside.score.neighbours": reference["bank_cells"] if reference else 0,
        "lineside.score.structure_floor": structure_floor,
        "lineside.calibration.alpha_requested": c["alpha_requested"],
        "lineside.calibration.expected_fpr": c["expected_fpr"]["mean"],
        "lineside.train.images": len(x_train), "lineside.train.steps": best["steps"],
        "lineside.train.epochs": best["epochs"], "lineside.train.final_loss": best["final_loss"],
        "lineside.train.seed": args.seed, "lineside.train.trainer": f"lineside_train {__version__}",
    })
    if roi:
        meta["lineside.input.roi"] = ",".join(str(v) for v in roi)
    export.save(export.with_metadata(onnx_bytes, meta), out)
    _say_calibration(args, c)
    for cd in candidates:
        cd.pop("detector"), cd.pop("x_cal"), cd.pop("scores", None)
        cd.setdefault("chosen", False)
    report = {"chosen": {"method": "disc", "input": best["input"], "why": why, "score": det.score_name,
                         "neighbours": reference},
              "criterion_source": source, "candidates": candidates, "calibration": dict(c, holdout=holdout),
              "defect_dir_used": bool(args.defect), "defect_dir": args.defect, "budget_s": budget.seconds,
              "train_images": len(x_train), "parity": diff, "model": str(out), "elapsed_s": budget.elapsed()}
    rp = _write_report(out, report)
    _log(args, f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): disc {channels}x{h}x{w}, threshold "
               f"{c['threshold']:.6g} (alpha {c['alpha']:.4g}, n {c['n']}), ONNX parity {diff:.2g}; report {rp} "
               f"({budget.elapsed():.0f} s of {budget.seconds:.0f} s)")
    return 0


def base_metadata(width, height, channels, score, sigma, thr, alpha, n, median, name, version, arch=None,
                  fmt: int = 1) -> dict:
    meta = {
        "lineside.format": fmt,
        "lineside.input.width": width, "lineside.input.height": height, "lineside.input.channels": channels,
        "lineside.input.resize": "area",
        "lineside.score": score, "lineside.score.sigma": float(sigma),
        "lineside.threshold": float(thr),
        "lineside.calibration.alpha": float(alpha), "lineside.calibration.n": int(n),
        "lineside.calibration.median": float(median),
        "lineside.model.name": name, "lineside.model.version": version,
    }
    if arch:
        meta["lineside.model.arch"] = arch
    return meta


def cmd_calibrate(args) -> int:
    from . import calibrate as cal
    from . import export, preprocess
    from . import scores as S

    m = export.LoadedModel(args.model)
    if (args.score is not None or args.sigma is not None) and not m.has_reconstruction:
        raise UserError(f"{args.model} computes its own score in the graph and has no reconstruction: "
                        f"--score and --sigma cannot change it")
    score = args.score or m.score
    if args.sigma is not None:
        sigma = args.sigma
    else:  # sigma means something else for another score function (window vs blur)
        sigma = m.sigma if score == m.score else S.default_sigma(score)
    if not sigma > 0:
        raise UserError(f"--sigma must be > 0, got {sigma}")
    files = preprocess.list_images(args.good, "good")
    need = cal.min_good_images(args.alpha)
    if len(files) < need:
        raise UserError(f"n={len(files)} good images is too small for alpha={args.alpha}: "
                        f"at least {need} are needed (add images or raise --alpha)")
    x, _ = preprocess.load_folder(args.good, m.width, m.height, m.channels, "good", not args.quiet, roi=m.roi)
    source = None
    if m.format == 2 and (score != m.score or sigma != m.sigma):
        # A format-2 autoencoder changes its score function by changing the head of its graph.
        source = export.rehead(m.path.read_bytes(), score, sigma, m.channels, m.height, m.width)
        export.head_parity(source, x[: min(8, len(x))], score, sigma)
        m = export.LoadedModel.from_bytes(source, m.path)
    s, maps, y = m.infer(x, keep_reconstructions=m.has_reconstruction, progress=not args.quiet, desc="calibrating")
    thr = cal.threshold(s, args.alpha)
    old = m.threshold
    meta = {"lineside.threshold": thr,
            "lineside.calibration.alpha": float(args.alpha), "lineside.calibration.n": len(x),
            "lineside.calibration.median": float(np.median(s))}
    if m.has_reconstruction:
        meta.update({"lineside.score": score, "lineside.score.sigma": float(sigma)})
        for name in S.SCORES:  # information: every score function's threshold from the same images
            meta[f"lineside.calibration.threshold.{name}"] = cal.threshold(
                S.score_batch(name, x, y, S.sigma_for(name, score, sigma)), args.alpha)
    if m.format == 2:
        meta["lineside.map.max"] = export.map_max(maps)
    m.rewrite(meta, args.out, source)
    print(f"wrote {args.out}: {score} threshold {thr:.6g} (was {old if old is None else f'{old:.6g}'}), "
          f"alpha {args.alpha}, n {len(x)}, median {np.median(s):.6g}", file=sys.stderr)
    return 0


def cmd_upgrade(args) -> int:
    """Format 1 -> format 2: the same network, its score function appended to the graph."""
    from . import export, preprocess

    m = export.LoadedModel(args.model)
    if m.format != 1:
        raise UserError(f"{args.model} is already format {m.format}")
    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name such as model.onnx")
    onnx_bytes = export.rehead(m.path.read_bytes(), m.score, m.sigma, m.channels, m.height, m.width)
    meta = {"lineside.format": 2}
    if args.good:
        x, _ = preprocess.load_folder(args.good, m.width, m.height, m.channels, "good", not args.quiet, roi=m.roi)
        export.head_parity(onnx_bytes, x[: min(8, len(x))], m.score, m.sigma)
        _, maps, _ = export.detect(export.session(onnx_bytes), x)
        meta["lineside.map.max"] = export.map_max(maps)
    m.rewrite(meta, out, onnx_bytes)
    print(f"wrote {out}: format 2, {m.score} in the graph, threshold {m.threshold} kept"
          + (f", map max {meta['lineside.map.max']:.6g} from {args.good}" if args.good else ""), file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from . import evaluate as E
    from . import export, preprocess
    from . import quality as Q
    from . import scores as S

    m = export.LoadedModel(args.model)
    report_dir = Path(args.report)
    if report_dir.exists() and not report_dir.is_dir():
        raise UserError(f"--report {report_dir} exists and is not a directory")
    xg, fg = preprocess.load_folder(args.good, m.width, m.height, m.channels, "good", not args.quiet, roi=m.roi)
    xd, fd = preprocess.load_folder(args.defect, m.width, m.height, m.channels, "defect", not args.quiet,
                                    recursive=True, roi=m.roi)
    sg, mg, yg = m.infer(xg, keep_reconstructions=m.has_reconstruction, progress=not args.quiet)
    sd, md, yd = m.infer(xd, keep_reconstructions=m.has_reconstruction, progress=not args.quiet)
    rep = {"model": str(m.path), "model_name": m.meta.get("lineside.model.name"),
           "model_version": m.meta.get("lineside.model.version"), "arch": m.meta.get("lineside.model.arch"),
           "score": m.score, "sigma": m.sigma,
           "calibration": {"alpha": _f(m.meta.get("lineside.calibration.alpha")),
                           "n": _f(m.meta.get("lineside.calibration.n")),
                           "median": _f(m.meta.get("lineside.calibration.median"))}}
    fig = E.figures(sg, sd, m.threshold)
    rep.update(fig)
    if m.threshold is None:
        rep.update({"threshold": None, "fpr": None, "tpr": None, "f1": None})
    # Threshold-free figures of every score function, for comparison (same reconstructions; the
    # model's sigma for its own score, each other score's default sigma). Only for autoencoders.
    rep["by_score"] = {}
    for name in S.SCORES if m.has_reconstruction else ():
        sn = S.sigma_for(name, m.score, m.sigma)
        a, b = S.score_batch(name, xg, yg, sn), S.score_batch(name, xd, yd, sn)
        rep["by_score"][name] = {"auroc": E.auroc(a, b), "average_precision": E.average_precision(a, b)}
        t = m.meta.get(f"lineside.calibration.threshold.{name}")
        if name == m.score and m.threshold is not None:
            t = m.threshold
        if t is not None:
            at = E.at_threshold(a, b, float(t))
            rep["by_score"][name].update({"threshold": at["threshold"], "fpr": at["fpr"], "tpr": at["tpr"]})
    masks = None
    rep["pixel_auroc"] = None
    if args.masks:
        found = Q.find_masks(fd, args.masks)
        masks = [None if f is None else Q.load_mask(f, m.width, m.height) for f in found]
        rep["masks"] = {"folder": str(args.masks), "found": sum(f is not None for f in found), "of": len(fd)}
        rep["pixel_auroc"] = Q.pixel_auroc(Q.upsample(mg, m.width, m.height), Q.upsample(md, m.width, m.height), masks)
    if args.equalise_brightness:
        mean = float(xg.mean())
        std = float(xg.reshape(len(xg), -1).std(axis=1).mean())
        eg, _, _ = m.infer(Q.equalise_brightness(xg, mean, std), keep_maps=False, progress=not args.quiet)
        ed, _, _ = m.infer(Q.equalise_brightness(xd, mean, std), keep_maps=False, progress=not args.quiet)
        rep["equalised"] = {"auroc": E.auroc(eg, ed), "average_precision": E.average_precision(eg, ed),
                            "mean": mean, "std": std}
    rep["images"] = ([{"file": str(f), "label": "good", "score": float(v)} for f, v in zip(fg, sg)] +
                     [{"file": str(f), "label": "defect", "score": float(v)} for f, v in zip(fd, sd)])
    report_dir.mkdir(parents=True, exist_ok=True)
    title = f"{rep['model_name']} ({rep['arch'] or '?'}): AUROC {fig['auroc']:.4f}"
    if m.threshold is not None:
        title += f", FPR {fig['fpr']:.3f}, TPR {fig['tpr']:.3f}"
    E.plot_scores(sg, sd, m.threshold, m.score, report_dir / "scores.png", title)
    rep["plots"] = ["scores.png", "residuals.png"]
    if m.has_reconstruction:
        E.plot_reconstructions(xg, yg, xd, yd, report_dir / "reconstructions.png")
        rep["plots"].insert(1, "reconstructions.png")
    ig, id_ = E._pick(len(xg), 4), E._pick(len(xd), 4)  # the same parts as in the grid above
    E.plot_residuals(xg[ig], mg[ig, 0], sg[ig], xd[id_], md[id_, 0], sd[id_], m.threshold,
                     report_dir / "residuals.png", map_label=_map_label(m),
                     masks=None if masks is None else [masks[i] for i in id_])
    p = E.write_report(rep, report_dir)
    line = f"{m.score}: AUROC {fig['auroc']:.4f}, AP {fig['average_precision']:.4f}"
    if rep["pixel_auroc"] is not None:
        line += f", pixel AUROC {rep['pixel_auroc']:.4f} ({rep['masks']['found']} masks)"
    if "equalised" in rep:
        line += f", brightness-equalised AUROC {rep['equalised']['auroc']:.4f}"
    if m.threshold is not None:
        line += f", threshold {m.threshold:.6g}: FPR {fig['fpr']:.4f}, TPR {fig['tpr']:.4f}, F1 {fig['f1']:.4f}"
    print(f"{line} (n_good {len(xg)}, n_defect {len(xd)}); report {p}")
    return 0


def cmd_bench_quality(args) -> int:
    import datetime
    import shlex

    from . import quality as Q

    only = [v for v in args.sets.split(",") if v] if args.sets else None
    rows = Q.bench_quality(args.datasets, args.work, args.budget, shlex.split(args.train_args), only, args.quiet)
    if not rows:
        raise UserError(f"no data set under {args.datasets} has train/good and test/good + test/defect")
    print(f"bench-quality, {datetime.date.today().isoformat()}, datasets {args.datasets}"
          + (f", train args {args.train_args!r}" if args.train_args else "")
          + (f", budget {args.budget}" if args.budget else "") + ":\n")
    print(Q.markdown_table(rows))
    return 0


def _map_label(m) -> str:
    from .scores import SCORES
    if m.score not in SCORES:
        return f"anomaly map ({m.score})"
    return "1 - SSIM" if m.score == "ssim" else "residual |y - x| (blurred)"


def _f(v):
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return v


def cmd_synth(args) -> int:
    from . import synth

    if args.size < 32 or args.size > 4096:
        raise UserError(f"impossible size {args.size}: --size must be between 32 and 4096 pixels")
    if args.good + args.defect == 0:
        raise UserError("nothing to draw: --good and --defect are both 0")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    synth.write_set(out, args.good, args.defect, args.size, args.seed, progress=not args.quiet)
    print(f"wrote {args.good} good and {args.defect} defective parts to {out}/good and {out}/defect")
    return 0
