"""GMFSS speed changes give the outputs of the straightforward formulation."""

import math

import torch
import torch.nn.functional as F

from atdkit.baselines.gmfss.gmflow import local_matching
from atdkit.ops.warp import pixel_grid


def plain_local_matching(feat0: torch.Tensor, feat1: torch.Tensor, radius: int) -> torch.Tensor:
    """GMFlow's local matching as released: every pixel's (2r+1)² window of feat1 gathered
    (here with F.unfold, zero outside), correlated with the pixel's feat0, positions outside the
    image masked out, softmax, expected offset."""
    b, c, h, w = feat0.shape
    k = 2 * radius + 1
    windows = F.unfold(feat1, k, padding=radius).view(b, c, k * k, h * w)
    corr = torch.einsum("bcn,bckn->bnk", feat0.flatten(2), windows) / math.sqrt(c)
    offsets = torch.arange(-radius, radius + 1, dtype=feat0.dtype)
    dy, dx = torch.meshgrid(offsets, offsets, indexing="ij")
    grid = pixel_grid(1, h, w, feat0.device, feat0.dtype)[0].flatten(1)
    x, y = grid[0][:, None] + dx.flatten(), grid[1][:, None] + dy.flatten()
    corr = corr.masked_fill(~((x >= 0) & (x < w) & (y >= 0) & (y < h)), -1e9)
    prob = corr.softmax(-1)
    return torch.stack([prob @ dx.flatten(), prob @ dy.flatten()], 1).view(b, 2, h, w)


def test_shifted_product_local_matching_equals_the_window_gather():
    g = torch.Generator().manual_seed(0)
    feat0 = torch.randn(2, 128, 18, 30, generator=g)
    # feat1: feat0 moved by known offsets plus noise, so that the softmax is peaked (as on real features)
    feat1 = torch.roll(feat0, (2, -3), (2, 3)) + 0.3 * torch.randn(2, 128, 18, 30, generator=g)
    got = local_matching(feat0, feat1, 4)
    want = plain_local_matching(feat0, feat1, 4)
    torch.testing.assert_close(got, want, atol=2e-5, rtol=0)
    inner = want[:, :, 5:-5, 5:-5]  # the recovered motion, away from the rolled-over borders
    assert (inner - torch.tensor([-3.0, 2.0]).view(1, 2, 1, 1)).abs().mean() < 0.05
    flat = torch.randn(1, 8, 6, 7, generator=g)  # near-uniform softmax: the border mask matters
    torch.testing.assert_close(local_matching(flat, flat * 0.1, 2), plain_local_matching(flat, flat * 0.1, 2), atol=2e-6, rtol=0)


def test_bidirectional_flow_runs_the_backbone_once_per_image_and_equals_the_swapped_batch():
    from atdkit.baselines.gmfss.gmflow import GMFlow

    torch.manual_seed(0)
    net = GMFlow().eval()
    g = torch.Generator().manual_seed(1)
    img0 = torch.rand(1, 3, 64, 96, generator=g)
    img1 = torch.roll(img0, (3, -5), (2, 3)) * 0.9 + 0.05
    calls = []
    net.backbone.register_forward_hook(lambda m, inp, out: calls.append(inp[0].shape[0]))
    with torch.no_grad():
        f01, f10 = net.bidirectional(img0, img1)
        want01, want10 = net(torch.cat([img0, img1]), torch.cat([img1, img0])).chunk(2)
    assert calls == [2, 4]  # two images through the backbone, against four for the swapped batch
    torch.testing.assert_close(f01, want01, atol=1e-5, rtol=0)
    torch.testing.assert_close(f10, want10, atol=1e-5, rtol=0)
