"""Discriminative detectors trained on synthetic anomalies (the discriminative half of DRAEM, Zavrtanik
et al. 2021), fully convolutional, trained on random crops and run on the whole image at the model's
input size, exported as format 2: image -> (score [N], anomaly_map [N, 1, H/8, W/8]).

`disc`: a small fully convolutional network (stride-2 stages to 1/8, dilated convolutions for context)
predicts, per 8 x 8 cell, the probability that it belongs to a pasted anomaly (anomalies.py). That
probability, averaged over three views of the image (as it is, mirrored left-right, mirrored
top-bottom), is the raw map. After training, the raw maps of the training images give each cell its mean
and spread on good parts; the exported map is max(0, (p - mean) / spread), so a cell that is always busy
on good parts (an edge, a bore, the border of a fixtured part) no longer sets the score; the score is that
map's maximum ("disc-zmax"); by default that map is also weighted per cell by how much structure the good
images show there, from 0.5 on plain background to 1 ("disc-wzmax", structure_weight_map). Measured on the
same trained networks (training/README.md), image AUROC single view, raw -> normalised -> three views:
tiles 0.763 -> 0.832 -> 0.844, tyre 0.494 -> 0.561 -> 0.717, screws 0.523 -> 0.578 -> 0.565. Smoothing the
map over 3 x 3 cells first measured worse on the screws and the tyres: small defects cover one or two cells.
`train` trains two such networks by default, one at the input size and one at half of it, and exports
both in one graph when the criterion allows (ScalesDetector, "disc-zmax-scales"): one network's AUROC
on real parts moves by up to 0.1 with its seed, and the mean of two is steadier.
With --neighbours N, `train` adds a location-free reference on top of whichever is chosen
(NeighbourDetector, "disc-zmax-knn"): how far each cell's features are from the nearest of a bank of good
parts' cells. Not the default: measured neutral on average (training/README.md).
Training sees crops (cheap on a CPU, and the fine structure survives: no squeezing to 128 px); the
input is normalised by the training images' mean and spread (constants in the graph), and every crop
gets a random gain and offset, so global brightness is not a cue.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import anomalies as A
from .errors import UserError

STRIDE = 8
CROP = 128


def _cbr(i, o, stride=1, dilation=1):
    return nn.Sequential(nn.Conv2d(i, o, 3, stride, dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class DiscNet(nn.Module):
    """image [N, C, H, W] in [0, 1] -> anomaly logits [N, 1, H/8, W/8]."""

    def __init__(self, channels: int, width: int = 16, mean=None, std=None):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean if mean is not None else [0.5] * channels,
                                                     dtype=torch.float32).view(1, channels, 1, 1))
        self.register_buffer("std", torch.as_tensor(std if std is not None else [0.25] * channels,
                                                    dtype=torch.float32).view(1, channels, 1, 1))
        w = width
        self.body = nn.Sequential(
            _cbr(channels, w, 2),
            _cbr(w, 2 * w, 2), _cbr(2 * w, 2 * w),
            _cbr(2 * w, 4 * w, 2), _cbr(4 * w, 4 * w, dilation=2), _cbr(4 * w, 4 * w, dilation=4))
        self.head = nn.Conv2d(4 * w, 1, 1)

    def forward(self, x):
        return self.head(self.body((x - self.mean) / self.std))


VIEWS = 3
# The normalised map is weighted per cell by how much structure the good parts show there, from this floor
# (plain background) to 1 (the busiest tenth of the cells): see structure_weight_map. 1 = no weighting.
STRUCTURE_FLOOR = 0.5


def cell_contrast(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [N, 1, H/8, W/8]: the grey level's standard deviation inside each 8 x 8 cell (the map's
    grid): how much structure a cell shows."""
    g = x.mean(1, keepdim=True)
    m = F.avg_pool2d(g, STRIDE)
    return (F.avg_pool2d(g * g, STRIDE) - m * m).clamp_min(0).sqrt()


