"""Super SloMo: the released checkpoint's layout, loading, the flows at t, padding and cropping.

The released file cannot be fetched in the tests; its layout is written below from the
official definitions (avinashpaliwal/Super-SloMo ``model.py``: ``UNet(6, 4)`` saved as
``state_dictFC``, ``UNet(20, 5)`` as ``state_dictAT``, in the dict ``train.py`` saves).
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from learned_fixtures import assert_refused_in_one_line, assert_same_network

from atdkit.errors import WeightsMismatch
from atdkit.baselines.superslomo.method import SuperSloMo, load_superslomo
from atdkit.baselines.superslomo.model import TRAINING_MEAN, SuperSloMoNet, intermediate_flows

# (name, out, in, k) of every convolution of the official UNet(in_channels, out_channels)
UNET_CONVS = [("conv1", 32, "in", 7), ("conv2", 32, 32, 7),
              ("down1.conv1", 64, 32, 5), ("down1.conv2", 64, 64, 5),
              ("down2.conv1", 128, 64, 3), ("down2.conv2", 128, 128, 3),
              ("down3.conv1", 256, 128, 3), ("down3.conv2", 256, 256, 3),
              ("down4.conv1", 512, 256, 3), ("down4.conv2", 512, 512, 3),
              ("down5.conv1", 512, 512, 3), ("down5.conv2", 512, 512, 3),
              ("up1.conv1", 512, 512, 3), ("up1.conv2", 512, 1024, 3),
              ("up2.conv1", 256, 512, 3), ("up2.conv2", 256, 512, 3),
              ("up3.conv1", 128, 256, 3), ("up3.conv2", 128, 256, 3),
              ("up4.conv1", 64, 128, 3), ("up4.conv2", 64, 128, 3),
              ("up5.conv1", 32, 64, 3), ("up5.conv2", 32, 64, 3),
              ("conv3", "out", 32, 3)]


def official_layout(cin: int, cout: int) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for name, o, i, k in UNET_CONVS:
        o, i = (cout if o == "out" else o), (cin if i == "in" else i)
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (o, i, k, k), (o,)
    return shapes


def save_official(net: SuperSloMoNet, path, legacy: bool = False):
    """A checkpoint as the official train.py writes it (records beside the two state dicts);
    ``legacy``: PyTorch's pre-1.6 file format, which PyTorch 0.4.1 wrote the released file in."""
    torch.save({"Detail": "End to end Super SloMo.", "epoch": 7, "timestamp": datetime.datetime(2018, 9, 1, 12),
                "trainBatchSz": 6, "validationBatchSz": 10, "learningRate": 1e-5, "loss": [[0.1, 0.09]],
                "valLoss": [[0.2]], "valPSNR": [[29.5]],
                "state_dictFC": net.flow.state_dict(), "state_dictAT": net.interp.state_dict()}, path,
               _use_new_zipfile_serialization=not legacy)
    return path


@pytest.fixture(scope="module")
def random_net():
    torch.manual_seed(0)
    net = SuperSloMoNet().eval()
    with torch.no_grad():  # flows of a few pixels instead of the initialisation's near-zero ones
        net.flow.conv3.weight.mul_(300)
        net.interp.conv3.weight.mul_(50)
    return net


def test_names_and_shapes_are_the_official_unets():
    net = SuperSloMoNet()
    for part, cin, cout in (("flow", 6, 4), ("interp", 20, 5)):
        ours = {k: tuple(v.shape) for k, v in getattr(net, part).state_dict().items()}
        assert ours == official_layout(cin, cout), part
    assert sum(v.numel() for v in net.state_dict().values()) == 39_610_473


@pytest.mark.parametrize("legacy", [True, False])
def test_round_trip_of_the_official_format_is_bit_identical(random_net, tmp_path, legacy):
    path = save_official(random_net, tmp_path / "SuperSloMo.ckpt", legacy)
    assert_same_network(load_superslomo(path), random_net, torch.rand(1, 3, 64, 96), torch.rand(1, 3, 64, 96), 0.3)


