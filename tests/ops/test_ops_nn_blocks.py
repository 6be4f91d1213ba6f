"""GridNet and the feature pyramid against the equations of SPEC §4.3/§4.5 written out here."""

import pytest
import torch

from atdkit.nn.feature_pyramid import FeaturePyramid
from atdkit.nn.gridnet import GridNet


def spec_gridnet(g, x, x1, x2, x3, x4=None):
    x00 = g.residual_model_head(x) + g.residual_model_head1(x1)
    if x4 is not None:
        x00 = x00 + g.residual_model_head4(x4)
    x10 = g.downsample_model_10(x00) + g.residual_model_head2(x2)
    x20 = g.downsample_model_20(x10) + g.residual_model_head3(x3)
    x01 = g.residual_model_01(x00) + x00
    x11 = (g.residual_model_11(x10) + x10) + g.downsample_model_11(x01)
    x21 = (g.residual_model_21(x20) + x20) + g.downsample_model_21(x11)
    x24 = g.residual_model_24(x21) + x21
    x25 = g.residual_model_25(x24) + x24
    x14 = g.upsample_model_14(x24) + (g.residual_model_14(x11) + x11)
    x04 = g.upsample_model_04(x14) + (g.residual_model_04(x01) + x01)
    x15 = g.upsample_model_15(x25) + (g.residual_model_15(x14) + x14)
    x05 = g.upsample_model_05(x15) + (g.residual_model_05(x04) + x04)
    return g.residual_model_tail(x05)


def inputs(h=16, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(1, 6, h, w, generator=g), torch.randn(1, 64, h, w, generator=g),
            torch.randn(1, 128, h // 2, w // 2, generator=g), torch.randn(1, 192, h // 4, w // 4, generator=g))


def test_animeinterp_gridnet_follows_the_spec_equations():
    torch.manual_seed(0)
    g = GridNet(6, 64, 128, 192, 3).eval()
    assert sum(p.numel() for p in g.parameters()) == 1_802_467
    xs = inputs()
    with torch.no_grad():
        out = g(*xs)
        assert out.shape == (1, 3, 16, 24)
        torch.testing.assert_close(out, spec_gridnet(g, *xs))
    for block in (g.residual_model_head, g.downsample_model_10, g.upsample_model_04):
        assert sum(isinstance(m, torch.nn.PReLU) and m.weight.numel() == 1 for m in block) == 2


def test_gmfss_variant_extra_head_and_pixel_shuffle_tail():
    torch.manual_seed(1)
    g = GridNet(6, 64, 128, 192, 3, extra_head_channels=3, tail="pixelshuffle").eval()
    xs = inputs(seed=2)
    x4 = torch.randn(1, 3, 16, 24)
    with torch.no_grad():
        out = g(*xs, x4)
        assert out.shape == (1, 3, 32, 48)
        torch.testing.assert_close(out, spec_gridnet(g, *xs, x4))
        tail = g.residual_model_tail
        feat = torch.randn(1, 32, 4, 5)
        pre = tail.upsample[0](tail.conv_before_upsample(feat))  # (1, 128, 4, 5)
        shuffled = torch.empty(1, 32, 8, 10)
        for c in range(32):
            for i in range(2):
                for j in range(2):
                    shuffled[0, c, i::2, j::2] = pre[0, c * 4 + i * 2 + j]
        torch.testing.assert_close(tail(feat), tail.conv_last(shuffled))
    with pytest.raises(ValueError, match="x4"):
        g(*xs)


def test_feature_pyramid_levels_and_strides():
    torch.manual_seed(2)
    f = FeaturePyramid()
    assert sum(p.numel() for p in f.parameters()) == 204_006
    x = torch.randn(1, 3, 32, 40)
    a, b, c = f(x)
    assert a.shape == (1, 32, 32, 40) and b.shape == (1, 64, 16, 20) and c.shape == (1, 96, 8, 10)
    with torch.no_grad():
        torch.testing.assert_close(a, f.prelu2(f.conv2(f.prelu1(f.conv1(x)))))
    strided = FeaturePyramid(first_stride=2)
    assert [t.shape[2] for t in strided(x)] == [16, 8, 4]