def structure_weight_map(x_good: np.ndarray, floor: float = STRUCTURE_FLOOR) -> np.ndarray:
    """Per-cell weight [h, w] (the map's 1/8 grid) from the good images [N, C, H, W]: the grey level's standard
    deviation inside each 8 x 8 cell, averaged over the images, divided by its 90th percentile over the cells
    and clipped at 1; then floor + (1 - floor) x that. Why: on parts on a plain background the good parts'
    false alarms are specks on the background (dust on the screws' table, sensor noise in the tyres' dark
    surround: training/README.md); a cell where good parts show only plain background gets its evidence
    weighed down, at most to `floor` (a defect there still counts: at 0.5, half). Textures, busy everywhere,
    keep weights near 1. Measured on the maps of two 20-minute runs each (image AUROC without -> with, floor 0.5):
    tiles 0.860 -> 0.870 and 0.852 -> 0.859, screws 0.609 -> 0.629 and 0.642 -> 0.646, tyre 0.744 -> 0.755 and
    0.689 -> 0.733; on a third run's networks, paired (bench/structure_ablation.py): tiles 0.874 -> 0.885,
    screws 0.594 -> 0.618, tyre 0.642 -> 0.691."""
    if not 0 <= floor <= 1:
        raise ValueError(f"the structure floor must be in [0, 1], got {floor}")
    x = torch.from_numpy(np.ascontiguousarray(x_good, dtype=np.float32))
    sd = cell_contrast(x).mean(0)[0].numpy().astype(np.float64)
    q = float(np.quantile(sd, 0.9))
    rel = np.clip(sd / q, 0, 1) if q > 1e-6 else np.ones_like(sd)  # plain everywhere: nothing to weigh
    return floor + (1 - floor) * rel


class DiscDetector(nn.Module):
    """The exported graph: image -> (score [N], anomaly_map [N, 1, h, w]).

    The network sees `views` views of the image (as it is, mirrored left-right, mirrored top-bottom; one
    batch) and the probabilities, mirrored back, are averaged: a good part's map is less noisy, a defect is
    hot in every view. Without a normalisation the map is that probability ("disc-max"); with one
    (normalise_on_good) it is max(0, (p - mean) / spread) per cell ("disc-zmax"), so score and threshold
    stay >= 0 as the contract asks. The score is the map's maximum either way."""

    def __init__(self, net: DiscNet, views: int = VIEWS):
        super().__init__()
        if views not in (1, 2, 3):
            raise ValueError(f"views must be 1, 2 or 3, not {views}")
        self.net = net
        self.views = views
        self.map_mean: torch.Tensor | None = None
        self.map_spread: torch.Tensor | None = None
        self.cell_weight: torch.Tensor | None = None
        self.good_scores: np.ndarray | None = None

    def probability(self, x):
        """The network's anomaly probability per cell, averaged over the views."""
        n = x.shape[0]
        xs = [x, x.flip(3), x.flip(2)][: self.views]
        p = torch.sigmoid(self.net(torch.cat(xs, 0) if self.views > 1 else x))
        m = p[:n]
        if self.views > 1:
            m = m + p[n:2 * n].flip(3)
        if self.views > 2:
            m = m + p[2 * n:].flip(2)
        return m / self.views

    @property
    def score_name(self) -> str:
        if self.map_mean is None:
            return "disc-max"
        return "disc-zmax" if self.cell_weight is None else "disc-wzmax"

    def normalise_on_good(self, x_good: np.ndarray, batch_size: int = 4,
                          structure_floor: float = STRUCTURE_FLOOR) -> dict:
        """Per-cell mean and spread of the raw map over good images (the training images: the held-out ones
        stay for the threshold). The spread gets a floor of a tenth of its median (at least 0.01), so a cell
        that never moves on good parts cannot blow up on noise. With structure_floor < 1 the normalised map
        is also weighted per cell by the good images' structure there (structure_weight_map). Returns a
        summary for the report."""
        self.map_mean = self.map_spread = self.cell_weight = self.good_scores = None
        _, maps = infer(self, x_good, batch_size)
        weight = structure_weight_map(x_good, structure_floor) if structure_floor < 1 else None
        mean = maps.mean(0, keepdims=True)
        sd = maps.std(0, keepdims=True)
        floor = max(0.1 * float(np.median(sd)), 0.01)  # absolute floor: float32 noise stays far below 1e-4 spreads
        self.map_mean = torch.from_numpy(mean.astype(np.float32))
        self.map_spread = torch.from_numpy((sd + floor).astype(np.float32))
        if weight is not None:
            self.cell_weight = torch.from_numpy(weight.reshape(mean.shape).astype(np.float32))
        # each image's score against the statistics of the others (leave one out, exact): what an image the
        # normalisation never saw scores; NeighbourDetector standardises by these, without running them again
        n = len(maps)
        if n > 1:
            m64 = maps.astype(np.float64)
            mu = m64.mean(0, keepdims=True)
            mean_o = (n * mu - m64) / (n - 1)
            var_o = np.maximum((n * (m64.var(0, keepdims=True) + mu ** 2) - m64 ** 2) / (n - 1) - mean_o ** 2, 0)
            z = np.maximum(0, (m64 - mean_o) / (np.sqrt(var_o) + floor))
            if weight is not None:
                z = z * weight.reshape(mean.shape)
            self.good_scores = z.reshape(n, -1).max(1)
        summary = {"images": int(len(x_good)), "spread_floor": floor,
                   "spread_median": float(np.median(sd)), "mean_median": float(np.median(mean))}
        if weight is not None:
            summary["structure_weight"] = {"floor": structure_floor, "median": float(np.median(weight)),
                                           "share_below_1": float((weight < 1).mean())}
        return summary

    def forward(self, x):
        m = self.probability(x)
        if self.map_mean is not None:
            m = torch.relu((m - self.map_mean) / self.map_spread)  # below the good mean says nothing
            if self.cell_weight is not None:
                m = m * self.cell_weight
        return m.flatten(1).amax(1), m


