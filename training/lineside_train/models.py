"""The autoencoders: `dense` (the original write-up's baseline) and `conv` (the default)."""

from __future__ import annotations

import torch
from torch import nn

from .errors import UserError

ARCHS = ("conv", "dense")


class DenseAutoencoder(nn.Module):
    """The original model, faithfully: Flatten -> Dense 100 ReLU -> Dense 30 ReLU ->
    Dense 100 ReLU -> Dense H*W*C sigmoid -> reshape."""

    def __init__(self, channels: int, size: int):
        super().__init__()
        n = channels * size * size
        self.shape = (channels, size, size)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n, 100), nn.ReLU(),
            nn.Linear(100, 30), nn.ReLU(),
            nn.Linear(30, 100), nn.ReLU(),
            nn.Linear(100, n), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.net(x).reshape(x.shape[0], *self.shape)


def _act():
    return nn.LeakyReLU(0.1)


class ConvAutoencoder(nn.Module):
    """Stride-2 stages down to size/16 (or size/8), a narrow 1x1 bottleneck, as many stages back up.

    The bottleneck (`latent` channels at size/`bottleneck`) is what keeps the network from learning
    the identity: it can describe the part's shape, lighting and position, not a crack.
    Full-resolution stages are kept thin: most of the compute of a conv autoencoder sits
    there, and the model must train in minutes on two CPU cores.
    """

    def __init__(self, channels: int, size: int, width: int = 16, latent: int = 16, bottleneck: int = 16):
        super().__init__()
        if bottleneck not in (8, 16):
            raise UserError(f"--bottleneck must be 8 or 16, got {bottleneck}")
        w = width
        enc = [
            nn.Conv2d(channels, w, 3, stride=2, padding=1), _act(),            # size/2
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), _act(),               # size/4
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1), _act(),           # size/8
            nn.Conv2d(4 * w, 4 * w, 3, padding=1), _act(),
        ]
        if bottleneck == 16:
            enc += [nn.Conv2d(4 * w, 4 * w, 3, stride=2, padding=1), _act()]   # size/16
        enc += [nn.Conv2d(4 * w, latent, 1)]                                    # bottleneck
        self.encoder = nn.Sequential(*enc)
        dec = [nn.Conv2d(latent, 4 * w, 1), _act()]
        if bottleneck == 16:
            dec += [nn.ConvTranspose2d(4 * w, 4 * w, 4, stride=2, padding=1), _act()]  # size/8
        dec += [
            nn.Conv2d(4 * w, 4 * w, 3, padding=1), _act(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1), _act(),  # size/4
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), _act(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1), _act(),      # size/2
            nn.ConvTranspose2d(w, w, 4, stride=2, padding=1), _act(),          # size
            nn.Conv2d(w, channels, 3, padding=1), nn.Sigmoid(),
        ]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def check_size(arch: str, size: int) -> None:
    if size < 16 or size > 1024:
        raise UserError(f"impossible size {size}: --size must be between 16 and 1024 pixels")
    if arch == "conv" and size % 16:
        raise UserError(f"impossible size {size} for --arch conv: it must be a multiple of 16 (e.g. 128)")


def build(arch: str, channels: int, size: int, **kw) -> nn.Module:
    if channels not in (1, 3):
        raise UserError(f"--channels must be 1 or 3, got {channels}")
    check_size(arch, size)
    if arch == "conv":
        return ConvAutoencoder(channels, size, **kw)
    if arch == "dense":
        return DenseAutoencoder(channels, size)
    raise UserError(f"unknown --arch {arch!r}; expected one of {', '.join(ARCHS)}")


def optimizer_for(arch: str, model: nn.Module, lr: float | None) -> torch.optim.Optimizer:
    if arch == "dense":
        return torch.optim.NAdam(model.parameters(), lr=lr or 1e-3)  # Keras' Nadam default rate
    return torch.optim.Adam(model.parameters(), lr=lr or 1e-3)
