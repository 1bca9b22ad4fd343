"""Training loop, augmentations, and batch scoring with a PyTorch model."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from .errors import UserError

AUGMENTATIONS = ("flip", "rot90", "shift", "scale", "brightness")
MAX_ZOOM = 0.15  # "scale": parts drawn 1/1.15 to 1.15 times their size (camera distance, part size)
LOSSES = ("mse", "ssim", "mse+ssim")
SSIM_SIGMA = 1.5  # Gaussian window of the SSIM training loss (model pixels)


def _gauss_blur(m: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of [N, C, H, W] with edge replication (as in scores.py)."""
    from .scores import gaussian_kernel
    k = torch.tensor(gaussian_kernel(sigma), dtype=m.dtype, device=m.device)
    r = len(k) // 2
    c = m.shape[1]
    m = nn.functional.pad(m, (r, r, 0, 0), mode="replicate")
    m = nn.functional.conv2d(m, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    m = nn.functional.pad(m, (0, 0, r, r), mode="replicate")
    return nn.functional.conv2d(m, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def ssim_map(x: torch.Tensor, y: torch.Tensor, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """Per-pixel SSIM of x and y ([N, C, H, W] in [0, 1]); the definition of scores.ssim_map."""
    from .scores import SSIM_C1, SSIM_C2
    mx, my = _gauss_blur(x, sigma), _gauss_blur(y, sigma)
    sxx = _gauss_blur(x * x, sigma) - mx * mx
    syy = _gauss_blur(y * y, sigma) - my * my
    sxy = _gauss_blur(x * y, sigma) - mx * my
    return ((2 * mx * my + SSIM_C1) * (2 * sxy + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (sxx + syy + SSIM_C2))


def loss_function(name: str):
    if name == "mse":
        return nn.MSELoss()
    if name == "ssim":
        return lambda y, x: 1 - ssim_map(x, y).mean()
    if name == "mse+ssim":
        return lambda y, x: nn.functional.mse_loss(y, x) + 0.1 * (1 - ssim_map(x, y).mean())
    raise UserError(f"unknown --loss {name!r}; expected one of {', '.join(LOSSES)}")


def parse_augment(spec: str | None) -> tuple[str, ...]:
    if spec is None or spec.strip() in ("", "none"):
        return ()
    names = tuple(a.strip() for a in spec.split(",") if a.strip())
    bad = [a for a in names if a not in AUGMENTATIONS]
    if bad:
        raise UserError(f"unknown augmentation {', '.join(bad)}; choose from {', '.join(AUGMENTATIONS)} or none")
    return names


def augment(batch: torch.Tensor, names: tuple[str, ...], gen: torch.Generator, max_shift: int) -> torch.Tensor:
    """Random label-free transforms a line image can undergo; applied per image."""
    if not names:
        return batch
    out = batch.clone()
    n = out.shape[0]
    dev = out.device
    if "flip" in names:
        f = torch.rand(n, generator=gen) < 0.5
        out[f] = out[f].flip(-1)
        f = torch.rand(n, generator=gen) < 0.5
        out[f] = out[f].flip(-2)
    if "rot90" in names and out.shape[-1] == out.shape[-2]:
        k = torch.randint(0, 4, (n,), generator=gen)
        for q in range(1, 4):
            sel = k == q
            if sel.any():
                out[sel] = torch.rot90(out[sel], q, dims=(-2, -1))
    if "shift" in names and max_shift > 0:
        shifts = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=gen)
        h, w = out.shape[-2:]
        for i in range(n):
            dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
            if dy or dx:
                # Edge replication: shifting must not invent a black border the line never shows.
                iy = torch.clamp(torch.arange(h, device=dev) - dy, 0, h - 1)
                ix = torch.clamp(torch.arange(w, device=dev) - dx, 0, w - 1)
                out[i] = out[i][:, iy][:, :, ix]
    if "scale" in names:
        # Zoom about the centre; edge replication outside, as for shifts. Parts photographed from
        # another distance otherwise score as defects: the network redraws them at the size it knows
        # (training/README.md "Real parts" has what it did on cast parts).
        zoom = torch.exp((2 * torch.rand(n, generator=gen) - 1) * math.log1p(MAX_ZOOM))
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = 1 / zoom
        grid = nn.functional.affine_grid(theta.to(dev), list(out.shape), align_corners=False)
        out = nn.functional.grid_sample(out, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if "brightness" in names:
        gain = (1 + 0.2 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)).to(dev)
        bias = (0.1 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)).to(dev)
        out = torch.clamp(out * gain + bias, 0, 1)
    return out


def _smooth_field(n: int, h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    """Random smooth fields [n, 1, h, w] (values about 0-1): uniform noise on a coarse grid (4-16 cells a side),
    upsampled bicubically; a cheap stand-in for Perlin noise that draws blobs of any shape."""
    out = torch.empty(n, 1, h, w)
    for i in range(n):
        cells = int(torch.randint(4, 17, (1,), generator=gen))
        coarse = torch.rand(1, 1, cells, cells, generator=gen)
        out[i] = nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)[0]
    return out


def corrupt(batch: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Paint a simulated defect into each image with probability p (the target stays the clean image).

    Trained to undo these, the autoencoder learns to *repair* what does not belong to a good part
    instead of copying it, so real defects leave a larger residual (the reconstructive half of
    DRAEM, Zavrtanik et al. 2021). The defect is a blob of random shape (a thresholded smooth
    field covering about 0.3-3 % of the image) filled with one of: another image's content from
    elsewhere (foreign texture), the image darkened (holes, missing material) or brightened
    (burrs, bright spots), or blurred noise; blended at 60-100 % opacity."""
    if p <= 0:
        return batch
    n, c, h, w = batch.shape
    hit = torch.rand(n, generator=gen) < p
    if not hit.any():
        return batch
    field = _smooth_field(n, h, w, gen)
    area = 0.003 + 0.027 * torch.rand(n, generator=gen)
    flat = field.reshape(n, -1)
    level = torch.stack([torch.quantile(flat[i], 1 - float(area[i])) for i in range(n)])
    dev = batch.device
    mask = ((field >= level.view(n, 1, 1, 1)).float() * hit.view(n, 1, 1, 1).float()).to(dev)
    kind = torch.randint(0, 4, (n,), generator=gen).view(n, 1, 1, 1).to(dev)
    shifted = torch.roll(batch, shifts=1, dims=0)  # another image of the batch ...
    dy, dx = (int(v) for v in torch.randint(-h // 4, h // 4 + 1, (2,), generator=gen))
    shifted = torch.roll(shifted, shifts=(dy, dx), dims=(-2, -1))  # ... from another place
    gain = (0.1 + 0.5 * torch.rand(n, 1, 1, 1, generator=gen)).to(dev)
    bright = (0.25 + 0.5 * torch.rand(n, 1, 1, 1, generator=gen)).to(dev)
    noise = _gauss_blur(torch.rand(n, c, h, w, generator=gen), 1.0).to(dev)
    fill = torch.where(kind == 0, shifted,
           torch.where(kind == 1, batch * gain,
           torch.where(kind == 2, torch.clamp(batch + bright, 0, 1), noise)))
    opacity = (0.6 + 0.4 * torch.rand(n, 1, 1, 1, generator=gen)).to(dev)
    m = mask * opacity
    return batch * (1 - m) + fill * m


def pick_device(name: str | None = None) -> torch.device:
    if name:
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise UserError(f"--device {name} asked for, but no CUDA GPU is available")
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def fit(model: nn.Module, optimizer: torch.optim.Optimizer, x: np.ndarray, epochs: int, batch_size: int = 32,
        augmentations: tuple[str, ...] = (), seed: int = 0, device: torch.device | None = None,
        progress: bool = True, max_shift: int | None = None, loss: str = "mse",
        corruption: float = 0.0, deadline: float | None = None) -> list[float]:
    """Train to reconstruct x (good images, [N, C, H, W]); returns the mean loss per epoch.

    With corruption > 0 that share of the training images carries a simulated defect (corrupt()),
    and the loss compares the reconstruction with the clean image. With `deadline` (a time.perf_counter()
    value) training stops after the epoch that reaches it (at least one epoch runs)."""
    if epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {epochs}")
    if len(x) == 0:
        raise UserError("no training images left after holding out the calibration images")
    device = device or pick_device()
    model.to(device).train()
    data = torch.from_numpy(x).to(device)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = loss_function(loss)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=optimizer.param_groups[0]["lr"] * 0.05)
    if max_shift is None:
        max_shift = max(1, x.shape[-1] // 32)
    losses = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs, desc="train", unit="epoch")
    for epoch in range(epochs):
        perm = torch.randperm(len(data), generator=gen).to(device)
        total, seen, t0 = 0.0, 0, time.perf_counter()
        for b in range(0, len(data), batch_size):
            batch = data[perm[b:b + batch_size]]
            batch = augment(batch, augmentations, gen, max_shift)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(corrupt(batch, corruption, gen)), batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        sched.step()
        losses.append(total / seen)
        if not math.isfinite(losses[-1]):
            raise RuntimeError(f"training diverged at epoch {epoch + 1} (loss {losses[-1]})")
        if bar is not None:
            post = {"loss": f"{losses[-1]:.5f}", "img_s": f"{seen / (time.perf_counter() - t0):.0f}"}
            if deadline is not None:
                post["left"] = f"{max(0.0, deadline - time.perf_counter()):.0f}s"
            bar.set_postfix(post)
            bar.update(1)
        # stop when the next epoch (as long as this one) would end past the deadline
        if deadline is not None and time.perf_counter() + (time.perf_counter() - t0) > deadline:
            break
    if bar is not None:
        bar.close()
    model.eval()
    return losses


@torch.no_grad()
def reconstruct(model: nn.Module, x: np.ndarray, batch_size: int = 64, device: torch.device | None = None) -> np.ndarray:
    device = device or next(model.parameters()).device
    model.eval()
    out = np.empty_like(x)
    for b in range(0, len(x), batch_size):
        out[b:b + batch_size] = model(torch.from_numpy(x[b:b + batch_size]).to(device)).cpu().numpy()
    return out
