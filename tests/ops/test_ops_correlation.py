"""Correlation pyramid lookup and backward warping against explicit gathering."""

import math

import numpy as np
import torch

from atdkit.ops.correlation import CorrelationPyramid, all_pairs_correlation
from atdkit.ops.warp import backward_warp


def bilinear_zero(img, x, y):
    """img (H,W) numpy sampled at (x, y) pixels, zero outside."""
    h, w = img.shape
    x0, y0 = math.floor(x), math.floor(y)
    total = 0.0
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wt = (1 - abs(x - xi)) * (1 - abs(y - yi))
            if 0 <= xi < w and 0 <= yi < h:
                total += wt * img[yi, xi]
    return total


def test_correlation_lookup_matches_explicit_gathering():
    g = torch.Generator().manual_seed(0)
    b, d, h, w, r, levels = 1, 8, 8, 12, 2, 3
    f1, f2 = torch.randn(b, d, h, w, generator=g), torch.randn(b, d, h, w, generator=g)
    coords = torch.rand(b, 2, h, w, generator=g) * torch.tensor([w, h]).view(1, 2, 1, 1)
    got = CorrelationPyramid(f1, f2, levels=levels, radius=r).lookup(coords).numpy()
    assert got.shape == (b, levels * (2 * r + 1) ** 2, h, w)

    a, bb = f1[0].double().numpy(), f2[0].double().numpy()
    vol = np.einsum("dyx,dij->yxij", a, bb) / math.sqrt(d)
    k = 2 * r + 1
    for y in range(h):
        for x in range(w):
            level_map = vol[y, x]
            cx, cy = coords[0, 0, y, x].item(), coords[0, 1, y, x].item()
            for lvl in range(levels):
                if lvl:
                    hh, ww = level_map.shape[0] // 2, level_map.shape[1] // 2
                    level_map = level_map[: 2 * hh, : 2 * ww].reshape(hh, 2, ww, 2).mean((1, 3))
                for i in range(k):
                    for j in range(k):
                        want = bilinear_zero(level_map, cx / 2**lvl + (i - r), cy / 2**lvl + (j - r))
                        assert abs(got[0, lvl * k * k + i * k + j, y, x] - want) < 1e-4


def test_all_pairs_is_scaled_dot_product():
    f1, f2 = torch.randn(2, 4, 3, 5), torch.randn(2, 4, 3, 5)
    corr = all_pairs_correlation(f1, f2).view(2, 3, 5, 3, 5)
    want = torch.einsum("bdyx,bdij->byxij", f1, f2) / 2.0
    torch.testing.assert_close(corr, want)


def test_backward_warp_samples_at_displaced_pixels_for_both_alignments():
    g = torch.Generator().manual_seed(1)
    img = torch.rand(1, 2, 5, 7, generator=g)
    flow = (torch.rand(1, 2, 5, 7, generator=g) - 0.5) * 3
    for align in (True, False):
        out = backward_warp(img, flow, align_corners=align).numpy()
        for y in range(5):
            for x in range(7):
                u, v = flow[0, 0, y, x].item(), flow[0, 1, y, x].item()
                for c in range(2):
                    want = bilinear_zero(img[0, c].numpy(), x + u, y + v)
                    inside = 0 <= x + u <= 6 and 0 <= y + v <= 4
                    if inside:  # the two alignments differ only in border padding
                        assert abs(out[0, c, y, x] - want) < 1e-5


def test_local_correlation_matches_an_explicit_loop():
    """PWC-Net's cost volume: channel (dy+d)(2d+1)+(dx+d) = mean over channels of first(y,x)·second(y+dy,x+dx)."""
    from atdkit.ops.correlation import local_correlation

    g = torch.Generator().manual_seed(3)
    c, h, w, d = 5, 7, 9, 2
    a, b = torch.randn(1, c, h, w, generator=g), torch.randn(1, c, h, w, generator=g)
    out = local_correlation(a, b, d).numpy()
    an, bn = a.numpy()[0], b.numpy()[0]
    assert out.shape == (1, (2 * d + 1) ** 2, h, w)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            k = (dy + d) * (2 * d + 1) + (dx + d)
            for y in range(h):
                for x in range(w):
                    inside = 0 <= y + dy < h and 0 <= x + dx < w
                    want = float((an[:, y, x] * bn[:, y + dy, x + dx]).mean()) if inside else 0.0
                    assert abs(out[0, k, y, x] - want) < 1e-5, (dy, dx, y, x)
