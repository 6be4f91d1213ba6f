"""DAIN's depth network: the MegaDepth hourglass (Li & Snavely 2018; the "relative depth in the
wild" hourglass of Chen et al. 2016), laid out as baowenbo/DAIN ``MegaDepth/pytorch_DIW_scratch.py``
names its parameters (a Torch7 model converted to nested ``nn.Sequential``), so that the
``depthNet.*`` entries of DAIN's ``best.pth`` load by name.

The network maps an RGB frame in [0, 1] to log depth (one channel, same size; sides multiples of
16): a 7×7 convolution to 128 channels with batch norm and ReLU, four nested hourglass levels and a
3×3 convolution to one channel. Each level adds a skip path at its own resolution to a deep path
that pools by 2 (max pooling on the outer two levels, average pooling on the inner two), runs the
next level between inception blocks and upsamples (nearest) by 2. An inception block concatenates
a 1×1 convolution and three 1×1 → k×k convolutions (each convolution followed by batch norm
without affine parameters, then ReLU).
"""

from __future__ import annotations

import torch
from torch import nn

# Inception blocks: (input channels, 1×1 width, three (kernel, reduced width, width) branches).
A = (128, 32, ((3, 32, 32), (5, 32, 32), (7, 32, 32)))  # 128 → 128
B = (128, 64, ((3, 32, 64), (5, 32, 64), (7, 32, 64)))  # 128 → 256
C = (256, 64, ((3, 32, 64), (5, 32, 64), (7, 32, 64)))  # 256 → 256
D = (256, 64, ((3, 64, 64), (7, 64, 64), (11, 64, 64)))  # 256 → 256
E = (256, 32, ((3, 32, 32), (5, 32, 32), (7, 32, 32)))  # 256 → 128
F = (128, 32, ((3, 64, 32), (5, 64, 32), (7, 64, 32)))  # 128 → 128
G = (128, 32, ((3, 64, 32), (7, 64, 32), (11, 64, 32)))  # 128 → 128
H = (128, 16, ((3, 32, 16), (7, 32, 16), (11, 32, 16)))  # 128 → 64
I = (128, 16, ((3, 64, 16), (7, 64, 16), (11, 64, 16)))  # 128 → 64


def _conv_bn_relu(cin: int, cout: int, k: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, padding=(k - 1) // 2), nn.BatchNorm2d(cout, affine=False), nn.ReLU()]


class Inception(nn.Module):
    """Four convolution paths concatenated along channels (children ``0`` … ``3``, as released)."""

    def __init__(self, spec) -> None:
        super().__init__()
        cin, width, branches = spec
        self.add_module("0", nn.Sequential(*_conv_bn_relu(cin, width, 1)))
        for n, (k, reduced, out) in enumerate(branches, 1):
            self.add_module(str(n), nn.Sequential(*_conv_bn_relu(cin, reduced, 1), *_conv_bn_relu(reduced, out, k)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([path(x) for path in self.children()], 1)


class Level(nn.Module):
    """The sum of two paths over the same input; the released names put them under child ``0``
    (as ``0.0`` and ``0.1``: deep first on the outer levels, skip first on the inner ones)."""

    def __init__(self, first: nn.Module, second: nn.Module) -> None:
        super().__init__()
        self.add_module("0", nn.ModuleList([first, second]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = self.get_submodule("0")
        return first(x) + second(x)


def _blocks(*specs) -> list[nn.Module]:
    return [Inception(spec) for spec in specs]


def _up() -> nn.Module:
    return nn.UpsamplingNearest2d(scale_factor=2)


def hourglass() -> nn.Sequential:
    """The depth network (module docstring), children numbered as in the release."""
    level4 = Level(nn.Sequential(*_blocks(C, C)), nn.Sequential(nn.AvgPool2d(2, 2), *_blocks(C, C, C), _up()))
    level3 = Level(nn.Sequential(*_blocks(C, D)),
                   nn.Sequential(nn.AvgPool2d(2, 2), *_blocks(C, C), level4, *_blocks(C, D), _up()))
    level2 = Level(nn.Sequential(nn.MaxPool2d(2, 2), *_blocks(A, B), level3, *_blocks(C, E), _up()),
                   nn.Sequential(*_blocks(A, G)))
    level1 = Level(nn.Sequential(nn.MaxPool2d(2, 2), *_blocks(A, A), level2, *_blocks(F, H), _up()),
                   nn.Sequential(*_blocks(I)))
    return nn.Sequential(nn.Conv2d(3, 128, 7, padding=3), nn.BatchNorm2d(128), nn.ReLU(), level1,
                         nn.Conv2d(64, 1, 3, padding=1))
