"""Correlation of feature maps: the local cost volume of FlowNet/PWC-Net and RAFT's
all-pairs correlation pyramid with windowed lookup (Teed & Deng 2020).

:func:`local_correlation` (PWC-Net, Sun et al. 2018, as in the CuPy kernel of the PyTorch
port the released PWC-Net weights run with): channel ``(dy + d)·(2d + 1) + (dx + d)`` at
pixel (y, x) is the mean over feature channels of ``first[y, x] · second[y + dy, x + dx]``,
for |dx|, |dy| ≤ d, with zeros outside ``second``. SoftSplat's flow estimator
(sniklaus/softmax-splatting) uses the same volume with d = 4 (its CuPy kernel computes this).

RAFT conventions (those RAFT's released weights, and AnimeInterp's RFR, depend on):

* the volume is the dot product of every pair of feature vectors divided by
  sqrt(feature channels);
* level l of the pyramid average-pools the *target* dimensions by 2^l
  (2×2 average pooling applied l times, odd sizes floored);
* lookup samples a (2r+1)×(2r+1) window around ``coords / 2^l`` bilinearly
  with zero padding and ``align_corners=True`` pixel normalisation;
* channel order within a level is ``i·(2r+1) + j`` where the offset added to
  **x is (i − r)** and the offset added to **y is (j − r)** (RAFT's
  ``meshgrid(dy, dx)`` quirk); levels are concatenated, finest first.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from atdkit.ops.warp import sample_at


def all_pairs_correlation(fmap1: torch.Tensor, fmap2: torch.Tensor) -> torch.Tensor:
    """(B,D,H,W) × (B,D,H,W) → (B·H·W, 1, H, W): source pixel rows, target map per row, / sqrt(D)."""
    b, d, h, w = fmap1.shape
    corr = torch.matmul(fmap1.reshape(b, d, h * w).transpose(1, 2), fmap2.reshape(b, d, h * w))
    return corr.div_(math.sqrt(d)).reshape(b * h * w, 1, h, w)  # in place: the volume is the big tensor


def local_correlation(first: torch.Tensor, second: torch.Tensor, max_displacement: int = 4) -> torch.Tensor:
    """(B,C,H,W) × (B,C,H,W) → (B, (2d+1)², H, W) cost volume (module docstring), one fused
    multiply-and-mean over all pixels and channels per displacement."""
    d = max_displacement
    b, c, h, w = first.shape
    padded = F.pad(second, (d, d, d, d))
    out = first.new_empty((b, (2 * d + 1) ** 2, h, w))
    for k in range((2 * d + 1) ** 2):
        dy, dx = divmod(k, 2 * d + 1)
        out[:, k] = (first * padded[:, :, dy:dy + h, dx:dx + w]).mean(1)
    return out


def window_offsets(radius: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """(2r+1, 2r+1, 2) offsets (dx, dy); [i, j] = (i − r, j − r), the RAFT channel order."""
    steps = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    dx, dy = torch.meshgrid(steps, steps, indexing="ij")
    return torch.stack([dx, dy], -1)


class CorrelationPyramid:
    """Correlation pyramid of two feature maps with :meth:`lookup` at flow coordinates."""

    def __init__(self, fmap1: torch.Tensor, fmap2: torch.Tensor, levels: int = 4, radius: int = 4):
        self.radius = radius
        self.batch, _, self.height, self.width = fmap1.shape
        corr = all_pairs_correlation(fmap1.float(), fmap2.float())
        self.levels = [corr]
        for _ in range(levels - 1):
            corr = F.avg_pool2d(corr, 2, stride=2)
            self.levels.append(corr)

    @property
    def channels(self) -> int:
        return len(self.levels) * (2 * self.radius + 1) ** 2

    def lookup(self, coords: torch.Tensor) -> torch.Tensor:
        """Correlation windows at ``coords`` (B,2,H,W) target pixel positions (x, y) → (B, L·(2r+1)², H, W).

        The result is stored channels-last (NHWC strides), the order it is gathered in and the layout
        the convolutions that consume it run fastest with; call ``.contiguous()`` for NCHW strides.
        """
        b, _, h, w = coords.shape
        k = 2 * self.radius + 1
        centres = coords.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
        offsets = window_offsets(self.radius, coords.device, coords.dtype).view(1, k, k, 2)
        out = []
        for level, corr in enumerate(self.levels):
            sampled = sample_at(corr, centres / 2**level + offsets, align_corners=True)
            out.append(sampled.view(b, h, w, k * k))
        return torch.cat(out, -1).permute(0, 3, 1, 2)
