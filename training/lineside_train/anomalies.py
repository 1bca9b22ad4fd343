"""Synthetic anomalies pasted into good images: what the discriminative detectors learn from, and what
the automatic choice measures candidates on (pasted into held-out good images no model trained on).

Every anomaly is a region (a mask) whose content is replaced by something a good part does not show:
- shapes: smooth random blobs (a thresholded upsampled noise field, a stand-in for Perlin noise),
  ellipses (holes, spots, chips) and thin polylines (scratches, cracks), from a few pixels to ~15 %
  of the crop;
- fills: a patch of another good image from elsewhere (foreign texture, shuffled parts of the
  training images themselves), a procedural texture (smooth noise, stripes), *darkened*,
  *flattened* (the local mean: lost texture), a *constant* level taken from the image (missing
  material, a hole), brightened, or noise.
The dark, flat and constant fills teach the detector to flag what is missing, not only what is new.
The image is unchanged outside the mask (the mask's one-pixel soft edge included in it).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

KINDS = ("paste", "texture", "darken", "brighten", "flatten", "constant", "noise")
SHAPES = ("blob", "ellipse", "line")


def box_blur(x: torch.Tensor, k: int) -> torch.Tensor:
    """Separable box blur of [B, C, H, W] with odd size k and edge replication."""
    if k <= 1:
        return x
    p = k // 2
    c = x.shape[1]
    w = torch.ones(c, 1, 1, k, dtype=x.dtype, device=x.device) / k
    x = F.conv2d(F.pad(x, (p, p, 0, 0), mode="replicate"), w, groups=c)
    return F.conv2d(F.pad(x, (0, 0, p, p), mode="replicate"), w.transpose(2, 3), groups=c)


def _u(gen, lo, hi) -> float:
    return lo + (hi - lo) * float(torch.rand(1, generator=gen))


def _i(gen, lo, hi) -> int:
    """Integer in [lo, hi)."""
    return int(torch.randint(lo, hi, (1,), generator=gen))


def _grid(h, w):
    return torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")


def blob_mask(h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    gh, gw = _i(gen, 2, 14), _i(gen, 2, 14)
    n = F.interpolate(torch.rand(1, 1, gh, gw, generator=gen), size=(h, w), mode="bicubic", align_corners=False)[0, 0]
    frac = math.exp(_u(gen, math.log(0.003), math.log(0.15)))
    k = max(1, int(round(frac * h * w)))
    t = n.flatten().kthvalue(h * w - k + 1).values  # the k largest values
    return (n >= t).float()


def ellipse_mask(h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    cy, cx = _u(gen, 0, h), _u(gen, 0, w)
    hi = max(3.0, min(h, w) / 6)
    ry, rx = _u(gen, 1.5, hi), _u(gen, 1.5, hi)
    th = _u(gen, 0, math.pi)
    yy, xx = _grid(h, w)
    dy, dx = yy - cy, xx - cx
    u = dx * math.cos(th) + dy * math.sin(th)
    v = -dx * math.sin(th) + dy * math.cos(th)
    return ((u / rx) ** 2 + (v / ry) ** 2 <= 1).float()


def line_mask(h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    """A scratch or crack: a polyline of 1-3 segments, 1-4 px wide."""
    yy, xx = _grid(h, w)
    m = torch.zeros(h, w)
    py, px = _u(gen, 0, h - 1), _u(gen, 0, w - 1)  # pixel centres are at 0 .. h-1, 0 .. w-1
    ang = _u(gen, 0, 2 * math.pi)
    # at least 0.75: the start point lies among the pixel centres, each point of which is within
    # sqrt(0.5) of one, so the mask is never empty (0.6 could miss every centre)
    half = _u(gen, 0.75, 2.0)
    for _ in range(_i(gen, 1, 4)):
        length = _u(gen, 6, max(8.0, min(h, w) / 2))
        ang += _u(gen, -0.8, 0.8)
        qy, qx = py + length * math.sin(ang), px + length * math.cos(ang)
        dy, dx = qy - py, qx - px
        t = (((yy - py) * dy + (xx - px) * dx) / (dy * dy + dx * dx + 1e-6)).clamp(0, 1)
        dist = ((yy - py - t * dy) ** 2 + (xx - px - t * dx) ** 2).sqrt()
        m = torch.maximum(m, (dist <= half).float())
        py, px = qy, qx
    return m


def random_mask(h: int, w: int, gen: torch.Generator, shape: str | None = None) -> torch.Tensor:
    if shape is None:  # half blobs, a quarter ellipses, a quarter scratches
        r = _u(gen, 0, 1)
        shape = "blob" if r < 0.5 else ("ellipse" if r < 0.75 else "line")
    return {"blob": blob_mask, "ellipse": ellipse_mask, "line": line_mask}[shape](h, w, gen)


def texture(c: int, h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    cells = _i(gen, 4, 64)
    n = torch.rand(1, c if _u(gen, 0, 1) < 0.3 else 1, cells, cells, generator=gen)
    n = F.interpolate(n, size=(h, w), mode="bilinear", align_corners=False)[0]
    if _u(gen, 0, 1) < 0.5:  # stripes
        f, a = _u(gen, 0.05, 0.8), _u(gen, 0, math.pi)
        yy, xx = _grid(h, w)
        n = 0.5 * n + 0.5 * (0.5 + 0.5 * torch.sin(f * (xx * math.cos(a) + yy * math.sin(a))))[None]
    lo, hi = sorted((_u(gen, 0, 1), _u(gen, 0, 1)))
    return (lo + (hi - lo + 0.05) * n).clamp(0, 1).expand(c, h, w)


def fill(x: torch.Tensor, kind: str, pool: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """What the region shows instead of x ([C, H, W] in [0, 1]); pool: other good crops [N, C, H', W']."""
    c, h, w = x.shape
    if kind == "paste":
        o = pool[_i(gen, 0, len(pool))]
        o = torch.rot90(o, _i(gen, 0, 4), (1, 2)) if o.shape[1] == o.shape[2] else o
        if o.shape[1:] != x.shape[1:]:
            o = F.interpolate(o[None], size=(h, w), mode="bilinear", align_corners=False)[0]
        return torch.roll(o, shifts=(_i(gen, -h // 2, h // 2 + 1), _i(gen, -w // 2, w // 2 + 1)), dims=(1, 2))
    if kind == "texture":
        return texture(c, h, w, gen)
    if kind == "darken":
        return x * _u(gen, 0.15, 0.7)
    if kind == "brighten":
        return x + (1 - x) * _u(gen, 0.2, 0.7)
    if kind == "flatten":  # lost texture: the local mean
        f = box_blur(x[None], _i(gen, 2, 8) * 2 + 1)[0]
        return f * _u(gen, 0.5, 1.0) if _u(gen, 0, 1) < 0.5 else f
    if kind == "constant":  # missing material, a hole: a flat level from the image's own range
        v = x.reshape(c, -1)[:, _i(gen, 0, h * w)]
        return v[:, None, None].expand(c, h, w) * _u(gen, 0.6, 1.0)
    if kind == "noise":
        return (x + torch.randn(x.shape, generator=gen) * _u(gen, 0.03, 0.2)).clamp(0, 1)
    raise ValueError(f"unknown anomaly kind {kind!r}")


def paste(x: torch.Tensor, pool: torch.Tensor, gen: torch.Generator, kinds=KINDS, shape: str | None = None,
          min_change: float = 0.01):
    """One synthetic anomaly in x ([C, H, W]). Returns (x_aug, region, target):
    region [H, W] is every pixel that may differ from x (the mask with its soft edge), target [H, W]
    the part of the mask that visibly changed (darkening black stays black: no label for it)."""
    c, h, w = x.shape
    m = random_mask(h, w, gen, shape)
    if m.sum() < 1:
        return x.clone(), m, m
    kind = kinds[_i(gen, 0, len(kinds))]
    f = fill(x, kind, pool, gen)
    beta = _u(gen, 0.5, 1.0) if kind in ("paste", "texture") else 1.0
    soft = box_blur(m[None, None], 3)[0] if _u(gen, 0, 1) < 0.5 else m[None]
    a = beta * soft
    xa = x * (1 - a) + f * a
    region = (soft[0] > 0).float()
    diff = (xa - x).abs().amax(0)
    target = m * (box_blur(diff[None, None], 3)[0, 0] > min_change).float()
    return xa, region, target
