"""Image file -> model input tensor, exactly as training/CONTRACT.md specifies.

The appliance implements the same steps in Java; golden vectors pin both sides.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from . import png16
from .errors import UnsupportedImage, UserError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")

# Pillow refuses images above this many pixels with a DecompressionBombError; keep the
# same order of magnitude as the appliance's default limit (40 MP).
Image.MAX_IMAGE_PIXELS = 40_000_000

GRAY_WEIGHTS = (0.299, 0.587, 0.114)


def decode(path: str | os.PathLike, luma_only: bool = False) -> np.ndarray:
    """Decode an image file to float32 samples in [0, 1], shape (H, W, 1) or (H, W, 3).

    8-bit samples are scaled by 1/255, 16-bit by 1/65535; palettes are expanded to RGB;
    alpha is dropped (colour samples used as they are); CMYK is refused.
    `luma_only` (for one-channel models, CONTRACT.md): a colour JPEG is decoded straight to its
    luma plane, as the appliance does.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(33)
        if png16.needs_own_decoder(head):
            with open(path, "rb") as fh:
                return png16.decode16(fh.read(), str(path))
        with Image.open(path) as im:
            if luma_only and im.format == "JPEG" and im.mode == "RGB":
                im.draft("L", im.size)  # libjpeg outputs Y and skips the chroma planes
            im.load()
            return _samples(im, str(path))
    except UnsupportedImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise UnsupportedImage(f"cannot read image {path}: {e}") from e


def _samples(im: Image.Image, name: str) -> np.ndarray:
    mode = im.mode
    if mode == "CMYK":
        raise UnsupportedImage(f"{name}: CMYK images are not supported")
    if mode == "1":
        a = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
        return a[:, :, None]
    if mode == "L":
        return (np.asarray(im, dtype=np.float32) / 255.0)[:, :, None]
    if mode == "LA":
        return (np.asarray(im, dtype=np.float32)[:, :, 0] / 255.0)[:, :, None]
    if mode in ("P", "PA"):
        # Palette indices -> the palette's RGB colours; transparency is ignored like alpha.
        rgb = im.convert("RGBA") if "transparency" in im.info or mode == "PA" else im.convert("RGB")
        return np.asarray(rgb, dtype=np.float32)[:, :, :3] / 255.0
    if mode in ("RGB", "RGBA", "RGBX", "RGBa"):
        if mode == "RGBa":  # premultiplied alpha would change colours; ask for a plain file
            raise UnsupportedImage(f"{name}: premultiplied-alpha images are not supported")
        return np.asarray(im, dtype=np.float32)[:, :, :3] / 255.0
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        a = np.asarray(im.convert("I"), dtype=np.float64) / 65535.0
        return a.astype(np.float32)[:, :, None]
    if mode == "I":
        # Pillow decodes 16-bit gray PNGs as 32-bit "I"; only the 16-bit range is meaningful.
        a = np.asarray(im, dtype=np.int64)
        bits = im.info.get("bits") or (16 if im.format == "PNG" else None)
        if bits != 16 and (a.min() < 0 or a.max() > 65535):
            raise UnsupportedImage(f"{name}: 32-bit integer images are not supported")
        return (a.astype(np.float64) / 65535.0).astype(np.float32)[:, :, None]
    raise UnsupportedImage(f"{name}: image mode {mode} is not supported")


