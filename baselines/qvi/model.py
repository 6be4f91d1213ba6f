"""QVI, quadratic video interpolation (Xu et al., NeurIPS 2019), as released in xuxy09/QVI, in pure PyTorch.

For frames I0, I1, I2, I3 at times −1, 0, 1, 2 (B, 3, H, W, minus :data:`TRAINING_MEAN`, H and W
multiples of :data:`SIZE_MULTIPLE`) and t in (0, 1), the frame between I1 and I2:

1. PWC-Net flows F12, F21 and, with the outer frames, F10, F23 (:class:`~atdkit.baselines.pwcnet.PWCNet`).
2. Flows from I1 and I2 to time t: quadratic (paper eq. 3, :func:`quadratic_flows`) with four
   frames, ``t·F12`` and ``(1−t)·F21`` (linear motion) without them.
3. Flow reversal (:func:`reverse_flow`): each flow is splatted onto the pixels around where it
   lands, weighted by a Gaussian of the distance, exp(−d²), normalised and negated, giving Ft1, Ft2.
4. The flow-filtering U-Net (Super SloMo's U-Net, 20 → 8 channels, also returning its last 32
   features) sees I1, I2, their warps by Ft1, Ft2, F12, F21, Ft1, Ft2; its outputs 4:6 and 6:8
   (10·tanh) resample the reversed flows (adaptive filtering) and 0:2, 2:4 are added residuals.
5. A three-layer mask network on the two refined warps and the U-Net features gives M = σ(·);
   the frame is ((1−t)·M·I1' + t·(1−M)·I2') / ((1−t)·M + t·(1−M)).

Warping is the repository's ``backwarp`` (Super SloMo's grid, :func:`~atdkit.ops.warp.backward_warp`
``convention="superslomo"``). ``align_corners`` is every grid sampling's (QVI's README pins PyTorch
1.5.1, where grid_sample's default is False). Parameter names equal the released ``model.pt``'s
(``flownet.``, ``refinenet.``, ``masknet.``; the file adds DataParallel's ``module.``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.baselines.pwcnet import PWCNet
from atdkit.ops.warp import backward_warp
from atdkit.baselines.superslomo.model import UNet

SIZE_MULTIPLE = 32  # the U-Net's five 2× poolings (PWC-Net resizes to 64 itself)
TRAINING_MEAN = (0.429, 0.431, 0.397)  # configs/*.py ``mean``; std is 1
FILTER_RANGE = 10.0  # the adaptive filter's offsets are 10·tanh(·) pixels


def quadratic_flows(f10, f12, f21, f23, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(F1t, F2t): flows from frame 1 and frame 2 to time t under constant acceleration (paper eq. 3)."""
    s = 1 - t
    return (0.5 * ((t + t * t) * f12 - (t - t * t) * f10),
            0.5 * ((s + s * s) * f21 - (s - s * s) * f23))


def gaussian_splat(values: torch.Tensor, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-splat ``values`` (B,C,H,W) along ``flow`` (B,2,H,W) pixels: a source pixel (x, y)
    lands at (x+u, y+v) and adds to each of the four surrounding pixels (inside the image) its
    value times exp(−(dx² + dy²)), the squared distance to that pixel. Returns (sums, weights),
    weights (B,C,H,W) like the official layer (the same in every channel)."""
    b, c, h, w = values.shape
    x0 = torch.floor(flow[:, 0])
    y0 = torch.floor(flow[:, 1])
    rows = torch.arange(h, device=flow.device).view(1, h, 1)
    cols = torch.arange(w, device=flow.device).view(1, 1, w)
    sums = values.new_zeros((b, c, h * w))
    weights = values.new_zeros((b, c, h * w))
    flat = values.reshape(b, c, h * w)
    for dy in (0, 1):
        for dx in (0, 1):
            weight = torch.exp(-((flow[:, 0] - (x0 + dx)) ** 2 + (flow[:, 1] - (y0 + dy)) ** 2))
            ty = y0.long() + dy + rows
            tx = x0.long() + dx + cols
            inside = (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
            weight = torch.where(inside, weight, torch.zeros_like(weight)).reshape(b, 1, h * w)
            index = torch.where(inside, ty * w + tx, torch.zeros_like(tx)).reshape(b, 1, h * w).expand(b, c, h * w)
            sums.scatter_add_(2, index, flat * weight)
            weights.scatter_add_(2, index, weight.expand(b, c, h * w))
    return sums.view(b, c, h, w), weights.view(b, c, h, w)


def reverse_flow(flow: torch.Tensor) -> torch.Tensor:
    """Flow reversal: the flow from time t back to the frame, from the frame's flow to t
    (−splatted flow / splatted weight where any weight landed, 0 elsewhere)."""
    sums, weights = gaussian_splat(flow, flow)
    covered = weights > 0
    return torch.where(covered, -sums / torch.where(covered, weights, torch.ones_like(weights)), -sums)


class MaskNet(nn.Module):
    """QVI's ``SmallMaskNet``: 5×5 → 32, 3×3 → 16 (leaky ReLU 0.1), 3×3 → 1 logit."""

    def __init__(self, cin: int = 38, cout: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(16, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv1(x), negative_slope=0.1)
        return self.conv3(F.leaky_relu(self.conv2(x), negative_slope=0.1))


class QVINet(nn.Module):
    def __init__(self, align_corners: bool = False) -> None:
        super().__init__()
        self.flownet = PWCNet(align_corners)
        self.refinenet = UNet(20, 8)
        self.masknet = MaskNet(38, 1)
        self.align_corners = align_corners

    @property
    def align_corners(self) -> bool:
        return self._align_corners

    @align_corners.setter
    def align_corners(self, value: bool) -> None:
        self._align_corners = bool(value)
        self.flownet.align_corners = bool(value)

    def warp(self, img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return backward_warp(img, flow, align_corners=self.align_corners, convention="superslomo")

    def forward(self, i0: torch.Tensor | None, i1: torch.Tensor, i2: torch.Tensor, i3: torch.Tensor | None,
                t: float) -> torch.Tensor:
        """The frame at ``t`` between ``i1`` and ``i2``; ``i0``/``i3`` None: the linear case."""
        f12, f21 = self.flownet(i1, i2), self.flownet(i2, i1)
        if i0 is not None and i3 is not None:
            f1t, f2t = quadratic_flows(self.flownet(i1, i0), f12, f21, self.flownet(i2, i3), t)
        else:
            f1t, f2t = t * f12, (1 - t) * f21
        ft1, ft2 = reverse_flow(f1t), reverse_flow(f2t)
        out, features = self.refinenet.forward_with_features(
            torch.cat([i1, i2, self.warp(i1, ft1), self.warp(i2, ft2), f12, f21, ft1, ft2], 1))
        ft1 = self.warp(ft1, FILTER_RANGE * torch.tanh(out[:, 4:6])) + out[:, :2]
        ft2 = self.warp(ft2, FILTER_RANGE * torch.tanh(out[:, 6:8])) + out[:, 2:4]
        g1, g2 = self.warp(i1, ft1), self.warp(i2, ft2)
        m = torch.sigmoid(self.masknet(torch.cat([g1, g2, features], 1)))
        return ((1 - t) * m * g1 + t * (1 - m) * g2) / ((1 - t) * m + t * (1 - m))