@pytest.mark.parametrize("part", ["state_dictFC", "state_dictAT"])
def test_a_missing_renamed_or_misshaped_key_is_one_line(random_net, tmp_path, part):
    ckpt = torch.load(save_official(random_net, tmp_path / "good.ckpt"), weights_only=False)
    missing = {**ckpt, part: {k: v for k, v in ckpt[part].items() if k != "up3.conv2.bias"}}
    renamed = {**ckpt, part: {("module." + k if k == "conv1.weight" else k): v for k, v in ckpt[part].items()}}
    shaped = {**ckpt, part: {**ckpt[part], "conv3.bias": torch.zeros(7)}}
    cases = [(missing, "weights missing (up3.conv2.bias)"),
             (renamed, "weights missing (conv1.weight); 1 unexpected (module.conv1.weight)"),
             (shaped, "1 with wrong shapes (e.g. conv3.bias: (7,) in the file")]
    assert_refused_in_one_line(load_superslomo, cases, tmp_path, lambda path: f"{path} [{part}]: not a UNet checkpoint",
                               suffix=".ckpt")


def test_a_file_without_one_of_the_networks_or_not_a_checkpoint_is_one_line(random_net, tmp_path):
    only_flow = tmp_path / "flow_only.ckpt"
    torch.save({"state_dictFC": random_net.flow.state_dict()}, only_flow)
    with pytest.raises(WeightsMismatch, match=r"flow_only\.ckpt: no 'state_dictAT' dict \(found state_dictFC\)$"):
        load_superslomo(only_flow)
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"\x00not a checkpoint")
    with pytest.raises(WeightsMismatch, match=r"garbage\.ckpt: not a readable PyTorch checkpoint"):
        load_superslomo(garbage)


@pytest.mark.parametrize("t", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_intermediate_flows_of_linear_motion_point_back_and_forth(t):
    """With F10 = −F01 (linear motion) the paper's approximation gives Ft0 = −t·F01, Ft1 = (1−t)·F01."""
    f01 = torch.randn(1, 2, 4, 5)
    ft0, ft1 = intermediate_flows(f01, -f01, t)
    assert torch.allclose(ft0, -t * f01, atol=1e-6) and torch.allclose(ft1, (1 - t) * f01, atol=1e-6)


def test_method_pads_to_32_subtracts_the_mean_and_crops_back(random_net):
    """A 70×100 pair: the method's frame is the network's on the zero-padded 96×128 pair (mean
    subtracted, added back), cropped; different t give different frames (t is used)."""
    rng = np.random.default_rng(0)
    f0, f1 = (rng.integers(0, 256, (70, 100, 3), dtype=np.uint8) for _ in range(2))
    method = SuperSloMo(net=random_net)
    mean = torch.tensor(TRAINING_MEAN).view(1, 3, 1, 1)

    def expected(t):
        x0, x1 = (F.pad(torch.tensor(f).permute(2, 0, 1)[None].float() / 255, (0, 28, 0, 26)) - mean for f in (f0, f1))
        with torch.inference_mode():
            return (random_net(x0, x1, t) + mean)[0, :, :70, :100].clamp(0, 1).permute(1, 2, 0).numpy()

    out = method.interpolate(f0, f1, 0.25)
    assert out.shape == (70, 100, 3) and out.dtype == np.float32
    assert np.abs(out - expected(0.25)).max() < 1e-6
    assert np.abs(method.interpolate(f0, f1, 0.75) - out).max() > 1e-2


def test_align_corners_option_changes_the_warp(random_net, tmp_path):
    path = save_official(random_net, tmp_path / "SuperSloMo.ckpt")
    rng = np.random.default_rng(1)
    f0, f1 = (rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2))
    trained = SuperSloMo(weights=path).interpolate(f0, f1, 0.5)
    modern = SuperSloMo(weights=path, align_corners=False).interpolate(f0, f1, 0.5)
    assert np.abs(trained - modern).max() > 1e-3
