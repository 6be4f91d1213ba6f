"""AdaCoF's adaptive collaboration of flows, vectorised over pixels and channels.

For each output pixel (i, j) and each of the F×F taps (k, l), the released CUDA kernel
(HyeongminLEE/AdaCoF-pytorch ``cupy_module/adacof.py``) reads the padded input around
(i + k·d + α, j + l·d + β) and sums the taps weighted by w:

    out[c, i, j] = Σ_kl w_kl · ( I[a, b]·(1−fα)(1−fβ) + I[a+1, b]·fα(1−fβ)
                                + I[a, b+1]·(1−fα)fβ + I[a+1, b+1]·fα·fβ )

with A = trunc(α) (C's ``(int)``, towards zero, *not* floor), fα = α − A, a = i + k·d + A,
likewise B, fβ, b = j + l·d + B, and every row/column index clamped to the input separately.
For a negative non-integer offset fα is negative, so the two rows are combined by linear
extrapolation rather than interpolation: ``grid_sample`` cannot express this, hence gathers.
The sum runs over the taps in the kernel's order (k, then l), each tap's four products
formed and added as the kernel writes them, so float32 results match it closely.
"""

from __future__ import annotations

import math

import torch


def adacof_sample(padded: torch.Tensor, weight: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor,
                  dilation: int = 1) -> torch.Tensor:
    """The AdaCoF warp of ``padded`` (B, C, H + (F−1)·d, W + (F−1)·d) with per-pixel tap weights
    ``weight`` and vertical / horizontal offsets ``alpha`` / ``beta`` (each B, F², H, W, tap k·F + l)
    → (B, C, H, W)."""
    b, c, hp, wp = padded.shape
    _, taps, h, w = weight.shape
    size = math.isqrt(taps)
    if size * size != taps or alpha.shape != weight.shape or beta.shape != weight.shape:
        raise ValueError(f"adacof_sample: weight {tuple(weight.shape)}, alpha {tuple(alpha.shape)} and beta "
                         f"{tuple(beta.shape)} must share a (B, F², H, W) shape")
    if (hp - (size - 1) * dilation, wp - (size - 1) * dilation) != (h, w):
        raise ValueError(f"adacof_sample: input {hp}×{wp} is not the {h}×{w} output padded by "
                         f"{(size - 1) * dilation} for {size}×{size} taps at dilation {dilation}")
    flat = padded.reshape(b, c, hp * wp)
    rows = torch.arange(h, device=padded.device).view(1, h, 1)
    cols = torch.arange(w, device=padded.device).view(1, 1, w)

    def gather(r: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        index = (r.clamp(0, hp - 1) * wp + q.clamp(0, wp - 1)).view(b, 1, h * w).expand(b, c, h * w)
        return flat.gather(2, index).view(b, c, h, w)

    out = padded.new_zeros(b, c, h, w)
    for k in range(size):
        for l in range(size):
            tap = k * size + l
            a, bt = alpha[:, tap], beta[:, tap]
            whole_a, whole_b = a.trunc(), bt.trunc()
            fa, fb = (a - whole_a)[:, None], (bt - whole_b)[:, None]
            r0 = rows + k * dilation + whole_a.long()
            q0 = cols + l * dilation + whole_b.long()
            term = (gather(r0, q0) * (1 - fa) * (1 - fb) + gather(r0 + 1, q0) * fa * (1 - fb)
                    + gather(r0, q0 + 1) * (1 - fa) * fb + gather(r0 + 1, q0 + 1) * fa * fb)
            out = out + weight[:, tap:tap + 1] * term
    return out
