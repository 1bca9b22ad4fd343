"""Decoder for 16-bit colour PNGs (RGB, RGBA, gray+alpha).

Pillow reduces 16-bit colour PNGs to 8 bits on load; the contract scales 16-bit samples by
1/65535, as the appliance's decoder does, so these files are decoded here from the raw data.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .errors import UnsupportedImage

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def header(data: bytes):
    """(width, height, bit depth, colour type, interlace) of a PNG, or None if not a PNG."""
    if len(data) < 33 or not data.startswith(SIGNATURE) or data[12:16] != b"IHDR":
        return None
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return w, h, depth, ctype, interlace


def needs_own_decoder(data: bytes) -> bool:
    hd = header(data)
    return hd is not None and hd[2] == 16 and hd[3] in (2, 4, 6)


def decode16(data: bytes, name: str) -> np.ndarray:
    """16-bit colour PNG -> float32 [H, W, 1 | 3] in [0, 1], alpha dropped."""
    w, h, depth, ctype, interlace = header(data)
    if interlace:
        raise UnsupportedImage(f"{name}: interlaced 16-bit colour PNGs are not supported")
    idat, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + length])
        if kind == b"IEND":
            break
        pos += 12 + length
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise UnsupportedImage(f"{name}: corrupt PNG data: {e}") from e
    ch = CHANNELS[ctype]
    bpp = 2 * ch
    stride = w * bpp
    if len(raw) < h * (stride + 1):
        raise UnsupportedImage(f"{name}: truncated PNG data")
    rows = np.frombuffer(raw, dtype=np.uint8, count=h * (stride + 1)).reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        f = rows[y, 0]
        line = rows[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum per byte lane
            cur = np.cumsum(line.reshape(w, bpp), axis=0).ravel() & 0xFF
        elif f == 2:  # Up
            cur = (line + prev) & 0xFF
        elif f in (3, 4):  # Average, Paeth: depend on the pixel to the left, one pixel at a time
            cur = np.empty(stride, dtype=np.int32)
            left = np.zeros(bpp, dtype=np.int32)
            upleft = np.zeros(bpp, dtype=np.int32)
            for x in range(w):
                s = slice(x * bpp, (x + 1) * bpp)
                up = prev[s]
                if f == 3:
                    v = (line[s] + ((left + up) >> 1)) & 0xFF
                else:
                    p = left + up - upleft
                    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
                    v = (line[s] + pred) & 0xFF
                cur[s] = v
                left, upleft = v, up
        else:
            raise UnsupportedImage(f"{name}: corrupt PNG (filter type {f})")
        out[y] = cur
        prev = cur
    samples = out.reshape(h, w * ch, 2)
    values = (samples[:, :, 0].astype(np.uint32) << 8) | samples[:, :, 1]
    values = values.reshape(h, w, ch).astype(np.float64) / 65535.0
    colour = values[:, :, :1] if ch in (1, 2) else values[:, :, :3]
    return colour.astype(np.float32)
