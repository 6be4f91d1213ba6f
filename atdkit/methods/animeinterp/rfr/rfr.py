"""RFR: recurrent flow refinement initialised by the SGM flow (AnimeInterp §4.2).

Quirks of the released code that the checkpoint depends on, kept here:

* images are bilinearly *resized* (align_corners=False) to multiples of 8,
  not padded; the result is rescaled and resized back;
* one shared encoder ``fnet`` gives both matching features and the context
  (split 128 tanh / 128 ReLU); the official code runs it a second time on
  image 1 for the context, here its image-1 output is reused (same weights,
  same input: equal up to float rounding, see the tests);
* the initial flow is nearest-resized to the 1/8 grid, scaled, and added to
  the coordinates **twice** (before the loop and again at iteration 0);
* the ErrorAttention branch (``attention2``) is part of the checkpoint but its
  masked flow is never used by the released code; it is evaluated here only
  when ``return_error=True`` and never changes the flow;
* correlation lookup and backward warping use ``align_corners=True``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.methods.animeinterp.rfr.extractor import BasicEncoder
from atdkit.methods.animeinterp.rfr.update import BasicUpdateBlock
from atdkit.ops.correlation import CorrelationPyramid
from atdkit.ops.warp import backward_warp, pixel_grid

CORR_LEVELS = 4
CORR_RADIUS = 4
HIDDEN = 128
CONTEXT = 128


class ErrorAttention(nn.Module):
    """conv5×5 (6→32) + PReLU; [conv3×3 (32→32), input] + PReLU; conv3×3 (38→1)."""

    def __init__(self, inputs: int = 6, outputs: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32 + inputs, outputs, 3, padding=1)
        self.prelu1 = nn.PReLU()
        self.prelu2 = nn.PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.prelu1(self.conv1(x))
        return self.conv3(self.prelu2(torch.cat([self.conv2(y), x], 1)))


def convex_upsample(flow: torch.Tensor, mask: torch.Tensor, factor: int = 8) -> torch.Tensor:
    """Convex upsampling (RAFT): (B,2,h,w) flow, (B,9·f²,h,w) mask logits → (B,2,f·h,f·w).

    Each fine pixel is a softmax-weighted combination of the 3×3 coarse
    neighbourhood (zero padded) of ``factor``·flow.
    """
    b, _, h, w = flow.shape
    weights = torch.softmax(mask.view(b, 1, 9, factor, factor, h, w), dim=2)
    neighbours = F.unfold(factor * flow, 3, padding=1).view(b, 2, 9, 1, 1, h, w)
    up = (weights * neighbours).sum(2)  # (b, 2, f, f, h, w)
    return up.permute(0, 1, 4, 2, 5, 3).reshape(b, 2, factor * h, factor * w)


def resize_flow_nearest(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Legacy-'nearest' resize of a (B,2,H,W) pixel flow to ``size`` with x, y rescaled to the new grid."""
    out = F.interpolate(flow, size=size, mode="nearest")
    scale = torch.tensor([size[1] / flow.shape[3], size[0] / flow.shape[2]], dtype=flow.dtype, device=flow.device)
    return out * scale.view(1, 2, 1, 1)


