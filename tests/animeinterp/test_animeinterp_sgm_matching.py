"""SGM matching degree, mutual matching, validity, per-segment flows and descriptors."""

import math

import numpy as np
import pytest
import torch

from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.methods.animeinterp.sgm import SGM, make_descriptor
from atdkit.methods.animeinterp.sgm.descriptors import (
    ColourShapeDescriptor,
    VGG19Features,
    VGGDescriptor,
    load_vgg19,
    normalise,
    segment_means,
)
from atdkit.methods.animeinterp.sgm.matching import Segments, matching_degree, mutual_matching, valid_sources


def random_segments(seed, h=30, w=40, k=6):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, (h, w))
    labels[:10, :10] = k - 1  # uneven sizes
    return Segments.of(labels)


def test_matching_degree_equals_the_double_loop():
    s1, s3 = random_segments(0), random_segments(1, k=5)
    g = torch.Generator().manual_seed(0)
    p1 = normalise(torch.rand(12, 6, generator=g))
    p3 = normalise(torch.rand(12, 5, generator=g))
    got = matching_degree(p1, p3, s1, s3)
    max_dist = math.hypot(30, 40)
    for x in range(6):
        for y in range(5):
            want = float(torch.minimum(p1[:, x], p3[:, y]).sum())
            n1, n3 = float(s1.counts[x]), float(s3.counts[y])
            ratio = max(n1 / n3, n3 / n1)
            if ratio > 3:
                want -= ratio / 20
            dist = math.hypot(s1.cx[x] - s3.cx[y], s1.cy[x] - s3.cy[y]) / max_dist
            if dist > 0.14:
                want -= dist / 5
            assert abs(float(got[x, y]) - want) < 1e-5


def test_mutual_matching_equals_rank_sums_by_sorting():
    corr = torch.rand(7, 9, generator=torch.Generator().manual_seed(2))
    rank13, match13, rank31, match31 = mutual_matching(corr)
    row_rank = corr.argsort(1, descending=True).argsort(1)
    col_rank = corr.argsort(0, descending=True).argsort(0)
    mutual = (row_rank + col_rank).numpy()
    assert np.array_equal(rank13, mutual.min(1)) and np.array_equal(match13, mutual.argmin(1))
    assert np.array_equal(rank31, mutual.min(0)) and np.array_equal(match31, mutual.argmin(0))
    best = corr.argmax(1).numpy()
    for x in np.flatnonzero(rank13 == 0):  # rank sum 0 ⇔ each other's best
        assert match13[x] == best[x] and corr[:, match13[x]].argmax() == x


def test_validity_rules():
    labels = np.zeros((100, 100), np.int64)
    labels[0:10, 0:10] = 1       # 100 px
    labels[20:25, 0:10] = 2      # 50 px: too small (must be > 50)
    labels[40:70, 40:70] = 3     # 900 px
    src = Segments.of(labels)
    dst = Segments.of(labels)
    match = np.arange(4)
    ok = valid_sources(np.zeros(4, int), match, src, dst)
    assert list(ok) == [False, True, False, True]  # 0 is the background: > 12 % of the frame
    assert not valid_sources(np.ones(4, int), match, src, dst).any()  # not mutual-best
    assert list(valid_sources(np.zeros(4, int), np.array([0, 3, 2, 1]), src, dst)) == [False, False, False, False]


def test_segment_means_is_scatter_mean():
    values = torch.arange(24, dtype=torch.float32).view(2, 3, 4)
    labels = np.array([[0, 0, 1, 1], [0, 2, 2, 1], [3, 3, 3, 3]])
    got = segment_means(values, labels, 5)
    for k in range(4):
        m = torch.from_numpy(labels == k)
        torch.testing.assert_close(got[:, k], values[:, m].mean(1))
    assert torch.all(got[:, 4] == 0)  # absent label


def test_vgg_loads_torchvision_format_without_torchvision(tmp_path):
    torch.manual_seed(0)
    ref = VGG19Features()
    state = {k: v.clone() for k, v in ref.state_dict().items()}
    state["features.21.weight"] = torch.zeros(512, 512, 3, 3)  # later layers and the classifier are ignored
    state["classifier.0.weight"] = torch.zeros(4, 4)
    torch.save(state, tmp_path / "vgg19-dcbb9e9d.pth")
    model = load_vgg19(tmp_path / "vgg19-dcbb9e9d.pth")
    x = torch.rand(1, 3, 32, 40)
    for a, b in zip(model(x), ref(x)):
        assert torch.equal(a, b)
    assert [t.shape[1] for t in model(x)] == [64, 128, 256, 512]
    descs = VGGDescriptor(model)([np.zeros((32, 40, 3), np.uint8)] * 2, [np.zeros((32, 40), np.int64)] * 2, [1, 1])
    assert [d.shape for d in descs] == [(960, 1), (960, 1)]

    del state["features.19.bias"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(WeightsMismatch, match="broken.pth"):
        load_vgg19(tmp_path / "broken.pth")
    with pytest.raises(WeightsMissing, match="absent.pth"):
        load_vgg19(tmp_path / "absent.pth")


def test_missing_vgg_falls_back_to_the_weight_free_descriptor_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("ATDKIT_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="weight-free"):
        desc = make_descriptor("auto")
    assert isinstance(desc, ColourShapeDescriptor)


def test_weight_free_descriptor_separates_colours_and_shapes():
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = (250, 10, 10)
    img[:, 20:] = (10, 10, 250)
    labels = np.zeros((20, 40), np.int64)
    labels[:, 20:] = 1
    d = normalise(ColourShapeDescriptor().one(img, labels, 2))
    assert torch.allclose(d.sum(0), torch.ones(2))
    same = torch.minimum(d[:, 0], d[:, 0]).sum()
    other = torch.minimum(d[:, 0], d[:, 1]).sum()
    assert same > other + 0.3


def test_sgm_recovers_the_motion_of_drawn_segments(make_cel):
    frame1, frame3 = make_cel((0, 0)), make_cel((16, 4))
    result = SGM(vgg=None, style="japanese", size=None)(frame1, frame3)
    assert result.flow13.shape == (2, 96, 128) and result.flow13.dtype == np.float32
    assert result.descriptor == "colour-shape"
    disc13 = result.labels1[35, 40]
    assert result.matched13[disc13]
    np.testing.assert_allclose(result.flow13[:, 35, 40], [16, 4], atol=1.0)
    disc31 = result.labels3[39, 56]
    assert result.matched31[disc31]
    np.testing.assert_allclose(result.flow31[:, 39, 56], [-16, -4], atol=1.0)
    assert set(result.seconds) == {"label_maps", "descriptors", "matching", "segment_flows"}
    assert np.all(result.flow13[:, result.labels1 == result.labels1[2, 2]] == 0)  # background: no SGM flow
