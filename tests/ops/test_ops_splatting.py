"""Forward splatting against an explicit per-pixel loop."""

import math

import numpy as np
import pytest
import torch

from atdkit.ops.splatting import splat_average, splat_softmax, splat_sum, splat_weights


def loop_splat(src, flow, metric=None):
    """Straightforward restatement: every source pixel, four corners, float64 sums."""
    src, flow = src.double().numpy(), flow.double().numpy()
    b, c, h, w = src.shape
    out = np.zeros((b, c, h, w))
    norm = np.zeros((b, 1, h, w))
    for n in range(b):
        for y in range(h):
            for x in range(w):
                u, v = flow[n, 0, y, x], flow[n, 1, y, x]
                if not (math.isfinite(u) and math.isfinite(v)):
                    continue
                z = 1.0 if metric is None else math.exp(float(metric[n, 0, y, x]))
                fu, fv = math.floor(u), math.floor(v)
                a, bb = u - fu, v - fv
                for dy, wy in ((0, 1 - bb), (1, bb)):
                    for dx, wx in ((0, 1 - a), (1, a)):
                        xi, yi = x + fu + dx, y + fv + dy
                        if 0 <= xi < w and 0 <= yi < h:
                            out[n, :, yi, xi] += wx * wy * z * src[n, :, y, x]
                            norm[n, 0, yi, xi] += wx * wy * z
    return torch.from_numpy(out), torch.from_numpy(norm)


@pytest.fixture
def pair():
    g = torch.Generator().manual_seed(3)
    src = torch.rand(2, 3, 7, 9, generator=g)
    flow = (torch.rand(2, 2, 7, 9, generator=g) - 0.5) * 6  # crosses borders, many collisions
    return src, flow


def test_sum_matches_loop(pair):
    src, flow = pair
    ref, norm = loop_splat(src, flow)
    torch.testing.assert_close(splat_sum(src, flow).double(), ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(splat_weights(flow).double(), norm, atol=1e-5, rtol=1e-5)


def test_average_matches_loop_and_keeps_holes_zero(pair):
    src, flow = pair
    ref, norm = loop_splat(src, flow)
    expected = torch.where(norm > 0, ref / torch.where(norm > 0, norm, 1), 0)
    got = splat_average(src, flow)
    torch.testing.assert_close(got.double(), expected, atol=1e-5, rtol=1e-5)
    holes = (norm == 0).expand_as(got)
    assert holes.any(), "fixture should leave holes"
    assert torch.all(got[holes] == 0)


def test_softmax_matches_loop_with_eps(pair):
    src, flow = pair
    metric = torch.randn(2, 1, 7, 9, generator=torch.Generator().manual_seed(5))
    ref, norm = loop_splat(src, flow, metric)
    torch.testing.assert_close(splat_softmax(src, flow, metric).double(), ref / (norm + 1e-7), atol=1e-5, rtol=1e-5)


def test_softmax_higher_metric_wins_a_collision():
    src = torch.tensor([[[[0.0, 1.0, 0.0]]]])  # one row: values 0, 1, 0
    flow = torch.zeros(1, 2, 1, 3)
    flow[0, 0, 0, 0] = 1.0  # pixel 0 lands exactly on pixel 1
    metric = torch.tensor([[[[10.0, 0.0, 0.0]]]])
    out = splat_softmax(src, flow, metric)
    assert out[0, 0, 0, 1] < 1e-3  # the splatted 0 (metric 10) dominates the resident 1
    avg = splat_average(src, flow)
    assert avg[0, 0, 0, 1] == pytest.approx(0.5)  # plain average mixes them
    assert avg[0, 0, 0, 0] == 0  # hole left behind stays 0


def test_integer_shift_is_exact_translation():
    src = torch.arange(48, dtype=torch.float32).view(1, 1, 6, 8)
    flow = torch.zeros(1, 2, 6, 8)
    flow[:, 0], flow[:, 1] = 2, -1
    out = splat_average(src, flow)
    assert torch.equal(out[0, 0, :5, 2:], src[0, 0, 1:, :6])
    assert torch.all(out[0, 0, 5] == 0) and torch.all(out[0, 0, :, :2] == 0)


def test_non_finite_flow_is_dropped():
    src = torch.ones(1, 1, 4, 4)
    flow = torch.zeros(1, 2, 4, 4)
    flow[0, 0, 1, 1] = float("nan")
    flow[0, 1, 2, 2] = float("inf")
    w = splat_weights(flow)
    assert torch.isfinite(splat_sum(src, flow)).all()
    assert w[0, 0, 1, 1] == 0 and w[0, 0, 2, 2] == 0 and w[0, 0, 0, 0] == 1


def test_gradients_flow_to_src_flow_and_metric(pair):
    src, flow = pair
    src, flow = src.clone().requires_grad_(), flow.clone().requires_grad_()
    metric = torch.zeros(2, 1, 7, 9, requires_grad=True)
    splat_softmax(src, flow, metric).square().sum().backward()
    assert src.grad.abs().sum() > 0 and flow.grad.abs().sum() > 0 and metric.grad is not None


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        splat_sum(torch.zeros(1, 3, 4, 4), torch.zeros(1, 2, 4, 5))
    with pytest.raises(ValueError):
        splat_softmax(torch.zeros(1, 3, 4, 4), torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4))


def test_channel_chunking_gives_the_same_sums(pair, monkeypatch):
    import atdkit.ops.splatting as splatting

    src, flow = pair
    src = torch.cat([src] * 5, 1)  # 15 channels
    whole = splat_sum(src, flow)
    monkeypatch.setattr(splatting, "CHUNK_ELEMENTS", 4 * 7 * 9 * 2)  # two channels per chunk
    assert torch.equal(splat_sum(src, flow), whole)
