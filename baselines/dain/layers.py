"""DAIN's two custom layers (baowenbo/DAIN ``my_package``, CUDA kernels there) in vectorised PyTorch.

Coordinates are pixels: channel 0 of a flow is x (column), channel 1 is y (row).

:func:`project_flow` (``DepthFlowProjection``, depth-aware flow projection): every source pixel
p = (x, y) with flow f(p) (already scaled to time t) that lands inside the image,
0 ≤ x + u ≤ W − 1 and 0 ≤ y + v ≤ H − 1, adds w(p)·(−f(p)) and w(p) to the four pixels
(⌊y + v⌋ or its successor, ⌊x + u⌋ or its successor; a successor past the last row/column is
the last one again, so that pixel gets two or four shares) with the same weight w(p), the
inverse depth, for all four (no bilinear weights). The projected flow (from time t back to the
frame) is the weighted mean, 0 where nothing landed. :func:`fill_holes` then gives each pixel
where nothing landed the mean of the projected flows of the nearest covered pixel to its left,
right, above and below (those that exist in its row and column); the official layer does this
when its input needs no gradient (``fillhole = not requires_grad``), as at inference.

:func:`filter_interpolation` (``FilterInterpolation``, the adaptive warping layer): output pixel
p samples the frame around q = p + f(p) with a learned F×F kernel k(p) (F² channels, F = 4 in
the release) laid over the columns ⌊q_x⌋ + 1 − F/2 … ⌊q_x⌋ + F/2 and likewise the rows (read
with coordinates clamped to the image); the taps left/right of and above/below q form four
quadrant sums, blended bilinearly by the fractional part of q:
(1−α)(1−β)·TL + α(1−β)·TR + (1−α)β·BL + αβ·BR. Where q falls outside the image or the flow is
at least half the image size in x or y, the output is the input pixel p itself.
"""

from __future__ import annotations

import math

import torch

CHANNEL_CHUNK = 64  # channels gathered at a time by filter_interpolation (bounds its temporary memory)


def _landing(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x + u, y + v) for every pixel of ``flow`` (B, 2, H, W), each (B, H, W)."""
    _, _, h, w = flow.shape
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, 1, w)
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(1, h, 1)
    return xs + flow[:, 0], ys + flow[:, 1]


def project_flow(flow: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Depth-aware projection (module docstring) of ``flow`` (B, 2, H, W) weighted by ``weight``
    (B, 1, H, W, positive); returns (projected flow (B, 2, H, W), landed weight (B, 1, H, W))."""
    b, _, h, w = flow.shape
    x2, y2 = _landing(flow)
    inside = (x2 >= 0) & (y2 >= 0) & (x2 <= w - 1) & (y2 <= h - 1)
    left = torch.where(inside, x2, torch.zeros_like(x2)).long()  # truncation = floor on the kept ones
    top = torch.where(inside, y2, torch.zeros_like(y2)).long()
    right, bottom = (left + 1).clamp(max=w - 1), (top + 1).clamp(max=h - 1)
    share = torch.where(inside, weight[:, 0], torch.zeros_like(weight[:, 0])).reshape(b, 1, h * w)
    values = torch.cat([-flow * share.view(b, 1, h, w), share.view(b, 1, h, w)], 1).reshape(b, 3, h * w)
    sums = flow.new_zeros((b, 3, h * w))
    for row in (top, bottom):
        for col in (left, right):
            sums.scatter_add_(2, (row * w + col).reshape(b, 1, h * w).expand(b, 3, h * w), values)
    sums = sums.view(b, 3, h, w)
    flows, count = sums[:, :2], sums[:, 2:]
    covered = count > 0
    return torch.where(covered, flows / torch.where(covered, count, torch.ones_like(count)), flows), count


