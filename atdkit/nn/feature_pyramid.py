"""Three-level PReLU feature pyramid (AnimeInterp's ``FeatureExtractor``, ``feat_ext.*``).

conv1, conv2 → level 1 (``widths[0]`` channels, full resolution);
conv3 (stride 2), conv4 → level 2 (``widths[1]``, 1/2);
conv5 (stride 2), conv6 → level 3 (``widths[2]``, 1/4).
All 3×3 with padding 1, each followed by its own single-parameter PReLU
(``prelu1`` … ``prelu6``). AnimeInterp feeds it images mapped to [−1, 1]. GMFSS-union's ``feat_ext`` is the same
with a stride-2 ``conv1`` (``first_stride=2``: levels at 1/2, 1/4, 1/8).
"""

from __future__ import annotations

import torch
from torch import nn


class FeaturePyramid(nn.Module):
    def __init__(self, in_channels: int = 3, widths: tuple[int, int, int] = (32, 64, 96), first_stride: int = 1):
        super().__init__()
        w1, w2, w3 = widths
        self.conv1 = nn.Conv2d(in_channels, w1, 3, stride=first_stride, padding=1)
        self.prelu1 = nn.PReLU()
        self.conv2 = nn.Conv2d(w1, w1, 3, padding=1)
        self.prelu2 = nn.PReLU()
        self.conv3 = nn.Conv2d(w1, w2, 3, stride=2, padding=1)
        self.prelu3 = nn.PReLU()
        self.conv4 = nn.Conv2d(w2, w2, 3, padding=1)
        self.prelu4 = nn.PReLU()
        self.conv5 = nn.Conv2d(w2, w3, 3, stride=2, padding=1)
        self.prelu5 = nn.PReLU()
        self.conv6 = nn.Conv2d(w3, w3, 3, padding=1)
        self.prelu6 = nn.PReLU()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B,C,H,W) → features at 1, 1/2, 1/4 of the input resolution (÷ first_stride)."""
        x1 = self.prelu2(self.conv2(self.prelu1(self.conv1(x))))
        x2 = self.prelu4(self.conv4(self.prelu3(self.conv3(x1))))
        x3 = self.prelu6(self.conv6(self.prelu5(self.conv5(x2))))
        return x1, x2, x3
