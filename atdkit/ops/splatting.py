"""Forward (bilinear) splatting of tensors along optical flow, vectorised.

Every source pixel (x, y) of ``src`` moves to (x + u, y + v), with the flow
``flow[:, 0] = u`` (x, columns) and ``flow[:, 1] = v`` (y, rows) in pixels.
Its value is distributed to the four integer neighbours of that point with
bilinear weights (1−a)(1−b), a(1−b), (1−a)b, ab, where (a, b) is the
fractional part of the flow; neighbours outside the image, and pixels whose
flow is not finite, are dropped. Colliding contributions are summed.

Three normalisations:

* :func:`splat_sum`: the raw sums (Niklaus & Liu's ``summation`` mode).
* :func:`splat_average`: sums divided by the splatted weights where those
  are > 0; pixels nothing lands on (holes) stay exactly 0 and there is no
  epsilon. This is AnimeInterp's normalisation (``fwarp(x) / fwarp(1)``).
* :func:`splat_softmax`: softmax splatting with an importance metric Z
  (Niklaus & Liu, CVPR 2020): sum(src·exp(Z)) / (sum(exp(Z)) + eps), as in
  softsplat's ``soft`` mode (eps = 1e-7). No max-subtraction is applied,
  which would change the eps's relative effect; keep Z in a sane range (the
  callers clip it).

The fractional part is taken from the flow itself (not from x + u), which is
the exact formulation of AnimeInterp's no-CuPy ``ForwardWarp`` and avoids the
float32 rounding of large absolute coordinates. All functions work on any
device and dtype (half-precision inputs are summed in float32 and the result
cast back) and are differentiable with respect to ``src``, ``flow``
(through the weights) and ``metric``.
"""

from __future__ import annotations

import torch

SOFTSPLAT_EPS = 1e-7
CHUNK_ELEMENTS = 1 << 24  # weighted values materialised at once (64 MiB in float32)


def _check(src: torch.Tensor, flow: torch.Tensor) -> None:
    if src.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"expected src (B,C,H,W) and flow (B,2,H,W), got {tuple(src.shape)} and {tuple(flow.shape)}")
    if src.shape[0] != flow.shape[0] or src.shape[2:] != flow.shape[2:]:
        raise ValueError(f"src {tuple(src.shape)} and flow {tuple(flow.shape)} differ in batch or size")


