"""The speed-motivated deviations give the outputs of the straightforward path.

Each test runs the fast code next to a plain restatement (contiguous NCHW tensors,
one image per call, sequential work) and compares: bit equality where the operation
is deterministic, else float-rounding tolerances (1e-5 on frames/features).
"""

import numpy as np
import torch
import torch.nn.functional as F

from atdkit.methods.animeinterp.layout import channels_last
from atdkit.methods.animeinterp.rfr.update import BasicUpdateBlock
from atdkit.methods.animeinterp.sgm import SGM, label_maps
from atdkit.methods.animeinterp.sgm.descriptors import VGG19Features, VGGDescriptor, segment_means
from atdkit.methods.animeinterp.sgm.labelmap import label_map
from atdkit.nn.feature_pyramid import FeaturePyramid
from atdkit.nn.gridnet import GridNet
from atdkit.ops.correlation import CorrelationPyramid
from atdkit.ops.splatting import splat_average


def test_channels_last_gridnet_and_batched_pyramid_equal_the_plain_calls():
    torch.manual_seed(0)
    pyramid, grid = FeaturePyramid(3, (32, 64, 96)).eval(), GridNet(6, 64, 128, 192, 3).eval()
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(1, 3, 32, 48, generator=g) * 2 - 1, torch.rand(1, 3, 32, 48, generator=g) * 2 - 1
    with torch.no_grad():
        both = pyramid(channels_last(torch.cat([a, b], 0)))
        for level, (fa, fb) in enumerate(zip(pyramid(a), pyramid(b))):
            torch.testing.assert_close(both[level][:1], fa, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(both[level][1:], fb, atol=1e-5, rtol=1e-5)
        inputs = [torch.randn(1, c, 32 // s, 48 // s, generator=g) for c, s in ((6, 1), (64, 1), (128, 2), (192, 4))]
        fast = grid(*(channels_last(x) for x in inputs))
        plain = grid(*inputs)
    assert fast.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast, plain, atol=1e-5, rtol=1e-5)


def test_update_block_in_channels_last_equals_nchw():
    torch.manual_seed(2)
    block = BasicUpdateBlock().eval()
    g = torch.Generator().manual_seed(3)
    net, inp = torch.randn(1, 128, 6, 10, generator=g), torch.randn(1, 128, 6, 10, generator=g)
    corr, flow = torch.randn(1, 324, 6, 10, generator=g), torch.randn(1, 2, 6, 10, generator=g)
    with torch.no_grad():
        fast = block(net, block.context_terms(inp), corr, flow)
        # the plain path: every tensor NCHW-contiguous, terms computed from NCHW context
        terms = [F.conv2d(inp, torch.cat([block.gru._context_weight(c) for c in convs], 0),
                          torch.cat([c.bias for c in convs], 0), padding=convs[0].padding)
                 for convs in block.gru._passes()]
        motion = block.encoder(flow, corr)
        h = block.gru(net, motion, terms)
        plain = (h, 0.25 * block.mask(h), block.flow_head(h))
    for got, want in zip(fast, plain):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    assert fast[1].is_contiguous() and fast[2].is_contiguous()  # the mask is viewed by convex_upsample


def test_correlation_lookup_layout_is_channels_last_with_the_same_values():
    g = torch.Generator().manual_seed(4)
    f1, f2 = torch.randn(2, 16, 8, 12, generator=g), torch.randn(2, 16, 8, 12, generator=g)
    coords = torch.rand(2, 2, 8, 12, generator=g) * 10
    out = CorrelationPyramid(f1, f2, 2, 2).lookup(coords)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out.contiguous(), out)  # same values either layout


def test_splatting_a_channels_last_tensor_equals_splatting_it_contiguous():
    g = torch.Generator().manual_seed(5)
    src, flow = torch.randn(2, 9, 10, 14, generator=g), torch.randn(2, 2, 10, 14, generator=g) * 3
    assert torch.equal(splat_average(channels_last(src), flow), splat_average(src, flow))


def plain_vgg_descriptor(model: VGG19Features, image: np.ndarray, labels: np.ndarray, k: int) -> torch.Tensor:
    """The straightforward official descriptor: one frame, NCHW-contiguous tensors, every VGG-19 layer
    up to relu4_1 applied by hand, and a per-channel scatter-mean (``torch_scatter.scatter_mean`` of
    the (C, H·W) features) at each tapped level."""
    layers = model.features
    with torch.no_grad():
        x = torch.from_numpy(image).permute(2, 0, 1).float()[None].contiguous() / 255.0
        x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        pooled, level_labels = [], labels
        for i in range(21):
            layer = layers[i]
            if isinstance(layer, torch.nn.Conv2d):
                x = F.conv2d(x, layer.weight, layer.bias, padding=1)
            elif isinstance(layer, torch.nn.MaxPool2d):
                x = F.max_pool2d(x, 2, 2)
            else:
                x = F.relu(x)
                if i in (1, 6, 11, 20):  # relu1_1, relu2_1, relu3_1, relu4_1
                    level_labels = level_labels[1::2, 1::2] if i > 1 else level_labels
                    assert x.is_contiguous() and x.shape[2:] == level_labels.shape
                    index = torch.from_numpy(level_labels.reshape(-1))
                    sums = torch.zeros(x.shape[1], k).index_add_(1, index, x[0].reshape(x.shape[1], -1))
                    pooled.append(sums / torch.bincount(index, minlength=k).clamp(min=1))
    return torch.cat(pooled, 0)


def test_batched_vgg_descriptor_gives_the_plain_descriptors_matches_and_flows_on_a_real_pair(pigs_frames):
    """The fast VGG path (both frames in one channels-last forward, pooling of both frames at once)
    against :func:`plain_vgg_descriptor` on the real cartoon pair at its native 314×273: descriptors
    within float32 rounding (1e-5 relative), then the same rank sums and matches, hence bit-identical
    flows and accepted segments."""
    from atdkit.methods.animeinterp.sgm.descriptors import normalise
    from atdkit.methods.animeinterp.sgm.matching import Segments, guidance_flows, matching_degree, mutual_matching

    torch.manual_seed(6)
    model = VGG19Features().eval().requires_grad_(False)
    sgm = SGM(vgg=None, size=None)
    sgm.descriptor = VGGDescriptor(model)
    f1, f3 = pigs_frames[0], pigs_frames[2]
    fast = sgm(f1, f3)
    s1, s3 = Segments.of(fast.labels1), Segments.of(fast.labels3)
    k1, k3 = len(s1.counts), len(s3.counts)
    got1, got3 = sgm.descriptor((f1, f3), (fast.labels1, fast.labels3), (k1, k3))
    want1, want3 = plain_vgg_descriptor(model, f1, fast.labels1, k1), plain_vgg_descriptor(model, f3, fast.labels3, k3)
    assert want1.shape == (960, k1) and k1 > 20 and k3 > 20
    torch.testing.assert_close(got1, want1, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got3, want3, atol=1e-5, rtol=1e-5)
    want_corr = matching_degree(normalise(want1), normalise(want3), s1, s3)
    want_ranks = mutual_matching(want_corr)
    got_ranks = mutual_matching(matching_degree(normalise(got1), normalise(got3), s1, s3))
    for got, want in zip(got_ranks, want_ranks):
        assert np.array_equal(got, want)
    (want13, ok13), (want31, ok31) = guidance_flows(f1, f3, s1, s3, *want_ranks)
    assert ok13.sum() >= 5 and ok31.sum() >= 5  # real matches, so the flows are not trivially zero
    assert np.array_equal(fast.flow13, want13) and np.array_equal(fast.matched13, ok13)
    assert np.array_equal(fast.flow31, want31) and np.array_equal(fast.matched31, ok31)


def test_threaded_label_maps_equal_sequential_calls(pigs_frames, make_cel):
    pairs = [(pigs_frames[0][:120, :160], pigs_frames[2][:120, :160]), (make_cel((0, 0)), make_cel((16, 4)))]
    for a, b in pairs:
        for style in ("disney", "japanese"):
            got = label_maps(a, b, style)
            assert np.array_equal(got[0], label_map(a[..., ::-1], style))
            assert np.array_equal(got[1], label_map(b[..., ::-1], style))
    result = SGM(vgg=None, style="japanese", size=None)(*pairs[1])
    assert np.array_equal(result.labels1, label_map(pairs[1][0][..., ::-1], "japanese"))


def test_threaded_guidance_flows_equal_sequential_calls(make_cel):
    from atdkit.methods.animeinterp.sgm.descriptors import ColourShapeDescriptor, normalise
    from atdkit.methods.animeinterp.sgm.matching import (
        Segments,
        guidance_flow,
        guidance_flows,
        matching_degree,
        mutual_matching,
    )

    f1, f3 = make_cel((0, 0)), make_cel((16, 4))
    l1, l3 = label_maps(f1, f3, "japanese")
    s1, s3 = Segments.of(l1), Segments.of(l3)
    d = ColourShapeDescriptor()
    corr = matching_degree(*(normalise(p) for p in d((f1, f3), (l1, l3), (len(s1.counts), len(s3.counts)))), s1, s3)
    r13, m13, r31, m31 = mutual_matching(corr)
    threads = torch.get_num_threads()
    (flow13, ok13), (flow31, ok31) = guidance_flows(f1, f3, s1, s3, r13, m13, r31, m31)
    assert torch.get_num_threads() == threads
    want13, want_ok13 = guidance_flow(f1, f3, s1, s3, r13, m13)
    want31, want_ok31 = guidance_flow(f3, f1, s3, s1, r31, m31)
    assert ok13.any() and ok31.any()  # segments were matched, so the flows are not trivially zero
    assert np.array_equal(flow13, want13) and np.array_equal(ok13, want_ok13)
    assert np.array_equal(flow31, want31) and np.array_equal(ok31, want_ok31)


def test_row_wise_segment_means_equal_per_channel_scatter_sums():
    g = torch.Generator().manual_seed(8)
    labels = np.random.default_rng(9).integers(0, 40, (24, 36))
    labels[labels == 7] = 8  # an absent label
    for values in (torch.randn(16, 24, 36, generator=g), torch.randn(1, 24, 36, 16, generator=g).permute(0, 3, 1, 2)[0]):
        index = torch.from_numpy(labels.reshape(-1))
        plain = torch.zeros(16, 40).index_add_(1, index, values.reshape(16, -1))
        plain = plain / torch.bincount(index, minlength=40).clamp(min=1)
        torch.testing.assert_close(segment_means(values, labels, 40), plain, atol=1e-6, rtol=1e-6)
        assert torch.all(segment_means(values, labels, 40)[:, 7] == 0)
