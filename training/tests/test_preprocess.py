import numpy as np
import pytest
from PIL import Image

from lineside_train import preprocess as P
from lineside_train.errors import UnsupportedImage, UserError


def test_area_weights_rows_sum_to_one_for_any_ratio():
    for n_in, n_out in [(300, 128), (40, 128), (7, 3), (3, 7), (128, 128), (1, 5), (5, 1)]:
        w = P.area_weights(n_in, n_out)
        assert w.shape == (n_out, n_in)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
        assert (w >= 0).all()


def test_area_non_integer_downscale_weights_are_overlaps():
    # 3 -> 2: sx = 1.5; out 0 covers [0, 1.5): 1 of pixel 0 and 0.5 of pixel 1.
    w = P.area_weights(3, 2)
    np.testing.assert_allclose(w, [[1 / 1.5, 0.5 / 1.5, 0], [0, 0.5 / 1.5, 1 / 1.5]])


def test_area_upscale_spreads_pixels():
    # 2 -> 3: sx = 2/3; out 1 covers [2/3, 4/3): 1/3 of pixel 0 and 1/3 of pixel 1.
    w = P.area_weights(2, 3)
    np.testing.assert_allclose(w, [[1, 0], [0.5, 0.5], [0, 1]])


def test_resize_identity_and_integer_block_mean():
    rng = np.random.default_rng(0)
    img = rng.random((6, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(P.resize_area(img, 8, 6), img)
    small = P.resize_area(img, 4, 3)
    expect = img.reshape(3, 2, 4, 2, 1).mean(axis=(1, 3))
    np.testing.assert_allclose(small, expect, atol=1e-6)


def test_resize_keeps_width_and_height_apart():
    img = np.zeros((10, 20, 1), dtype=np.float32)
    img[:, :10] = 1.0  # left half white
    out = P.resize_area(img, 4, 5)
    assert out.shape == (5, 4, 1)
    np.testing.assert_allclose(out[:, :, 0], [[1, 1, 0, 0]] * 5, atol=1e-6)


def test_impossible_resize_is_a_user_error():
    with pytest.raises(UserError, match="impossible size"):
        P.area_weights(10, 0)


def test_decode_8bit_gray_and_16bit_gray(tmp_path):
    a = np.array([[0, 128, 255]], dtype=np.uint8)
    Image.fromarray(a, "L").save(tmp_path / "g8.png")
    np.testing.assert_allclose(P.decode(tmp_path / "g8.png")[:, :, 0], a / 255.0, atol=1e-7)
    b = np.array([[0, 1000, 65535]], dtype=np.uint16)
    Image.fromarray(b).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    np.testing.assert_allclose(P.decode(tmp_path / "g16.png")[:, :, 0], b / 65535.0, atol=1e-7)


def test_decode_rgba_drops_alpha_without_blending(tmp_path):
    a = np.zeros((1, 2, 4), dtype=np.uint8)
    a[0, 0] = (200, 100, 50, 0)
    a[0, 1] = (10, 20, 30, 255)
    Image.fromarray(a, "RGBA").save(tmp_path / "rgba.png")
    got = P.decode(tmp_path / "rgba.png")
    np.testing.assert_allclose(got, a[:, :, :3] / 255.0, atol=1e-7)


def test_decode_palette_expands_colours(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putdata([0, 1])
    im.save(tmp_path / "p.png")
    got = P.decode(tmp_path / "p.png")
    np.testing.assert_allclose(got[0], [[1, 0, 0], [0, 0, 1]])


def test_gray_conversion_is_weighted_in_float():
    rgb = np.array([[[1 / 255, 2 / 255, 4 / 255]]], dtype=np.float32)
    g = P.to_channels(rgb, 1)
    assert g.shape == (1, 1, 1)
    assert g[0, 0, 0] == pytest.approx((0.299 * 1 + 0.587 * 2 + 0.114 * 4) / 255, rel=1e-6)
    three = P.to_channels(np.full((2, 2, 1), 0.25, np.float32), 3)
    assert three.shape == (2, 2, 3) and np.all(three == 0.25)


def test_cmyk_and_garbage_are_refused_with_the_file_name(tmp_path):
    Image.new("CMYK", (4, 4)).save(tmp_path / "c.jpg")
    with pytest.raises(UnsupportedImage, match="CMYK"):
        P.decode(tmp_path / "c.jpg")
    (tmp_path / "t.png").write_text("not an image")
    with pytest.raises(UnsupportedImage, match="t.png"):
        P.decode(tmp_path / "t.png")


def test_to_tensor_is_nchw_float32(tmp_path):
    Image.fromarray(np.full((30, 50), 100, np.uint8), "L").save(tmp_path / "x.png")
    x = P.load(tmp_path / "x.png", 16, 8, 3)
    assert x.shape == (1, 3, 8, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x, 100 / 255, atol=1e-6)


def test_folder_errors_are_clear(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        P.list_images(tmp_path / "nope", "good")
    with pytest.raises(UserError, match="holds no images"):
        P.list_images(tmp_path, "good")


def _png16(path, arr, ctype):
    """Write a 16-bit PNG with mixed filter types (Pillow cannot write 16-bit colour)."""
    import struct
    import zlib

    h, w, ch = arr.shape
    raw = bytearray()
    bpp = 2 * ch
    prev = np.zeros(w * bpp, dtype=np.int32)
    for y in range(h):
        line = arr[y].astype(">u2").tobytes()
        cur = np.frombuffer(line, dtype=np.uint8).astype(np.int32)
        f = y % 5
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        if f == 0:
            enc = cur
        elif f == 1:
            enc = cur - left
        elif f == 2:
            enc = cur - prev
        elif f == 3:
            enc = cur - ((left + prev) >> 1)
        else:
            p = left + prev - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
            enc = cur - np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        raw += bytes([f]) + bytes((enc & 0xFF).astype(np.uint8))
        prev = cur

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    path.write_bytes(png)


@pytest.mark.parametrize("ctype,ch", [(2, 3), (6, 4), (4, 2)])
def test_decode_16bit_colour_png_keeps_16_bits(tmp_path, ctype, ch):
    rng = np.random.default_rng(ctype)
    arr = rng.integers(0, 65536, size=(7, 9, ch), dtype=np.uint16)
    _png16(tmp_path / "c16.png", arr, ctype)
    got = P.decode(tmp_path / "c16.png")
    colour = arr[:, :, :1] if ch in (1, 2) else arr[:, :, :3]
    np.testing.assert_allclose(got, colour / 65535.0, atol=1e-7)


def test_luma_only_jpeg_decode_is_the_gray_conversion_up_to_rounding(tmp_path):
    # A colour part: luma straight from the JPEG's Y plane vs RGB decoded then mixed (CONTRACT.md).
    h, w = 48, 64
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([60 + 2 * x, 80 + 3 * y, 150 - x - y], axis=2).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(tmp_path / "colour.jpg", quality=90)
    luma = P.decode(tmp_path / "colour.jpg", luma_only=True)
    mixed = P.to_channels(P.decode(tmp_path / "colour.jpg"), 1)
    assert luma.shape == mixed.shape == (h, w, 1)
    assert np.abs(luma - mixed).max() <= 1.5 / 255
    # Photographed in gray (R = G = B), as line cameras mostly are: exactly the same samples.
    gray = np.repeat((40 + x + y).astype(np.uint8)[:, :, None], 3, axis=2)
    Image.fromarray(gray, "RGB").save(tmp_path / "gray-content.jpg", quality=90)
    np.testing.assert_array_equal(P.decode(tmp_path / "gray-content.jpg", luma_only=True),
                                  P.to_channels(P.decode(tmp_path / "gray-content.jpg"), 1))
    # Other formats and three-channel models are untouched.
    Image.fromarray(rgb, "RGB").save(tmp_path / "colour.png")
    assert P.decode(tmp_path / "colour.png", luma_only=True).shape == (h, w, 3)
    assert P.load(tmp_path / "colour.jpg", 16, 16, 3).shape == (1, 3, 16, 16)
