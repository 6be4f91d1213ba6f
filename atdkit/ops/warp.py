"""Backward warping of tensors with ``grid_sample`` (bilinear, pixel units).

``backward_warp(img, flow)[b, :, y, x] = img[b, :, y + v, x + u]`` with
``flow[:, 0] = u`` (x) and ``flow[:, 1] = v`` (y) in pixels. The pixel →
normalised-coordinate mapping is chosen to match ``align_corners`` so that
the sample lands exactly on (x + u, y + v) either way; what differs between
the two settings is only how out-of-range samples near the border are
padded. Old PyTorch (≤ 1.2) behaved as ``align_corners=True``, which is what
RAFT/RFR code written for it expects.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pixel_grid(b: int, h: int, w: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """(B, 2, H, W) grid of pixel coordinates: channel 0 = x (column), 1 = y (row)."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=dtype),
                            torch.arange(w, device=device, dtype=dtype), indexing="ij")
    return torch.stack([xs, ys])[None].expand(b, 2, h, w)


def normalise_coords(coords: torch.Tensor, h: int, w: int, align_corners: bool) -> torch.Tensor:
    """Pixel coordinates (..., 2) as (x, y) → grid_sample's [-1, 1] coordinates."""
    x, y = coords[..., 0], coords[..., 1]
    if align_corners:
        x = 2 * x / max(w - 1, 1) - 1
        y = 2 * y / max(h - 1, 1) - 1
    else:
        x = (2 * x + 1) / w - 1
        y = (2 * y + 1) / h - 1
    return torch.stack([x, y], -1)


def sample_at(img: torch.Tensor, coords: torch.Tensor, *, align_corners: bool,
              padding_mode: str = "zeros", mode: str = "bilinear") -> torch.Tensor:
    """Sample ``img`` (N,C,H,W) at pixel coordinates ``coords`` (N,h,w,2) as (x, y) → (N,C,h,w)."""
    h, w = img.shape[-2:]
    grid = normalise_coords(coords, h, w, align_corners).to(img.dtype)
    return F.grid_sample(img, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


def backward_warp(img: torch.Tensor, flow: torch.Tensor, *, align_corners: bool,
                  padding_mode: str = "zeros", mode: str = "bilinear") -> torch.Tensor:
    """Backward-warp ``img`` (B,C,H,W) with ``flow`` (B,2,H,W) pixels: out(x) = img(x + flow(x))."""
    b, _, h, w = flow.shape
    coords = (pixel_grid(b, h, w, flow.device, flow.dtype) + flow).permute(0, 2, 3, 1)
    return sample_at(img, coords, align_corners=align_corners, padding_mode=padding_mode, mode=mode)