class ScalesDetector(nn.Module):
    """Two or more normalised DiscDetectors at scales 1, 2, ... of one input, combined: the image is
    average-pooled by each factor (at exact multiples this is the area resize the network trained on), each
    network's z-map is brought back to the finest grid (nearest), and the exported map is their mean, the
    score the mean of their maxima ("disc-zmax-scales"). Both are in units of the good parts' spread, like
    disc-zmax. Why: one trained network's AUROC on real parts moves by up to 0.1 with the seed (a screw net
    0.630 against 0.528, a tyre net 0.691 against 0.597), which the synthetic criterion cannot see; the mean
    of two networks at two scales is steadier and catches small and large defects (training/README.md)."""

    def __init__(self, detectors: list[DiscDetector], factors: list[int]):
        super().__init__()
        if len(detectors) != len(factors) or len(detectors) < 2:
            raise ValueError("give two or more detectors, one factor each")
        if factors[0] != 1 or any(f < 1 for f in factors):
            raise ValueError(f"factors must start at 1 and be whole, got {factors}")
        if any(d.map_mean is None for d in detectors):
            raise ValueError("every detector must be normalised on good images first (normalise_on_good)")
        self.detectors = nn.ModuleList(detectors)
        self.factors = list(factors)
        self.views = detectors[0].views
        self.score_name = detectors[0].score_name + "-scales"

    @property
    def good_scores(self) -> np.ndarray:
        """The training images' scores (each network's, from normalise_on_good, averaged as forward does)."""
        return np.mean([d.good_scores for d in self.detectors], 0)

    def check_input(self, height: int, width: int) -> None:
        step = STRIDE * max(self.factors)
        if height % step or width % step:
            raise UserError(f"scales {self.factors} need an input that is a multiple of {step} px a side; "
                            f"got {width}x{height}")

    def forward(self, x):
        scores, maps = [], []
        for det, f in zip(self.detectors, self.factors):
            s, m = det(F.avg_pool2d(x, f) if f > 1 else x)
            scores.append(s)
            maps.append(F.interpolate(m, scale_factor=f, mode="nearest") if f > 1 else m)
        return torch.stack(scores, 0).mean(0), torch.stack(maps, 0).mean(0)


