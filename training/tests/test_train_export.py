import numpy as np
import onnx
import pytest
import torch

from lineside_train import export, models, preprocess
from lineside_train import train as T
from lineside_train.cli import base_metadata
from lineside_train.errors import UserError


@pytest.fixture(scope="module")
def good32(tiny_set):
    x, _ = preprocess.load_folder(tiny_set / "good", 32, 32, 1)
    return x


@pytest.mark.parametrize("arch", ["conv", "dense"])
def test_training_lowers_the_loss(arch, good32):
    torch.manual_seed(0)
    model = models.build(arch, 1, 32, **({"width": 4, "latent": 4} if arch == "conv" else {}))
    opt = models.optimizer_for(arch, model, 1e-2)
    losses = T.fit(model, opt, good32, epochs=6, batch_size=8, seed=0, device=torch.device("cpu"), progress=False)
    assert len(losses) == 6
    assert losses[-1] < 0.75 * losses[0], losses


def test_dense_is_the_original_architecture():
    m = models.build("dense", 3, 16)
    linears = [l for l in m.modules() if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(768, 100), (100, 30), (30, 100), (100, 768)]
    assert isinstance(list(m.net)[-1], torch.nn.Sigmoid)
    assert isinstance(models.optimizer_for("dense", m, None), torch.optim.NAdam)
    assert m(torch.rand(2, 3, 16, 16)).shape == (2, 3, 16, 16)


def test_augmentations_keep_shape_and_range():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 16, 16)
    y = T.augment(x, T.AUGMENTATIONS, gen, 2)
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
    assert not torch.equal(x, y)
    with pytest.raises(UserError, match="unknown augmentation"):
        T.parse_augment("flip,zoom")


def test_impossible_sizes_are_user_errors():
    with pytest.raises(UserError, match="multiple of 16"):
        models.build("conv", 1, 100)
    with pytest.raises(UserError, match="impossible size"):
        models.build("dense", 1, 4)


def _meta(size=32, channels=1):
    return base_metadata(size, size, channels, "max-blur", 2.0, 0.1, 0.01, 99, 0.05, "t", "1", "conv")


@pytest.mark.parametrize("arch,channels", [("conv", 1), ("conv", 3), ("dense", 1)])
def test_export_parity_names_shape_opset_and_metadata(arch, channels, tmp_path):
    torch.manual_seed(1)
    model = models.build(arch, channels, 32, **({"width": 4, "latent": 4} if arch == "conv" else {}))
    b = export.to_onnx_bytes(model, channels, 32)
    x = np.random.default_rng(0).random((3, channels, 32, 32)).astype(np.float32)
    assert export.parity(model, b, x) <= 1e-4
    export.save(export.with_metadata(b, _meta(32, channels)), tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [17]
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert inp.name == "image" and out.name == "reconstruction"
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == [1, channels, 32, 32]
    assert [d.dim_value for d in out.type.tensor_type.shape.dim] == dims
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    meta = export.read_metadata(tmp_path / "m.onnx")
    for key in export.REQUIRED_KEYS:
        assert meta[key], key
    assert meta["lineside.format"] == "1" and meta["lineside.input.resize"] == "area"
    loaded = export.LoadedModel(tmp_path / "m.onnx")
    assert (loaded.width, loaded.height, loaded.channels, loaded.score) == (32, 32, channels, "max-blur")


def test_parity_failure_is_detected():
    torch.manual_seed(2)
    model = models.build("conv", 1, 32, width=4, latent=4)
    b = export.to_onnx_bytes(model, 1, 32)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05)  # the exported graph no longer matches the module
    with pytest.raises(RuntimeError, match="parity failed"):
        export.parity(model, b, np.random.default_rng(0).random((1, 1, 32, 32)).astype(np.float32))


def test_metadata_missing_keys_are_refused():
    model = models.build("dense", 1, 16)
    b = export.to_onnx_bytes(model, 1, 16)
    meta = _meta(16)
    del meta["lineside.calibration.median"]
    with pytest.raises(ValueError, match="lineside.calibration.median"):
        export.with_metadata(b, meta)