def _full(x: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 → float32 (sums and bilinear weights in half precision lose whole pixels'
    worth of mass under mixed precision); other dtypes unchanged."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def splat_targets(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat target indices and bilinear weights of every source pixel's four corners.

    ``flow``: (B, 2, H, W) pixels. Returns ``index`` (B, 4·H·W) int64 in
    [0, H·W) and ``weight`` (B, 4·H·W) in [0, 1] (same dtype as ``flow``);
    corners that fall outside the image get weight 0 and index 0.
    Corner order: north-west, north-east, south-west, south-east.
    """
    b, _, h, w = flow.shape
    u, v = flow[:, 0], flow[:, 1]
    fu, fv = torch.floor(u), torch.floor(v)
    a, c = u - fu, v - fv  # fractional parts in [0, 1); NaN where the flow is not finite
    finite = torch.isfinite(a) & torch.isfinite(c)
    x0 = torch.arange(w, device=flow.device).view(1, 1, w) + torch.nan_to_num(fu).long()
    y0 = torch.arange(h, device=flow.device).view(1, h, 1) + torch.nan_to_num(fv).long()
    x_ok = ((x0 >= 0) & (x0 < w), (x0 >= -1) & (x0 < w - 1))  # left / right column inside
    y_ok = ((y0 >= 0) & (y0 < h) & finite, (y0 >= -1) & (y0 < h - 1) & finite)
    base = y0 * w + x0
    indices, weights = [], []
    for dy, wy in ((0, 1 - c), (1, c)):
        for dx, wx in ((0, 1 - a), (1, a)):
            inside = y_ok[dy] & x_ok[dx]
            indices.append(torch.where(inside, base + (dy * w + dx), 0))
            weights.append(torch.where(inside, wx * wy, 0))
    index = torch.stack(indices, 1).reshape(b, 4 * h * w)
    weight = torch.stack(weights, 1).reshape(b, 4 * h * w)
    return index, weight


def _accumulate(src: torch.Tensor, index: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Sum ``src`` (B,C,H,W) weighted by ``weight`` into the flat ``index`` targets."""
    b, ch, h, w = src.shape
    n = h * w
    src = src.contiguous()  # channel planes (a channels-last src would make every product strided)
    step = max(1, CHUNK_ELEMENTS // (4 * n))
    out = src.new_zeros(b, ch, n)
    for i in range(b):  # loops over batch and channel chunks only (bounded memory)
        corner_weight = weight[i].view(1, 4, n).to(src.dtype)
        for c0 in range(0, ch, step):
            part = src[i, c0:c0 + step].reshape(-1, 1, n)
            values = (part * corner_weight).reshape(part.shape[0], 4 * n)
            out[i, c0:c0 + step].index_add_(1, index[i], values)
    return out.view(b, ch, h, w)


def _splat_plane(index: torch.Tensor, weight: torch.Tensor, shape: tuple[int, int, int, int],
                 per_pixel: torch.Tensor | None = None) -> torch.Tensor:
    """Splat one scalar per source pixel (``per_pixel`` (B,H·W), default 1) → (B,1,H,W) sums."""
    b, _, h, w = shape
    n = h * w
    out = []
    for i in range(b):
        wt = weight[i] if per_pixel is None else weight[i] * per_pixel[i].repeat(4)
        out.append(wt.new_zeros(n).index_add_(0, index[i], wt))
    return torch.stack(out).view(b, 1, h, w)


def splat_sum(src: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Bilinear summation splatting: (B,C,H,W) values along (B,2,H,W) flow → (B,C,H,W) sums."""
    _check(src, flow)
    index, weight = splat_targets(_full(flow))
    return _accumulate(_full(src), index, weight).to(src.dtype)


def splat_weights(flow: torch.Tensor) -> torch.Tensor:
    """The splatted weight of a tensor of ones, (B,1,H,W): how much lands on each pixel."""
    index, weight = splat_targets(flow)
    return _splat_plane(index, weight, flow.shape)


def splat_average(src: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """AnimeInterp's average splatting: splat_sum(src) / splat_sum(1) where the latter is > 0.

    Pixels that receive no weight (holes) are exactly 0; no epsilon.
    """
    _check(src, flow)
    index, weight = splat_targets(_full(flow))
    values = _accumulate(_full(src), index, weight)
    norm = _splat_plane(index, weight, flow.shape).to(values.dtype)
    # holes hold only zero-weight contributions (0), so dividing them by 1 leaves 0
    return values.div_(torch.where(norm > 0, norm, torch.ones_like(norm))).to(src.dtype)


def splat_softmax(src: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor, eps: float = SOFTSPLAT_EPS) -> torch.Tensor:
    """Softmax splatting (Niklaus & Liu 2020) with importance ``metric`` Z (B,1,H,W).

    Returns splat_sum(src·exp(Z)) / (splat_sum(exp(Z)) + eps); holes are 0.
    """
    _check(src, flow)
    if metric.shape != (src.shape[0], 1, *src.shape[2:]):
        raise ValueError(f"metric must be (B,1,H,W) = {(src.shape[0], 1, *src.shape[2:])}, got {tuple(metric.shape)}")
    z = _full(metric).exp()
    index, weight = splat_targets(_full(flow))
    values = _accumulate(_full(src) * z, index, weight)
    norm = _splat_plane(index, weight, flow.shape, z.reshape(z.shape[0], -1)).to(values.dtype)
    return values.div_(norm + eps).to(src.dtype)
