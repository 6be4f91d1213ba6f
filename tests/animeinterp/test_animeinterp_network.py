"""RFR quirks, convex upsampling and the full forward pass against explicit restatements."""

import numpy as np
import pytest
import torch

from atdkit.errors import BadInput
from atdkit.methods.animeinterp import AnimeInterp
from atdkit.methods.animeinterp.model import AnimeInterpNet
from atdkit.methods.animeinterp.rfr import RFR, convex_upsample
from atdkit.ops.splatting import splat_average


def test_convex_upsample_matches_explicit_neighbourhood_sum():
    g = torch.Generator().manual_seed(0)
    b, h, w, f = 1, 3, 4, 2
    flow = torch.randn(b, 2, h, w, generator=g)
    mask = torch.randn(b, 9 * f * f, h, w, generator=g)
    got = convex_upsample(flow, mask, factor=f)
    logits = mask.view(b, 9, f, f, h, w)
    for y in range(h):
        for x in range(w):
            for i in range(f):
                for j in range(f):
                    wts = torch.softmax(logits[0, :, i, j, y, x], 0)
                    total = torch.zeros(2)
                    for k in range(9):
                        ny, nx = y + k // 3 - 1, x + k % 3 - 1
                        if 0 <= ny < h and 0 <= nx < w:
                            total += wts[k] * f * flow[0, :, ny, nx]
                    torch.testing.assert_close(got[0, :, y * f + i, x * f + j], total)


def test_rfr_adds_the_initial_flow_twice():
    torch.manual_seed(0)
    rfr = RFR().eval()
    with torch.no_grad():  # no update: the result is the starting flow
        rfr.update_block.flow_head.conv2.weight.zero_()
        rfr.update_block.flow_head.conv2.bias.zero_()
        image = torch.rand(1, 3, 64, 96) * 2 - 1
        init = torch.zeros(1, 2, 64, 96)
        init[:, 0], init[:, 1] = 3.0, -1.5
        flow, small = rfr(image, image, iters=2, flow_init=init)
    torch.testing.assert_close(small, torch.tensor([3.0 / 8, -1.5 / 8]).view(1, 2, 1, 1).expand(1, 2, 8, 12))
    inner = flow[:, :, 8:-8, 8:-8]  # convex upsampling zero-pads the border neighbourhood
    torch.testing.assert_close(inner, (2 * init)[:, :, 8:-8, 8:-8], atol=1e-4, rtol=0)


def test_error_branch_is_evaluated_but_never_changes_the_flow():
    torch.manual_seed(1)
    rfr = RFR().eval()
    a, b = torch.rand(1, 3, 64, 72) * 2 - 1, torch.rand(1, 3, 64, 72) * 2 - 1
    init = torch.randn(1, 2, 64, 72)
    with torch.no_grad():
        plain, _ = rfr(a, b, iters=3, flow_init=init)
        flow, _, error = rfr(a, b, iters=3, flow_init=init, return_error=True)
    assert error.shape == (1, 1, 8, 9) and torch.isfinite(error).all()
    assert torch.equal(plain, flow)


def test_rfr_resizes_to_a_multiple_of_8_and_back():
    torch.manual_seed(2)
    rfr = RFR().eval()
    a, b = torch.rand(1, 3, 70, 77), torch.rand(1, 3, 70, 77)
    with torch.no_grad():
        flow, small = rfr(a, b, iters=1, flow_init=torch.zeros(1, 2, 35, 40))
    assert flow.shape == (1, 2, 70, 77) and small.shape == (1, 2, 8, 9)