def test_ssim_training_loss_uses_the_contracts_ssim():
    from lineside_train import scores as S
    rng = np.random.default_rng(2)
    x = rng.random((2, 1, 16, 16))
    y = rng.random((2, 1, 16, 16))
    got = T.ssim_map(torch.from_numpy(x), torch.from_numpy(y), 1.5).numpy()
    np.testing.assert_allclose(1 - got.mean(axis=1), S.residual_maps(x, y, 1.5, "ssim"), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["ssim", "mse+ssim"])
def test_ssim_losses_train(loss, good32):
    torch.manual_seed(0)
    model = models.build("conv", 1, 32, width=4, latent=4)
    opt = models.optimizer_for("conv", model, 3e-3)
    losses = T.fit(model, opt, good32, epochs=4, batch_size=8, seed=0, device=torch.device("cpu"),
                   progress=False, loss=loss)
    assert losses[-1] < losses[0], losses


def test_conv_bottleneck_at_size_over_8_keeps_the_shape_and_exports():
    torch.manual_seed(1)
    model = models.build("conv", 1, 32, width=4, latent=4, bottleneck=8)
    assert model.encoder(torch.zeros(1, 1, 32, 32)).shape == (1, 4, 4, 4)
    b = export.to_onnx_bytes(model, 1, 32)
    x = np.random.default_rng(0).random((2, 1, 32, 32)).astype(np.float32)
    assert export.parity(model, b, x) <= 1e-4
    with pytest.raises(UserError):
        models.build("conv", 1, 32, bottleneck=4)


def test_corruption_paints_small_defects_and_keeps_the_rest():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(16, 1, 64, 64) * 0.5 + 0.25
    y = T.corrupt(x, 1.0, gen)
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
    changed = (y - x).abs().reshape(16, -1) > 1e-6
    share = changed.float().mean(1)
    # every image carries one blob of 0.3-3 % of its pixels (a little more where the field ties at the level)
    assert bool((share > 0.002).all()) and bool((share < 0.05).all()), share
    assert torch.equal(T.corrupt(x, 0.0, gen), x)


def test_corruption_probability_is_per_image():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(200, 1, 32, 32)
    y = T.corrupt(x, 0.3, gen)
    hit = ((y - x).abs().reshape(200, -1) > 1e-6).any(1).float().mean()
    assert 0.2 < float(hit) < 0.4, hit


class _Copy(torch.nn.Module):
    """Returns its input: the loss it gets is exactly the distance between the network's input and the target."""

    def __init__(self):
        super().__init__()
        self.gain = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.gain


@pytest.mark.parametrize("corruption", [0.0, 1.0])
def test_corrupted_input_clean_target(corruption, good32):
    """The network sees the corrupted image and is scored against the clean one: a network that copies
    its input loses nothing without corruption and the defects' error with it."""
    model = _Copy()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    losses = T.fit(model, opt, good32, epochs=1, batch_size=8, seed=0, device=torch.device("cpu"),
                   progress=False, loss="mse", corruption=corruption)
    if corruption == 0:
        assert losses[0] == 0
    else:
        assert losses[0] > 1e-4, losses


def test_scale_augmentation_zooms_about_the_centre_within_its_range():
    h = 64
    yy, xx = torch.meshgrid(torch.arange(h) - (h - 1) / 2, torch.arange(h) - (h - 1) / 2, indexing="ij")
    disc = ((yy ** 2 + xx ** 2) <= 12 ** 2).float().expand(40, 1, h, h).contiguous()
    out = T.augment(disc, ("scale",), torch.Generator().manual_seed(0), 0)
    area = (out > 0.5).float().sum((1, 2, 3)) / (disc > 0.5).float().sum((1, 2, 3))
    lo, hi = 1 / (1 + T.MAX_ZOOM) ** 2, (1 + T.MAX_ZOOM) ** 2
    assert bool((area > lo - 0.06).all()) and bool((area < hi + 0.06).all()), area
    assert float(area.min()) < 0.9 and float(area.max()) > 1.1  # both ways
    # about the centre: the disc's centre of mass stays put
    w = out[:, 0]
    cy = (w * yy).sum((1, 2)) / w.sum((1, 2))
    assert float(cy.abs().max()) < 0.5