class RFR(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention2 = ErrorAttention(6, 1)
        self.fnet = BasicEncoder(output_dim=HIDDEN + CONTEXT)
        self.update_block = BasicUpdateBlock(CORR_LEVELS * (2 * CORR_RADIUS + 1) ** 2, HIDDEN, CONTEXT)

    def error_map(self, image1: torch.Tensor, image2: torch.Tensor, init: torch.Tensor) -> torch.Tensor:
        """The released code's (unused) confidence input: Σ_c |warp(image2, init) − image1| at 1/8."""
        size = init.shape[2:]
        im1 = F.interpolate(image1, size=size, mode="bilinear", align_corners=False)
        im2 = F.interpolate(image2, size=size, mode="bilinear", align_corners=False)
        return (backward_warp(im2, init, align_corners=True) - im1).abs().sum(1, keepdim=True)

    def _resized(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[2:]
        h8, w8 = h // 8 * 8, w // 8 * 8
        if (h8, w8) == (h, w):
            return image
        return F.interpolate(image, size=(h8, w8), mode="bilinear", align_corners=False)

    def _refine(self, fmap1: torch.Tensor, fmap2: torch.Tensor, init: torch.Tensor | None, iters: int,
                size: tuple[int, int]) -> torch.Tensor:
        """The recurrent loop from 1/8-res features to a full-size (``size``) flow."""
        if iters < 1:
            raise ValueError(f"RFR needs at least one iteration, got {iters}")
        b, _, gh, gw = fmap1.shape
        h, w = size
        corr = CorrelationPyramid(fmap1, fmap2, CORR_LEVELS, CORR_RADIUS)
        net, inp = torch.split(fmap1, [HIDDEN, CONTEXT], 1)
        net, terms = torch.tanh(net), self.update_block.context_terms(torch.relu(inp))
        coords0 = pixel_grid(b, gh, gw, device=fmap1.device, dtype=fmap1.dtype)
        coords1 = coords0 if init is None else (coords0 + init) + init  # the init is added twice
        for i in range(iters):
            coords1 = coords1.detach()
            last = i == iters - 1
            net, mask, delta = self.update_block(net, terms, corr.lookup(coords1), coords1 - coords0, with_mask=last)
            coords1 = coords1 + delta
        del corr
        up = convex_upsample(coords1 - coords0, mask)
        h8, w8 = up.shape[2:]
        up = up * torch.tensor([w / w8, h / h8], dtype=up.dtype, device=up.device).view(1, 2, 1, 1)
        if (h8, w8) != (h, w):
            up = F.interpolate(up, size=(h, w), mode="bilinear", align_corners=False)
        return up

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, iters: int = 12,
                flow_init: torch.Tensor | None = None, return_error: bool = False):
        """Flow from image1 to image2 (both (B,3,H,W) in [−1, 1]).

        Returns ``(flow (B,2,H,W) pixels, init at 1/8 or None)``, plus the
        error map when ``return_error`` (None without an init).
        """
        b, _, h, w = image1.shape
        grid = (h // 8, w // 8)
        init = None if flow_init is None else resize_flow_nearest(flow_init, grid)
        error = None if init is None or not return_error else self.error_map(image1, image2, init)
        fmaps = self.fnet(torch.cat([self._resized(image1), self._resized(image2)], 0))
        flow = self._refine(fmaps[:b], fmaps[b:], init, iters, (h, w))
        return (flow, init, error) if return_error else (flow, init)

    def bidirectional(self, image1: torch.Tensor, image2: torch.Tensor, init12: torch.Tensor | None,
                      init21: torch.Tensor | None, iters: int = 12):
        """Both directions at once: ``forward(image1, image2, init12)`` and ``forward(image2, image1, init21)``.

        The encoder runs once on the pair (the official code runs it on the
        same images again for each direction); the two refinements then run
        one after the other so that only one correlation volume is alive at a
        time. Returns ``(F12, F21, init12 at 1/8, init21 at 1/8)``.
        """
        b, _, h, w = image1.shape
        grid = (h // 8, w // 8)
        small12 = None if init12 is None else resize_flow_nearest(init12, grid)
        small21 = None if init21 is None else resize_flow_nearest(init21, grid)
        fmaps = self.fnet(torch.cat([self._resized(image1), self._resized(image2)], 0))
        fmap1, fmap2 = fmaps[:b], fmaps[b:]
        flow12 = self._refine(fmap1, fmap2, small12, iters, (h, w))
        flow21 = self._refine(fmap2, fmap1, small21, iters, (h, w))
        return flow12, flow21, small12, small21
