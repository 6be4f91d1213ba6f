"""RFR's feature encoder: RAFT's BasicEncoder without normalisation layers (``fnet.*``).

conv1 7×7 stride 2 (3→64) + ReLU; layer1 = 2 residual blocks of 64; layer2 =
64→96 (stride 2, 1×1 projection) + 96; layer3 = 96→128 (stride 2) + 128;
conv2 1×1 (128→``output_dim``). Output at 1/8 resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    """conv3×3 → ReLU → conv3×3 → ReLU, then ReLU(skip + y); 1×1 strided projection when stride ≠ 1."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride)) if stride != 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.conv2(F.relu(self.conv1(x))))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(skip + y)


class BasicEncoder(nn.Module):
    def __init__(self, output_dim: int = 256):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.layer1 = nn.Sequential(ResidualBlock(64, 64), ResidualBlock(64, 64))
        self.layer2 = nn.Sequential(ResidualBlock(64, 96, stride=2), ResidualBlock(96, 96))
        self.layer3 = nn.Sequential(ResidualBlock(96, 128, stride=2), ResidualBlock(128, 128))
        self.conv2 = nn.Conv2d(128, output_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))
