"""State-dict layout (SPEC §5.1), checkpoint loading errors and save/load round trips."""

import json
from pathlib import Path

import pytest
import torch

from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.methods.animeinterp import AnimeInterp
from atdkit.methods.animeinterp.checkpoint import load_checkpoint, read_state_dict, save_checkpoint
from atdkit.methods.animeinterp.model import AnimeInterpNet

EXPECTED = json.loads((Path(__file__).parent / "checkpoint_keys.json").read_text())["keys"]


def random_net(seed=0):
    torch.manual_seed(seed)
    net = AnimeInterpNet()
    with torch.no_grad():  # PReLU slopes are all 0.25 by default: make every tensor distinct
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return net.eval()


def test_state_dict_names_and_shapes_equal_the_released_checkpoint():
    got = [("module." + k, list(v.shape)) for k, v in AnimeInterpNet().state_dict().items()]
    assert got == [(k, s) for k, s in EXPECTED]
    assert sum(torch.Size(s).numel() for _, s in EXPECTED) == 6_208_706


def small_inputs(seed=1, h=64, w=72):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, 3, h, w, generator=g), torch.rand(1, 3, h, w, generator=g),
            torch.randn(1, 2, h, w, generator=g) * 2, torch.randn(1, 2, h, w, generator=g) * 2)


def test_save_load_round_trip_is_bit_identical(tmp_path):
    net = random_net()
    path = save_checkpoint(net, tmp_path / "anime_interp_full.ckpt")
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"model_state_dict"} and all(k.startswith("module.") for k in raw["model_state_dict"])
    loaded = load_checkpoint(AnimeInterpNet(), path).eval()
    inputs = small_inputs()
    with torch.no_grad():
        a, b = net(*inputs, 0.5), loaded(*inputs, 0.5)
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def test_unprefixed_keys_are_accepted(tmp_path):
    net = random_net(3)
    torch.save({"model_state_dict": net.state_dict()}, tmp_path / "bare.ckpt")
    loaded = load_checkpoint(AnimeInterpNet(), tmp_path / "bare.ckpt")
    assert torch.equal(loaded.synnet.residual_model_tail[3].weight, net.synnet.residual_model_tail[3].weight)


def one_line(exc):
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_partial_checkpoint_names_the_missing_keys(tmp_path):
    state = {"module." + k: v for k, v in AnimeInterpNet().state_dict().items()}
    del state["module.synnet.upsample_model_15.4.bias"]
    torch.save({"model_state_dict": state}, tmp_path / "partial.ckpt")
    with pytest.raises(WeightsMismatch) as exc:
        load_checkpoint(AnimeInterpNet(), tmp_path / "partial.ckpt")
    text = one_line(exc)
    assert "partial.ckpt" in text and "1 of 220 weights missing" in text and "upsample_model_15.4.bias" in text


def test_wrong_shape_and_unexpected_keys_are_reported(tmp_path):
    state = {"module." + k: v for k, v in AnimeInterpNet().state_dict().items()}
    state["module.feat_ext.conv1.weight"] = torch.zeros(16, 3, 3, 3)
    state["module.flownet.cnet.conv1.weight"] = torch.zeros(1)
    torch.save({"model_state_dict": state}, tmp_path / "odd.ckpt")
    with pytest.raises(WeightsMismatch) as exc:
        load_checkpoint(AnimeInterpNet(), tmp_path / "odd.ckpt")
    text = one_line(exc)
    assert "1 unexpected (flownet.cnet.conv1.weight)" in text and "feat_ext.conv1.weight: (16, 3, 3, 3)" in text


@pytest.mark.parametrize("payload, needle", [
    ({"state_dict": {}}, "no 'model_state_dict'"),
    ([1, 2, 3], "no 'model_state_dict'"),
    (b"not a torch file at all", "not a readable PyTorch checkpoint"),
])
def test_wrong_files_give_one_line_errors(tmp_path, payload, needle):
    path = tmp_path / "wrong.ckpt"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        torch.save(payload, path)
    with pytest.raises(WeightsMismatch) as exc:
        read_state_dict(path)
    text = one_line(exc)
    assert needle in text and str(path) in text and "atdkit weights fetch animeinterp-full" in text


def test_missing_file_and_missing_registry_weights(tmp_path, monkeypatch):
    with pytest.raises(WeightsMissing) as exc:
        read_state_dict(tmp_path / "absent.ckpt")
    assert "absent.ckpt" in one_line(exc)
    monkeypatch.setenv("ATDKIT_WEIGHTS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsMissing) as exc:
        AnimeInterp()
    assert "anime_interp_full.ckpt" in one_line(exc)


def test_interpolator_loads_weights_from_weights_dir(tmp_path, monkeypatch):
    net = random_net(5)
    save_checkpoint(net, tmp_path / "anime_interp_full.ckpt")
    monkeypatch.setenv("ATDKIT_WEIGHTS_DIR", str(tmp_path))
    method = AnimeInterp()
    assert torch.equal(method.net.feat_ext.prelu3.weight, net.feat_ext.prelu3.weight)
