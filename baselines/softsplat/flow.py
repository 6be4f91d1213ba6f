"""The optical-flow estimator of SoftSplat's released ``lf`` model, in pure PyTorch.

A six-level feature pyramid (two 3×3 convolutions per level, the first of stride 2, leaky ReLU
0.1; 16, 32, 64, 96, 128, 192 channels) runs on both frames. Coarse to fine, one decoder per level
estimates the flow from the first frame's features to the second's: at the coarsest level from the
features and their 81-channel local cost volume (:func:`~atdkit.ops.correlation.local_correlation`,
displacements up to 4, mean over channels, no activation after it); at every finer level from the
features, the cost volume against the second frame's features backward-warped by the previous
level's flow (resized bilinearly, ``align_corners=False``, and scaled by the width ratio) and that
flow. Each decoder (five 3×3 convolutions with leaky ReLU, 128-128-96-64-32, then one to 2
channels) outputs the flow itself, not a residual. The finest decoder works at half resolution;
its flow is resized to the input size and scaled by the width ratio. Flows are in pixels,
channel 0 = x. Both directions come from the same decoders with the frames swapped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.correlation import local_correlation
from atdkit.ops.warp import backward_warp

PYRAMID_WIDTHS = (16, 32, 64, 96, 128, 192)  # feature channels, finest level first
DECODER_WIDTHS = (128, 128, 96, 64, 32)
MAX_DISPLACEMENT = 4
VOLUME_CHANNELS = (2 * MAX_DISPLACEMENT + 1) ** 2
LEVEL_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth")  # the official level names
SLOPE = 0.1


def backwarp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The official ``backwarp``: bilinear, zeros outside, grid = linspace(−1, 1) + flow / ((size − 1) / 2)."""
    return backward_warp(x, flow, align_corners=True, padding_mode="zeros", convention="rife")


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize (``align_corners=False``) to ``size`` (H, W), values scaled by the width ratio."""
    return F.interpolate(flow, size=size, mode="bilinear", align_corners=False) * (float(size[1]) / float(flow.shape[3]))


class Extractor(nn.Module):
    """The six-level pyramid; returns the features finest first."""

    def __init__(self) -> None:
        super().__init__()
        cin = 3
        for name, width in zip(LEVEL_NAMES, PYRAMID_WIDTHS):
            self.add_module(name, nn.Sequential(
                nn.Conv2d(cin, width, 3, stride=2, padding=1), nn.LeakyReLU(SLOPE),
                nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(SLOPE)))
            cin = width

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for name in LEVEL_NAMES:
            x = getattr(self, name)(x)
            features.append(x)
        return features


class Decoder(nn.Module):
    """One level's flow decoder (``main``: the official ``netMain`` sequence)."""

    def __init__(self, features: int, coarsest: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = features + VOLUME_CHANNELS + (0 if coarsest else 2)
        for width in DECODER_WIDTHS:
            layers += [nn.Conv2d(cin, width, 3, padding=1), nn.LeakyReLU(SLOPE)]
            cin = width
        layers.append(nn.Conv2d(cin, 2, 3, padding=1))
        self.main = nn.Sequential(*layers)

    def forward(self, one: torch.Tensor, two: torch.Tensor, previous: torch.Tensor | None) -> torch.Tensor:
        if previous is None:
            return self.main(torch.cat([one, local_correlation(one, two, MAX_DISPLACEMENT)], 1))
        flow = F.interpolate(previous, size=one.shape[2:], mode="bilinear", align_corners=False) \
            / float(previous.shape[3]) * float(one.shape[3])
        volume = local_correlation(one, backwarp(two, flow), MAX_DISPLACEMENT)
        return self.main(torch.cat([one, volume, flow], 1))


class FlowEstimator(nn.Module):
    """Both flows (frame 1 → 2, frame 2 → 1) at the input resolution, in pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.extractor = Extractor()
        for name, width in zip(LEVEL_NAMES, PYRAMID_WIDTHS):
            self.add_module(name, Decoder(width, coarsest=name == LEVEL_NAMES[-1]))

    def forward(self, one: torch.Tensor, two: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        size = one.shape[2:]
        pyramid_one, pyramid_two = self.extractor(one), self.extractor(two)
        forward = backward = None
        for level in reversed(range(len(LEVEL_NAMES))):
            decoder = getattr(self, LEVEL_NAMES[level])
            forward = decoder(pyramid_one[level], pyramid_two[level], forward)
            backward = decoder(pyramid_two[level], pyramid_one[level], backward)
        return resize_flow(forward, size), resize_flow(backward, size)
