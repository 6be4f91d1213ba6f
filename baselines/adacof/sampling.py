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
Each tap's four corner weights are formed once per pixel (w·(1−fα))·(1−fβ) … and added with a
fused multiply-add over the channels, where the kernel multiplies the pixel value first: the
float32 roundings differ by about 1e-7 of the sum (≈6e-7 measured on a 960×540 frame), for
2–2.5× the speed of forming the kernel's products in its order.
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
    rows = torch.arange(h, device=padded.device).view(1, 1, h, 1)
    cols = torch.arange(w, device=padded.device).view(1, 1, 1, w)
    out = padded.new_zeros(b, c, h, w)
    for k in range(size):
        for l in range(size):
            tap = slice(k * size + l, k * size + l + 1)
            a, bt = alpha[:, tap], beta[:, tap]  # (B, 1, H, W)
            whole_a, whole_b = a.trunc(), bt.trunc()
            fa, fb = a - whole_a, bt - whole_b
            r0 = rows + k * dilation + whole_a.long()
            q0 = cols + l * dilation + whole_b.long()
            row_offsets = ((r0.clamp(0, hp - 1) * wp, weight[:, tap] * (1 - fa)),
                           ((r0 + 1).clamp(0, hp - 1) * wp, weight[:, tap] * fa))
            col_offsets = ((q0.clamp(0, wp - 1), 1 - fb), ((q0 + 1).clamp(0, wp - 1), fb))
            for row, row_weight in row_offsets:
                for col, col_weight in col_offsets:
                    index = (row + col).view(b, 1, h * w).expand(b, c, h * w)
                    out.addcmul_(flat.gather(2, index).view(b, c, h, w), row_weight * col_weight)
    return out