def test_bidirectional_equals_two_separate_calls():
    torch.manual_seed(3)
    rfr = RFR().eval()
    a, b = torch.rand(1, 3, 64, 80) * 2 - 1, torch.rand(1, 3, 64, 80) * 2 - 1
    i12, i21 = torch.randn(1, 2, 64, 80), torch.randn(1, 2, 64, 80)
    with torch.no_grad():
        f12, f21, s12, s21 = rfr.bidirectional(a, b, i12, i21, iters=3)
        g12, t12 = rfr(a, b, iters=3, flow_init=i12)
        g21, t21 = rfr(b, a, iters=3, flow_init=i21)
        n12, n21, _, _ = rfr.bidirectional(a, b, None, None, iters=2)
        m12, _ = rfr(a, b, iters=2)
    torch.testing.assert_close(f12, g12, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(f21, g21, atol=1e-4, rtol=1e-4)
    assert torch.equal(s12, t12) and torch.equal(s21, t21)
    torch.testing.assert_close(n12, m12, atol=1e-4, rtol=1e-4)


def nearest_resize(flow, h, w):
    """Legacy 'nearest' by hand: source index floor(i · in / out), then rescale x and y."""
    _, _, fh, fw = flow.shape
    rows = (np.arange(h) * fh / h).astype(int)
    cols = (np.arange(w) * fw / w).astype(int)
    out = flow[:, :, rows][:, :, :, cols].clone()
    out[:, 0] *= w / fw
    out[:, 1] *= h / fh
    return out


@pytest.mark.parametrize("t", [0.5, 0.25])
def test_forward_matches_a_step_by_step_restatement(t):
    torch.manual_seed(4)
    net = AnimeInterpNet().eval()
    g = torch.Generator().manual_seed(5)
    i1, i2 = torch.rand(1, 3, 64, 72, generator=g), torch.rand(1, 3, 64, 72, generator=g)
    s12, s21 = torch.randn(1, 2, 64, 72, generator=g), torch.randn(1, 2, 64, 72, generator=g)
    with torch.no_grad():
        frame, f12, f21, _, _ = net(i1, i2, s12, s21, t)
        n1, n2 = (i1 - 0.5) / 0.5, (i2 - 0.5) / 0.5
        feats1, feats2 = net.feat_ext(n1), net.feat_ext(n2)
        r12, _ = net.flownet(n1, n2, iters=12, flow_init=s12)
        r21, _ = net.flownet(n2, n1, iters=12, flow_init=s21)
        torch.testing.assert_close(f12, r12, atol=1e-3, rtol=1e-4)
        torch.testing.assert_close(f21, r21, atol=1e-3, rtol=1e-4)
        a, b = t * f12, (1 - t) * f21
        inputs = [torch.cat([splat_average(i1, a), splat_average(i2, b)], 1)]
        for x1, x2 in zip(feats1, feats2):
            h, w = x1.shape[2:]
            inputs.append(torch.cat([splat_average(x1, nearest_resize(a, h, w)),
                                     splat_average(x2, nearest_resize(b, h, w))], 1))
        want = net.synnet(*inputs)
    torch.testing.assert_close(frame, want, atol=1e-5, rtol=1e-5)


def test_net_rejects_sizes_not_divisible_by_4():
    with pytest.raises(ValueError, match="divisible by 4"):
        AnimeInterpNet()(torch.rand(1, 3, 66, 72), torch.rand(1, 3, 66, 72), None, None)


def test_end_to_end_on_real_frames_with_random_weights(pigs_frames):
    torch.manual_seed(6)
    method = AnimeInterp(net=AnimeInterpNet(), vgg=None, working_size=None, sgm_size=None)
    half = [f[::2, ::2] for f in pigs_frames]  # 157×137: odd sizes exercise the padding
    gray1 = half[0][..., 0]  # the film is grayscale: pass H×W and RGBA variants
    rgba3 = np.dstack([half[2], np.full(half[2].shape[:2], 255, np.uint8)])
    with pytest.raises(BadInput):
        method.interpolate(gray1, rgba3[:100])
    out = method.interpolate(gray1, rgba3, t=0.5)
    assert out.shape == (137, 157, 3) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert out.std() > 0


def test_gru_with_precomputed_context_equals_raft_concatenated_convolutions():
    from atdkit.methods.animeinterp.rfr.update import SepConvGRU

    torch.manual_seed(7)
    gru = SepConvGRU().eval()
    g = torch.Generator().manual_seed(8)
    h, inp, motion = (torch.randn(1, 128, 6, 9, generator=g) for _ in range(3))

    def raft_step(h, x, convz, convr, convq):  # RAFT's formulation on [h, x], x = [context, motion]
        hx = torch.cat([h, x], 1)
        z, r = torch.sigmoid(convz(hx)), torch.sigmoid(convr(hx))
        return (1 - z) * h + z * torch.tanh(convq(torch.cat([r * h, x], 1)))

    with torch.no_grad():
        x = torch.cat([inp, motion], 1)
        want = raft_step(raft_step(h, x, gru.convz1, gru.convr1, gru.convq1), x, gru.convz2, gru.convr2, gru.convq2)
        got = gru(h, motion, gru.context_terms(inp))
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_working_size_resizes_like_the_official_loader_and_back(pigs_frames):
    torch.manual_seed(9)
    method = AnimeInterp(net=AnimeInterpNet(), vgg=None, working_size=(96, 64), sgm_size=(96, 64))
    out = method.interpolate(pigs_frames[0], pigs_frames[2], t=0.5)
    assert out.shape == pigs_frames[0].shape and out.dtype == np.float32
    assert np.isfinite(out).all() and 0 <= out.min() and out.max() <= 1
