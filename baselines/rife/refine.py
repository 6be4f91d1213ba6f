"""RIFE v4.0's optional refinement: a context pyramid warped to t and a U-Net that
predicts a residual added to the blended frame (used outside the fast mode).

Parameter names equal the released ``contextnet.*`` / ``unet.*`` keys: each
convolution is ``nn.Sequential(conv, PReLU)``; ``Conv2`` = two of them (the first
strided); the up path uses ConvTranspose(4, 2, 1) + PReLU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.warp import backward_warp

BASE = 16  # channel unit of the context pyramid and the U-Net


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.PReLU(cout))


def _deconv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.PReLU(cout))


class Conv2(nn.Module):
    """Two conv + PReLU layers, the first with ``stride``."""

    def __init__(self, cin: int, cout: int, stride: int = 2) -> None:
        super().__init__()
        self.conv1 = _conv(cin, cout, stride)
        self.conv2 = _conv(cout, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class ContextNet(nn.Module):
    """Four-level feature pyramid of one frame (1/2 … 1/16), each level backward-warped
    by the frame's flow to t (flow halved in size and magnitude per level)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = Conv2(3, BASE)
        self.conv2 = Conv2(BASE, 2 * BASE)
        self.conv3 = Conv2(2 * BASE, 4 * BASE)
        self.conv4 = Conv2(4 * BASE, 8 * BASE)

    def forward(self, img: torch.Tensor, flow: torch.Tensor) -> list[torch.Tensor]:
        levels = []
        x = img
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            x = conv(x)
            flow = F.interpolate(flow, scale_factor=0.5, mode="bilinear", align_corners=False) * 0.5
            levels.append(backward_warp(x, flow, align_corners=True, padding_mode="border", convention="rife"))
        return levels


class RefineUNet(nn.Module):
    """U-Net over (frames, warped frames, mask logits, flows) and both context pyramids;
    returns sigmoid outputs whose first 3 channels map to a residual in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.down0 = Conv2(17, 2 * BASE)
        self.down1 = Conv2(4 * BASE, 4 * BASE)
        self.down2 = Conv2(8 * BASE, 8 * BASE)
        self.down3 = Conv2(16 * BASE, 16 * BASE)
        self.up0 = _deconv(32 * BASE, 8 * BASE)
        self.up1 = _deconv(16 * BASE, 4 * BASE)
        self.up2 = _deconv(8 * BASE, 2 * BASE)
        self.up3 = _deconv(4 * BASE, BASE)
        self.conv = nn.Conv2d(BASE, 3, 3, 1, 1)

    def forward(self, img0, img1, warped0, warped1, mask, flow, c0, c1) -> torch.Tensor:
        s0 = self.down0(torch.cat([img0, img1, warped0, warped1, mask, flow], 1))
        s1 = self.down1(torch.cat([s0, c0[0], c1[0]], 1))
        s2 = self.down2(torch.cat([s1, c0[1], c1[1]], 1))
        s3 = self.down3(torch.cat([s2, c0[2], c1[2]], 1))
        x = self.up0(torch.cat([s3, c0[3], c1[3]], 1))
        x = self.up1(torch.cat([x, s2], 1))
        x = self.up2(torch.cat([x, s1], 1))
        x = self.up3(torch.cat([x, s0], 1))
        return torch.sigmoid(self.conv(x))
