"""Format 2: the score functions of format 1 as graph operations (training/CONTRACT.md).

A head takes the input x and the reconstruction y, both [N, C, H, W] float32, and returns
(score [N], anomaly_map [N, 1, H, W]) as float32. The arithmetic runs in float64 inside the graph
(ssim's variances are differences of nearly equal numbers), with blurs written as shifted slices:
ONNX Runtime's CPU Conv has no float64 kernel, while Pad, Slice, Mul, Add, ReduceMax and TopK do.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import scores as S


def _blur_rows_cols(m: torch.Tensor, kernel: list[float]) -> torch.Tensor:
    """Separable Gaussian blur of [N, K, H, W] with edge replication: along rows, then along columns."""
    radius = len(kernel) // 2
    h, w = m.shape[-2], m.shape[-1]
    p = nn.functional.pad(m, (radius, radius, 0, 0), mode="replicate")
    out = p[..., :, 0:w] * kernel[0]
    for t in range(1, len(kernel)):
        out = out + p[..., :, t:t + w] * kernel[t]
    p = nn.functional.pad(out, (0, 0, radius, radius), mode="replicate")
    out = p[..., 0:h, :] * kernel[0]
    for t in range(1, len(kernel)):
        out = out + p[..., t:t + h, :] * kernel[t]
    return out


class ScoreHead(nn.Module):
    """One of format 1's score functions (std, mse, max-blur, ssim) and its residual map."""

    def __init__(self, score: str, sigma: float):
        super().__init__()
        if score not in S.SCORES:
            raise ValueError(f"unknown score function {score!r}; expected one of {', '.join(S.SCORES)}")
        self.score = score
        self.sigma = float(sigma)
        # The map shown for std, mse and max-blur is g with the score's sigma for max-blur and the
        # default blur otherwise (CONTRACT.md, "residual map").
        map_sigma = self.sigma if score in ("max-blur", "ssim") else S.DEFAULT_SIGMA
        self.kernel = [float(v) for v in S.gaussian_kernel(map_sigma)]

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        x = x.double()
        y = y.double()
        n = x.shape[0]
        if self.score == "ssim":
            d = self._ssim_map(x, y)
            flat = d.reshape(n, -1)
            count = flat.shape[1]
            rank = max(1, math.ceil(S.SSIM_QUANTILE * count))  # k-th smallest, 1-based
            largest = torch.topk(flat, count - rank + 1, dim=1).values
            score = largest[:, -1]
            heat = d
        else:
            r = y - x
            heat = _blur_rows_cols(r.abs().mean(dim=1, keepdim=True), self.kernel)
            if self.score == "max-blur":
                score = heat.reshape(n, -1).amax(dim=1)
            else:
                flat = r.reshape(n, -1)
                if self.score == "mse":
                    score = (flat * flat).mean(dim=1)
                else:
                    centred = flat - flat.mean(dim=1, keepdim=True)
                    score = (centred * centred).mean(dim=1).sqrt()
        return score.float(), heat.float()

    def _ssim_map(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        stats = _blur_rows_cols(torch.cat([x, y, x * x, y * y, x * y], dim=1), self.kernel)
        mx, my = stats[:, 0:c], stats[:, c:2 * c]
        vx = stats[:, 2 * c:3 * c] - mx * mx
        vy = stats[:, 3 * c:4 * c] - my * my
        cxy = stats[:, 4 * c:5 * c] - mx * my
        ssim = ((2 * mx * my + S.SSIM_C1) * (2 * cxy + S.SSIM_C2)) / (
            (mx * mx + my * my + S.SSIM_C1) * (vx + vy + S.SSIM_C2))
        return (1 - ssim).mean(dim=1, keepdim=True)


class WithHead(nn.Module):
    """An autoencoder and a score head as one format-2 detector: image -> (score, anomaly_map, reconstruction)."""

    def __init__(self, autoencoder: nn.Module, head: ScoreHead):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head

    def forward(self, image: torch.Tensor):
        y = self.autoencoder(image)
        score, heat = self.head(image, y)
        return score, heat, y