class NeighbourDetector(nn.Module):
    """A trained disc detector (DiscDetector or ScalesDetector) plus a location-free reference: the nearest
    neighbour of each cell's features among good parts' cells ("disc-zmax-knn").

    The features are the coarsest network's last stage (64 channels, before its head; for a ScalesDetector
    the half-size network on the pooled image), each cell's vector scaled to unit length. A bank of
    `bank_size` cells sampled from the training images is a constant of the graph; a cell's distance is
    1 - max cos to the bank (one 1 x 1 convolution and a max). Why: the disc map is normalised per
    cell, which only means something for parts that sit in the same place; for parts in random poses (a
    screw on a table) and for textures the question is "has a good part shown this anywhere", which a
    nearest neighbour answers. The two are combined in units of the good images' spread of each score
    (mean and standard deviation over the training images; for the neighbour score each image is compared
    to a bank without its own cells): score = the mean of the two standardised scores, map = the mean of the
    two standardised maps on the finer grid (the coarser one repeated), clipped at 0.
    Measured on the networks of a 20-minute bench-quality run, paired (bench/neighbour_ablation.py; image AUROC
    disc alone -> both): tyre 0.703 -> 0.736, screws 0.648 -> 0.615, tiles 0.852 -> 0.843; so it is an option
    (train --neighbours 4096), not the default."""

    def __init__(self, base: nn.Module, bank_size: int = 4096):
        super().__init__()
        if isinstance(base, ScalesDetector):
            self.net, self.factor = base.detectors[-1].net, base.factors[-1]
        elif isinstance(base, DiscDetector) and base.map_mean is not None:
            self.net, self.factor = base.net, 1
        else:
            raise ValueError("give a disc detector normalised on good images (normalise_on_good) or a ScalesDetector")
        self.base = base
        self.bank_size = bank_size
        self.views = base.views
        self.factors = list(getattr(base, "factors", [1]))
        self.score_name = base.score_name + "-knn"
        self.bank: torch.Tensor | None = None  # [K, D, 1, 1]
        self.stats: torch.Tensor | None = None  # disc mean, disc sd, neighbour mean, neighbour sd

    def features(self, x):
        if self.factor > 1:
            x = F.avg_pool2d(x, self.factor)
        f = self.net.body((x - self.net.mean) / self.net.std)
        return f / f.norm(dim=1, keepdim=True).clamp_min(1e-6)

    def distance(self, f, bank):
        # 1 - the best cosine to any good cell (half the squared distance of unit vectors; no square root,
        # whose slope at 0 would turn float rounding into visible differences between PyTorch and the graph)
        return 1 - F.conv2d(f, bank).amax(1, keepdim=True)

    @torch.no_grad()
    def fit_reference(self, x_good: np.ndarray, seed: int = 0, batch_size: int = 4) -> dict:
        """Samples the bank from x_good and measures both scores' mean and spread on x_good (each image
        against the bank without its own cells). Returns a summary for the report."""
        self.cpu().eval()
        feats = torch.cat([self.features(torch.from_numpy(np.ascontiguousarray(x_good[b:b + batch_size])))
                           for b in range(0, len(x_good), batch_size)])
        n, d, h, w = feats.shape
        cells = feats.permute(0, 2, 3, 1).reshape(-1, d)
        owner = torch.arange(n).repeat_interleave(h * w)
        gen = torch.Generator().manual_seed(seed)
        pick = torch.randperm(len(cells), generator=gen)[: self.bank_size]
        bank, bank_owner = cells[pick], owner[pick]
        nn_scores = []
        for i in range(n):
            keep = bank[bank_owner != i]
            nn_scores.append(float(self.distance(feats[i:i + 1], keep[:, :, None, None]).amax()))
        self.bank = bank[:, :, None, None].contiguous()
        disc_scores = getattr(self.base, "good_scores", None)
        if disc_scores is None or len(disc_scores) != n:
            disc_scores, _ = infer(self.base, x_good, batch_size)
        ns = np.asarray(nn_scores)
        # spreads with floors: good parts that all score alike must not turn rounding into spreads
        self.stats = torch.tensor([disc_scores.mean(), max(disc_scores.std(), 0.1),
                                   ns.mean(), max(ns.std(), 0.01)], dtype=torch.float32)
        return {"bank_cells": int(len(bank)), "images": int(n), "feature_grid": [int(h), int(w)],
                "disc_score_mean": float(self.stats[0]), "disc_score_sd": float(self.stats[1]),
                "neighbour_score_mean": float(self.stats[2]), "neighbour_score_sd": float(self.stats[3])}

    def forward(self, x):
        if self.bank is None:
            raise RuntimeError("fit_reference first")
        s_disc, m_disc = self.base(x)
        dist = self.distance(self.features(x), self.bank)
        a, b, c, d = self.stats[0], self.stats[1], self.stats[2], self.stats[3]
        score = ((s_disc - a) / b + (dist.flatten(1).amax(1) - c) / d) / 2
        m_nn = (dist - c) / d
        if self.factor > 1:  # the features come from the pooled image: their grid is coarser by that factor
            m_nn = F.interpolate(m_nn, scale_factor=self.factor, mode="nearest")
        # score and threshold must stay >= 0 (the contract): a good image scores about 0 here, so shift by 2
        # spreads; the map likewise, clipped at 0
        return torch.relu(score + 2), torch.relu(((m_disc - a) / b + m_nn) / 2 + 2)


def _focal(logit, target, gamma=2.0):
    p = torch.sigmoid(logit)
    ce = F.binary_cross_entropy_with_logits(logit, target, reduction="none")
    pt = p * target + (1 - p) * (1 - target)
    return (ce * (1 - pt) ** gamma).mean()


