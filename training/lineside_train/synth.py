"""Synthetic cast parts: an impeller seen from above, with casting texture, lighting and
position jitter; defective ones carry blow holes, cracks, burrs or missing material.

Good enough to build and test the whole chain (default model, samples, golden vectors)
without third-party images. Deterministic for a given seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

DEFECT_KINDS = ("blow-hole", "crack", "burr", "missing-material")

# The part's design (one part type per line): radii as fractions of the outer radius.
VANES = 6
R_FLANGE = 0.80  # inner edge of the outer flange
R_HUB = 0.30  # outer edge of the hub
R_HOLE = 0.13  # centre bore


def _smooth_noise(rng: np.random.Generator, size: int, cell: int) -> np.ndarray:
    """Value noise: random values on a coarse grid, bilinearly interpolated to size x size."""
    n = size // cell + 2
    g = rng.standard_normal((n, n))
    t = np.arange(size) / cell
    i = np.floor(t).astype(int)
    f = t - i
    f = f * f * (3 - 2 * f)
    rows = g[i] * (1 - f)[:, None] + g[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def _step(d: np.ndarray, soft: float) -> np.ndarray:
    """Anti-aliased indicator of d < 0 (d in pixels)."""
    return np.clip(0.5 - d / soft, 0.0, 1.0)


def _blur(a: np.ndarray, passes: int = 1) -> np.ndarray:
    for _ in range(passes):
        a = (np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1) + 2 * a) / 6
    return a


def render_part(size: int, rng: np.random.Generator, defects: list[str] | None = None) -> np.ndarray:
    """One part as float64 gray [size, size] in [0, 1]."""
    s = float(size)
    cx = s / 2 + rng.uniform(-0.03, 0.03) * s
    cy = s / 2 + rng.uniform(-0.03, 0.03) * s
    radius = 0.40 * s * rng.uniform(0.97, 1.03)
    rot = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    dx, dy = xx - cx, yy - cy
    dist = np.hypot(dx, dy)
    theta = np.arctan2(dy, dx) - rot
    rn = dist / radius
    soft = max(1.0, s / 200)

    background = 0.18 + rng.uniform(-0.03, 0.03)
    img = np.full((size, size), background)

    # Outer flange, the raised inner disc and its vanes, the hub, the bore.
    part = _step(dist - radius, soft)
    flange_level = 0.56 + 0.05 * np.cos(theta + rot - 0.8)  # a bevel catching the light
    inner_level = 0.42 + 0.03 * rn
    in_inner = _step(dist - R_FLANGE * radius, soft)
    level = flange_level * (1 - in_inner) + inner_level * in_inner
    # Vanes: curved spokes from hub to flange.
    curve = 0.9
    phase = theta - curve * rn
    ang = np.angle(np.exp(1j * VANES * phase)) / VANES  # angular distance to the nearest vane
    vane_half_width = 0.09 * radius
    vane_d = np.abs(ang) * dist - vane_half_width
    vane = _step(vane_d, soft) * _step(dist - (R_FLANGE + 0.02) * radius, soft) * _step(R_HUB * radius - dist, soft)
    vane_level = 0.52 + 0.03 * np.sign(ang)  # low relief: lit side and shadow side
    level = level * (1 - vane) + vane_level * vane
    hub = _step(dist - R_HUB * radius, soft)
    level = level * (1 - hub) + (0.60 - 0.10 * rn) * hub
    # A dark groove at the flange edge, typical of the casting's step.
    groove = np.exp(-((dist - R_FLANGE * radius) / (0.012 * s)) ** 2)
    level = level - 0.06 * groove * (1 - vane)
    bore = _step(dist - R_HOLE * radius, soft)
    part_mask = part * (1 - bore)

    # Casting texture: fine grain and mottling, on the part only.
    grain = _blur(rng.standard_normal((size, size)), 1) * 0.035
    mottle = _smooth_noise(rng, size, max(4, size // 12)) * 0.03
    level = level + grain + mottle
    img = img * (1 - part_mask) + level * part_mask
    img += _blur(rng.standard_normal((size, size)), 1) * 0.01  # sensor noise everywhere

    mask_info = {"cx": cx, "cy": cy, "radius": radius, "dist": dist, "theta": theta + rot,
                 "xx": xx, "yy": yy, "background": background, "soft": soft}
    for kind in defects or []:
        img = _apply_defect(img, kind, rng, mask_info)

    # Lighting: a gentle gradient in a random direction, a global gain.
    a = rng.uniform(0, 2 * math.pi)
    grad = ((xx - s / 2) * math.cos(a) + (yy - s / 2) * math.sin(a)) / s
    img = img * rng.uniform(0.88, 1.12) + 0.10 * grad + rng.uniform(-0.03, 0.03)
    return np.clip(img, 0.0, 1.0)


def _point_on_part(rng, info, r_lo, r_hi):
    r = info["radius"] * rng.uniform(r_lo, r_hi)
    t = rng.uniform(0, 2 * math.pi)
    return info["cx"] + r * math.cos(t), info["cy"] + r * math.sin(t), t


def _apply_defect(img, kind, rng, info):
    xx, yy, soft = info["xx"], info["yy"], info["soft"]
    s = img.shape[0]
    if kind == "blow-hole":
        for _ in range(rng.integers(1, 3)):
            px, py, _ = _point_on_part(rng, info, 0.38, 0.95)
            rad = rng.uniform(0.022, 0.04) * s
            d = np.hypot(xx - px, yy - py)
            hole = _step(d - rad, soft)
            rim = np.exp(-((d - rad * 1.15) / (0.25 * rad)) ** 2)
            img = img * (1 - hole) + (0.06 + 0.04 * d / rad) * hole + 0.10 * rim
    elif kind == "crack":
        px, py, _ = _point_on_part(rng, info, 0.45, 0.9)
        heading = rng.uniform(0, 2 * math.pi)
        steps = int(rng.uniform(0.18, 0.30) * s)
        width = max(1.0, 0.006 * s)
        crack = np.zeros_like(img)
        for _ in range(steps):
            heading += rng.normal(0, 0.25)
            px += math.cos(heading)
            py += math.sin(heading)
            ix, iy = int(px), int(py)
            r = int(math.ceil(width)) + 1
            y0, y1, x0, x1 = max(iy - r, 0), min(iy + r + 1, s), max(ix - r, 0), min(ix + r + 1, s)
            d = np.hypot(xx[y0:y1, x0:x1] - px, yy[y0:y1, x0:x1] - py)
            crack[y0:y1, x0:x1] = np.maximum(crack[y0:y1, x0:x1], np.clip(1.2 - d / width, 0, 1))
        img = img * (1 - 0.85 * crack) + 0.03 * crack
    elif kind == "burr":
        # Excess metal on the outer edge: bright irregular lumps sticking out of the rim.
        _, _, t = _point_on_part(rng, info, 1.0, 1.0)
        for _ in range(rng.integers(2, 5)):
            tt = t + rng.normal(0, 0.08)
            rr = info["radius"] * rng.uniform(1.0, 1.06)
            px, py = info["cx"] + rr * math.cos(tt), info["cy"] + rr * math.sin(tt)
            rad = rng.uniform(0.015, 0.03) * s
            d = np.hypot(xx - px, (yy - py) * rng.uniform(0.6, 1.4))
            lump = _step(d - rad, soft)
            img = img * (1 - lump) + (0.72 + 0.05 * rng.standard_normal()) * lump
    elif kind == "missing-material":
        # A bite out of the flange: background shows where metal should be.
        px, py, t = _point_on_part(rng, info, 1.0, 1.03)
        rad = rng.uniform(0.06, 0.10) * s
        d = np.hypot(xx - px, yy - py)
        bite = _step(d - rad, soft) * _step(info["dist"] - info["radius"] - soft, soft)
        img = img * (1 - bite) + (info["background"] - 0.02) * bite
    else:
        raise ValueError(f"unknown defect {kind!r}")
    return img


def make_good(size: int, rng: np.random.Generator) -> np.ndarray:
    return render_part(size, rng)


def make_defect(size: int, rng: np.random.Generator, kinds: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    if kinds is None:
        n = 1 if rng.random() < 0.75 else 2
        kinds = list(rng.choice(DEFECT_KINDS, size=n, replace=False))
    return render_part(size, rng, kinds), kinds


def to_png(img: np.ndarray, path) -> None:
    Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8), mode="L").save(path)


def write_set(out, n_good: int, n_defect: int, size: int = 300, seed: int = 0, progress: bool = True) -> dict:
    """Write DIR/good/good-NNNN.png and DIR/defect/defect-NNNN-<kinds>.png."""
    out = Path(out)
    (out / "good").mkdir(parents=True, exist_ok=True)
    (out / "defect").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**63 - 1, size=n_good + n_defect)
    it = range(n_good + n_defect)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="synth", unit="img")
    for n in it:
        r = np.random.default_rng(int(seeds[n]))
        if n < n_good:
            to_png(make_good(size, r), out / "good" / f"good-{n:04d}.png")
        else:
            img, kinds = make_defect(size, r)
            to_png(img, out / "defect" / f"defect-{n - n_good:04d}-{'+'.join(kinds)}.png")
    return {"good": n_good, "defect": n_defect}