def to_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """Convert (H, W, 1|3) samples to the model's channel count, in floating point."""
    cin = samples.shape[2]
    if channels == 1:
        if cin == 1:
            return samples
        r, g, b = (samples[:, :, i].astype(np.float64) for i in range(3))
        gray = GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b
        return gray.astype(np.float32)[:, :, None]
    if channels == 3:
        return np.repeat(samples, 3, axis=2) if cin == 1 else samples
    raise UserError(f"channels must be 1 or 3, got {channels}")


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float64 matrix of the `area` filter along one axis.

    Output index j covers input [j*s, (j+1)*s) with s = n_in / n_out; input pixel i
    contributes overlap([i, i+1), [j*s, (j+1)*s)) / s.
    """
    if n_in <= 0 or n_out <= 0:
        raise UserError(f"impossible size: cannot resize {n_in} to {n_out} pixels")
    s = n_in / n_out
    w = np.zeros((n_out, n_in), dtype=np.float64)
    for j in range(n_out):
        start = j * s
        end = (j + 1) * s
        i0 = int(np.floor(start))
        i1 = min(int(np.ceil(end)), n_in)
        for i in range(i0, i1):
            overlap = min(i + 1.0, end) - max(float(i), start)
            if overlap > 0:
                w[j, i] = overlap / s
    return w


@functools.lru_cache(maxsize=64)
def _cached_weights(n_in: int, n_out: int) -> np.ndarray:
    w = area_weights(n_in, n_out)
    w.setflags(write=False)
    return w


def resize_area(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize (H, W, C) float samples to (height, width, C): horizontal pass, then vertical."""
    h_in, w_in, _ = img.shape
    if (h_in, w_in) == (height, width):
        return img.astype(np.float32, copy=False)
    wx = _cached_weights(w_in, width)  # (width, w_in)
    wy = _cached_weights(h_in, height)  # (height, h_in)
    out = np.empty((height, width, img.shape[2]), dtype=np.float32)
    for c in range(img.shape[2]):
        tmp = img[:, :, c].astype(np.float64) @ wx.T  # horizontal pass: (h_in, width)
        out[:, :, c] = wy @ tmp  # vertical pass: (height, width)
    return out


def to_tensor(samples: np.ndarray, width: int, height: int, channels: int) -> np.ndarray:
    """Decoded samples -> float32 NCHW tensor [1, C, H, W]."""
    x = resize_area(to_channels(samples, channels), width, height)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None, :, :, :], dtype=np.float32)


def parse_roi(text: str | None) -> tuple[int, int, int, int] | None:
    """`x,y,w,h` (source-image pixels, CONTRACT.md `lineside.input.roi`) -> a tuple; None for None/empty."""
    if text is None or not str(text).strip():
        return None
    parts = str(text).split(",")
    try:
        x, y, w, h = (int(v.strip()) for v in parts)
    except ValueError:
        raise UserError(f"region of interest {text!r} is not x,y,w,h (four whole numbers)") from None
    if x < 0 or y < 0 or w < 1 or h < 1:
        raise UserError(f"region of interest {text!r}: x and y must be >= 0, w and h >= 1")
    return x, y, w, h


def crop(samples: np.ndarray, roi: tuple[int, int, int, int] | None, name: str = "image") -> np.ndarray:
    """The region of interest of decoded (H, W, C) samples; an image that does not contain all of it
    is refused with the appliance's reason `roi-outside-image`."""
    if roi is None:
        return samples
    x, y, w, h = roi
    if x + w > samples.shape[1] or y + h > samples.shape[0]:
        raise UnsupportedImage(f"{name}: roi-outside-image: the region {x},{y},{w},{h} does not fit in the "
                               f"{samples.shape[1]}x{samples.shape[0]} image")
    return samples[y:y + h, x:x + w]


def load(path: str | os.PathLike, width: int, height: int, channels: int, roi=None) -> np.ndarray:
    """Image file -> (its region of interest, if any) -> model input [1, C, H, W] float32 in [0, 1]."""
    return to_tensor(crop(decode(path, luma_only=channels == 1), roi, str(path)), width, height, channels)


def list_images(folder: str | os.PathLike, what: str = "image", recursive: bool = False) -> list[Path]:
    """Image files of a folder (sorted; with `recursive`, of its subfolders too, e.g. one per defect
    kind), or a UserError that says what is wrong."""
    p = Path(folder)
    if not p.exists():
        raise UserError(f"{what} folder {p} does not exist")
    if not p.is_dir():
        raise UserError(f"{what} folder {p} is not a directory")
    files = sorted(f for f in (p.rglob("*") if recursive else p.iterdir())
                   if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith("."))
    if not files:
        raise UserError(f"{what} folder {p} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
    return files


def load_folder(folder, width: int, height: int, channels: int, what: str = "image",
                progress: bool = False, recursive: bool = False, roi=None) -> tuple[np.ndarray, list[Path]]:
    """All images of a folder as [N, C, H, W]; an unreadable image is a UserError naming it."""
    files = list_images(folder, what, recursive)
    out = np.empty((len(files), channels, height, width), dtype=np.float32)
    it = files
    if progress:
        from tqdm import tqdm
        it = tqdm(files, desc=f"loading {what}", unit="img", leave=False)
    for n, f in enumerate(it):
        out[n] = load(f, width, height, channels, roi)[0]
    return out, files