def structure_weights(x: torch.Tensor, crop: int) -> torch.Tensor | None:
    """Sampling weight of each crop position (1/8 grid): half uniform, half by local contrast, so parts on a
    plain background are trained on the part, not mostly on the background."""
    n, c, h, w = x.shape
    if h < crop or w < crop:
        return None
    sd = F.avg_pool2d(cell_contrast(x), crop // STRIDE, 1)
    sd = sd / sd.flatten(1).mean(1).view(-1, 1, 1, 1).clamp_min(1e-6)
    return (0.5 + 0.5 * sd)[:, 0]


def make_batch(x: torch.Tensor, n: int, crop: int, gen: torch.Generator, weights=None, p_anomaly: float = 0.7,
               kinds=A.KINDS):
    """n training crops with synthetic anomalies -> (crops [n, C, c, c], targets [n, 1, c, c])."""
    N, C, H, W = x.shape
    ch, cw = min(crop, H), min(crop, W)
    out = []
    for i in torch.randint(0, N, (n,), generator=gen).tolist():
        if weights is not None:
            e = weights[i]
            j = int(torch.multinomial(e.flatten(), 1, generator=gen))
            ey, ex = divmod(j, e.shape[1])
            y0 = min(H - ch, ey * STRIDE + A._i(gen, 0, STRIDE))
            x0 = min(W - cw, ex * STRIDE + A._i(gen, 0, STRIDE))
        else:
            y0, x0 = A._i(gen, 0, H - ch + 1), A._i(gen, 0, W - cw + 1)
        c = x[i, :, y0:y0 + ch, x0:x0 + cw]
        if ch == cw:
            c = torch.rot90(c, A._i(gen, 0, 4), (1, 2))
        if A._u(gen, 0, 1) < 0.5:
            c = c.flip(2)
        c = (c * A._u(gen, 0.75, 1.3) + A._u(gen, -0.05, 0.05)).clamp(0, 1)  # brightness is not a cue
        out.append(c)
    xs = torch.stack(out)
    ts = torch.zeros(n, 1, ch, cw)
    for j in range(n):
        if A._u(gen, 0, 1) < p_anomaly:
            xs[j], _, ts[j, 0] = A.paste(xs[j], xs, gen, kinds)
    return xs, ts


def build(channels: int, x_train: np.ndarray, width: int = 16) -> DiscNet:
    mean = x_train.mean(axis=(0, 2, 3))
    std = np.maximum(x_train.std(axis=(0, 2, 3)), 0.02)
    return DiscNet(channels, width, mean, std)


def check_input(height: int, width: int) -> None:
    if height < 32 or width < 32 or height % STRIDE or width % STRIDE:
        raise UserError(f"disc needs an input of at least 32 px a side, a multiple of {STRIDE}; got {width}x{height}")


def fit(net: DiscNet, x_train: np.ndarray, *, steps: int | None = None, seconds: float | None = None,
        batch_size: int = 16, lr: float = 2e-3, seed: int = 0, device=None, crop: int = CROP,
        progress=None, steps_per_epoch: int | None = None) -> dict:
    """Train until `steps` steps or `seconds` seconds (whichever comes first; at least one step).
    progress(step, epoch, loss) is called every step. Returns {"steps", "seconds", "loss"}."""
    if steps is None and seconds is None:
        raise ValueError("give steps or seconds")
    device = device or torch.device("cpu")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x = torch.from_numpy(np.ascontiguousarray(x_train, dtype=np.float32))
    weights = structure_weights(x, crop)
    net.to(device).train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    t0 = time.perf_counter()
    step, losses = 0, []
    spe = steps_per_epoch or 1
    while True:
        done = step / steps if steps else 0.0
        if seconds:
            done = max(done, (time.perf_counter() - t0) / seconds)
        if step > 0 and done >= 1:
            break
        for g in opt.param_groups:  # cosine decay over the steps or the time, whichever ends first
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
        xb, tb = make_batch(x, batch_size, crop, gen, weights)
        xb, tb = xb.to(device), tb.to(device)
        loss = _focal(net(xb), F.max_pool2d(tb, STRIDE))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            raise RuntimeError(f"training diverged at step {step + 1} (loss {losses[-1]})")
        step += 1
        if progress:
            progress(step, step // spe, float(np.mean(losses[-20:])))
    net.cpu().eval()
    return {"steps": step, "seconds": time.perf_counter() - t0, "loss": float(np.mean(losses[-50:]))}


@torch.no_grad()
def infer(detector: nn.Module, x: np.ndarray, batch_size: int = 4):
    """PyTorch reference: (scores [N] float64, maps [N, 1, h, w])."""
    detector.cpu().eval()
    s, m = [], []
    for b in range(0, len(x), batch_size):
        a, b_ = detector(torch.from_numpy(np.ascontiguousarray(x[b:b + batch_size], dtype=np.float32)))
        s.append(a.numpy().astype(np.float64))
        m.append(b_.numpy())
    return np.concatenate(s), np.concatenate(m)
