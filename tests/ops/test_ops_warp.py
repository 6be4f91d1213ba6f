"""One backward warp with the grid convention as a parameter: RIFE's equals its warplayer bit for bit."""

import pytest
import torch
import torch.nn.functional as F

from atdkit.ops.warp import backward_warp


def practical_rife_warp(img, flow):
    """Practical-RIFE's warplayer, written out from its formula: a linspace(-1, 1) base grid plus the
    flow divided by (size - 1) / 2, border padding, align_corners=True."""
    n, _, h, w = flow.shape
    horizontal = torch.linspace(-1.0, 1.0, w).view(1, 1, 1, w).expand(n, -1, h, -1)
    vertical = torch.linspace(-1.0, 1.0, h).view(1, 1, h, 1).expand(n, -1, -1, w)
    grid = torch.cat([horizontal, vertical], 1)
    flow = torch.cat([flow[:, 0:1, :, :] / ((w - 1.0) / 2.0), flow[:, 1:2, :, :] / ((h - 1.0) / 2.0)], 1)
    g = (grid + flow).permute(0, 2, 3, 1)
    return F.grid_sample(input=img, grid=g, mode="bilinear", padding_mode="border", align_corners=True)


@pytest.fixture
def sharp_pair():
    gen = torch.Generator().manual_seed(0)
    img = (torch.rand(1, 3, 135, 240, generator=gen) > 0.5).float()  # sharp edges everywhere
    flow = torch.randn(1, 2, 135, 240, generator=gen) * 7.3
    return img, flow


def test_rife_convention_is_rifes_warp_bit_for_bit(sharp_pair):
    img, flow = sharp_pair
    ours = backward_warp(img, flow, align_corners=True, padding_mode="border", convention="rife")
    assert torch.equal(ours, practical_rife_warp(img, flow))


def test_the_two_conventions_name_the_same_point_with_other_roundings(sharp_pair):
    img, flow = sharp_pair
    rife = backward_warp(img, flow, align_corners=True, padding_mode="border", convention="rife")
    pixel = backward_warp(img, flow, align_corners=True, padding_mode="border")
    diff = (rife - pixel).abs().max().item()
    assert 0 < diff < 1e-3  # float32 roundings of one coordinate: they differ, but only just
    assert not torch.equal(pixel, practical_rife_warp(img, flow))


def test_unknown_or_ill_posed_convention_is_refused(sharp_pair):
    img, flow = sharp_pair
    with pytest.raises(ValueError, match="unknown warp convention"):
        backward_warp(img, flow, align_corners=True, convention="raft")
    with pytest.raises(ValueError, match="align_corners=True"):
        backward_warp(img, flow, align_corners=False, convention="rife")


def bilinear_zeros_loop(img, px, py):
    """Bilinear sample of img (C,H,W) at pixel (px, py), zeros outside, written out by hand."""
    _, h, w = img.shape
    x0, y0 = int(torch.floor(px)), int(torch.floor(py))
    out = torch.zeros(img.shape[0], dtype=torch.float64)
    for yy, wy in ((y0, y0 + 1 - py), (y0 + 1, py - y0)):
        for xx, wx in ((x0, x0 + 1 - px), (x0 + 1, px - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += img[:, yy, xx].double() * float(wx) * float(wy)
    return out


@pytest.mark.parametrize("align_corners", [True, False])
def test_superslomo_convention_samples_where_its_backwarp_points(align_corners):
    """Super SloMo normalises x + u by W, not W − 1: with align_corners=True (PyTorch 0.4.1, its
    training) the sample lands at (x + u)·(W − 1)/W; with False, at x + u − 0.5 (likewise in y)."""
    gen = torch.Generator().manual_seed(1)
    h, w = 9, 13
    img = torch.rand(1, 2, h, w, generator=gen)
    flow = torch.randn(1, 2, h, w, generator=gen, dtype=torch.float64).float() * 3
    ours = backward_warp(img, flow, align_corners=align_corners, padding_mode="zeros", convention="superslomo")
    for y in range(h):
        for x in range(w):
            tx, ty = x + flow[0, 0, y, x].double(), y + flow[0, 1, y, x].double()
            px, py = (tx * (w - 1) / w, ty * (h - 1) / h) if align_corners else (tx - 0.5, ty - 0.5)
            assert torch.allclose(ours[0, :, y, x].double(), bilinear_zeros_loop(img[0], px, py), atol=1e-5), (x, y)
