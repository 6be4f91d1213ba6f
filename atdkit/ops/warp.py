"""Backward warping of tensors with ``grid_sample`` (bilinear, pixel units).

``backward_warp(img, flow)[b, :, y, x] = img[b, :, y + v, x + u]`` with
``flow[:, 0] = u`` (x) and ``flow[:, 1] = v`` (y) in pixels. The pixel →
normalised-coordinate mapping is chosen to match ``align_corners`` so that
the sample lands exactly on (x + u, y + v) either way; what differs between
the two settings is only how out-of-range samples near the border are
padded. Old PyTorch (≤ 1.2) behaved as ``align_corners=True``, which is what
RAFT/RFR code written for it expects.

``convention`` picks how the sampling grid is formed, so each method can
match its official code bit for bit: ``"pixel"`` normalises the absolute
coordinates x + u (above); ``"rife"`` is Practical-RIFE's ``warplayer``:
``torch.linspace(-1, 1, W)`` plus ``u / ((W - 1) / 2)`` (likewise in y), with
``align_corners=True``. Both name the same point in exact arithmetic; their
float32 roundings differ by about 1e-7 of the grid, up to ~3e-4 on a
0–1 output pixel where an image has sharp edges. ``"superslomo"`` is Super
SloMo's ``backWarp``: ``2 · ((x + u) / W − 0.5)``, normalised by the size W
rather than W − 1, so with ``align_corners=True`` (the PyTorch 0.4 behaviour
its weights were trained with) it samples at (x + u)·(W − 1)/W, and with
``align_corners=False`` half a pixel up-left of x + u.
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


CONVENTIONS = ("pixel", "rife", "superslomo")


def rife_grid(flow: torch.Tensor) -> torch.Tensor:
    """(B,2,H,W) pixel flow → (B,H,W,2) grid_sample coordinates as Practical-RIFE's warplayer forms them."""
    b, _, h, w = flow.shape
    xs = torch.linspace(-1.0, 1.0, w, device=flow.device, dtype=flow.dtype).view(1, 1, 1, w).expand(b, -1, h, -1)
    ys = torch.linspace(-1.0, 1.0, h, device=flow.device, dtype=flow.dtype).view(1, 1, h, 1).expand(b, -1, -1, w)
    scaled = torch.cat([flow[:, 0:1] / ((w - 1.0) / 2.0), flow[:, 1:2] / ((h - 1.0) / 2.0)], 1)
    return (torch.cat([xs, ys], 1) + scaled).permute(0, 2, 3, 1)


def superslomo_grid(flow: torch.Tensor) -> torch.Tensor:
    """(B,2,H,W) pixel flow → (B,H,W,2) grid_sample coordinates as Super SloMo's backWarp forms them."""
    b, _, h, w = flow.shape
    grid = pixel_grid(b, h, w, flow.device, flow.dtype)
    x = 2 * ((grid[:, 0] + flow[:, 0]) / w - 0.5)
    y = 2 * ((grid[:, 1] + flow[:, 1]) / h - 0.5)
    return torch.stack((x, y), dim=3)


def backward_warp(img: torch.Tensor, flow: torch.Tensor, *, align_corners: bool,
                  padding_mode: str = "zeros", mode: str = "bilinear", convention: str = "pixel") -> torch.Tensor:
    """Backward-warp ``img`` (B,C,H,W) with ``flow`` (B,2,H,W) pixels: out(x) = img(x + flow(x)).

    ``convention``: how the grid is formed (module docstring); ``"rife"`` needs ``align_corners=True``.
    """
    if convention == "rife":
        if not align_corners:
            raise ValueError("the rife grid convention is defined with align_corners=True")
        grid = rife_grid(flow).to(img.dtype)
        return F.grid_sample(img, grid, mode=mode, padding_mode=padding_mode, align_corners=True)
    if convention == "superslomo":
        return F.grid_sample(img, superslomo_grid(flow).to(img.dtype), mode=mode, padding_mode=padding_mode,
                             align_corners=align_corners)
    if convention != "pixel":
        raise ValueError(f"unknown warp convention {convention!r}; choose from {CONVENTIONS}")
    b, _, h, w = flow.shape
    coords = (pixel_grid(b, h, w, flow.device, flow.dtype) + flow).permute(0, 2, 3, 1)
    return sample_at(img, coords, align_corners=align_corners, padding_mode=padding_mode, mode=mode)
