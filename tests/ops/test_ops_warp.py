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