def _nearest_covered(covered: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For every position along ``dim`` of ``covered`` (B, H, W): the index of the nearest covered
    position before it (−1 if none) and after it (size if none); at a covered position itself
    (never used) its own index."""
    size = covered.shape[dim]
    shape = [1, 1, 1]
    shape[dim] = size
    index = torch.arange(size, device=covered.device).view(shape).expand_as(covered)
    before = torch.where(covered, index, torch.full_like(index, -1)).cummax(dim).values
    after = torch.where(covered, index, torch.full_like(index, size)).flip(dim).cummin(dim).values.flip(dim)
    return before, after


def fill_holes(projected: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """``projected`` (B, 2, H, W) with every pixel whose ``count`` is 0 set to the mean of the nearest
    covered pixels left, right, above and below it (module docstring); left as 0 if none exists."""
    b, _, h, w = projected.shape
    covered = count[:, 0] > 0
    neighbours = []
    for dim, size in ((2, w), (1, h)):
        before, after = _nearest_covered(covered, dim)
        for index, found in ((before, before >= 0), (after, after < size)):
            at = index.clamp(0, size - 1)
            values = torch.stack([projected[:, c].gather(dim, at) for c in range(2)], 1)
            neighbours.append((found.unsqueeze(1).to(projected.dtype), values))
    (fl, vl), (fr, vr), (fu, vu), (fd, vd) = neighbours  # left, right, up, down: the kernel's order
    found = fl + fr + fu + fd
    mean = (fl * vl + fr * vr + fu * vu + fd * vd) / torch.where(found > 0, found, torch.ones_like(found))
    fill = (count == 0) & (found > 0)
    return torch.where(fill, mean, projected)


def depth_aware_projection(flow: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The flow from time t back to the frame, as DAIN's inference gets it: projection and hole filling."""
    projected, count = project_flow(flow, weight)
    return fill_holes(projected, count)


def filter_interpolation(img: torch.Tensor, flow: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Adaptive warping (module docstring) of ``img`` (B, C, H, W) by ``flow`` (B, 2, H, W) with
    per-pixel ``kernels`` (B, F², H, W)."""
    b, c, h, w = img.shape
    size = math.isqrt(kernels.shape[1])
    if size * size != kernels.shape[1]:
        raise ValueError(f"kernels need a square number of channels, got {kernels.shape[1]}")
    x2, y2 = _landing(flow)
    valid = ((x2 >= 0) & (y2 >= 0) & (x2 <= w - 1) & (y2 <= h - 1)
             & (flow[:, 0].abs() < w / 2.0) & (flow[:, 1].abs() < h / 2.0))
    ix = torch.where(valid, x2, torch.zeros_like(x2)).long()
    iy = torch.where(valid, y2, torch.zeros_like(y2)).long()
    alpha, beta = (x2 - ix).unsqueeze(1), (y2 - iy).unsqueeze(1)
    first = 1 - size // 2  # offset of the first tap from ⌊q⌋
    rows = [(iy + first + j).clamp(0, h - 1) * w for j in range(size)]
    cols = [(ix + first + i).clamp(0, w - 1) for i in range(size)]
    taps = [[(rows[j] + cols[i]).reshape(b, h * w) for i in range(size)] for j in range(size)]
    flat = img.reshape(b, c, h * w)
    out = torch.empty_like(img)
    for n in range(b):
        a, bt = alpha[n], beta[n]
        corner_weights = {(False, False): (1 - a) * (1 - bt), (False, True): a * (1 - bt),
                          (True, False): (1 - a) * bt, (True, True): a * bt}
        for start in range(0, c, CHANNEL_CHUNK):
            part = flat[n, start:start + CHANNEL_CHUNK]
            # (below ⌊q_y⌋, right of ⌊q_x⌋) → sum over the quadrant's taps, accumulated in the kernel's order
            quadrants = {key: None for key in corner_weights}
            for j in range(size):
                for i in range(size):
                    tap = part.index_select(1, taps[j][i][n]).view(-1, h, w)
                    key = (first + j > 0, first + i > 0)
                    if quadrants[key] is None:
                        quadrants[key] = tap.mul_(kernels[n, j * size + i])
                    else:
                        quadrants[key].addcmul_(tap, kernels[n, j * size + i])
            blend = out[n, start:start + CHANNEL_CHUNK]
            torch.mul(quadrants[False, False], corner_weights[False, False], out=blend)
            for key in ((False, True), (True, False), (True, True)):
                blend.addcmul_(quadrants[key], corner_weights[key])
            blend.copy_(torch.where(valid[n], blend, img[n, start:start + CHANNEL_CHUNK]))
    return out
