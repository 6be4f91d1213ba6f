"""Our LPIPS (AlexNet-lin v0.1): hand case, an independent functional recomputation, and loading
of synthesised files with the published key names and shapes (the real weights are not here)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from atdkit.bench import lpips as L
from atdkit.errors import WeightsMismatch


def _fake_states(seed=0):
    g = torch.Generator().manual_seed(seed)
    backbone = {k: torch.randn(*shape, generator=g) * 0.05 for k, shape in L.backbone_shapes().items()}
    backbone.update({"classifier.1.weight": torch.zeros(4, 4), "classifier.1.bias": torch.zeros(4)})
    linear = {k: torch.rand(*shape, generator=g) for k, shape in L.linear_shapes().items()}
    return backbone, linear


def _save(tmp_path, backbone, linear):
    torch.save(backbone, tmp_path / "alexnet-owt-7be5be79.pth")
    torch.save(linear, tmp_path / "lpips_alex_v0.1.pth")
    return tmp_path / "alexnet-owt-7be5be79.pth", tmp_path / "lpips_alex_v0.1.pth"


def test_layer_distance_hand_case():
    fa = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)   # normalised (0.6, 0.8)
    fb = torch.tensor([0.0, 2.0]).view(1, 2, 1, 1)   # normalised (0, 1)
    w = torch.tensor([1.0, 2.0]).view(1, 2, 1, 1)
    assert float(L.layer_distance(fa, fb, w)) == pytest.approx(0.36 * 1 + 0.04 * 2, abs=1e-6)


def _functional_lpips(backbone, linear, a, b):
    """LPIPS written out with torch.nn.functional, layer by layer, as an independent check."""
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def feats(x):
        x = (x - shift) / scale
        out = []
        x = F.relu(F.conv2d(x, backbone["features.0.weight"], backbone["features.0.bias"], stride=4, padding=2))
        out.append(x)
        x = F.max_pool2d(x, 3, 2)
        x = F.relu(F.conv2d(x, backbone["features.3.weight"], backbone["features.3.bias"], padding=2))
        out.append(x)
        x = F.max_pool2d(x, 3, 2)
        for idx in (6, 8, 10):
            x = F.relu(F.conv2d(x, backbone[f"features.{idx}.weight"], backbone[f"features.{idx}.bias"], padding=1))
            out.append(x)
        return out

    total = 0.0
    for i, (fa, fb) in enumerate(zip(feats(a), feats(b))):
        na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        w = linear[f"lin{i}.model.1.weight"].view(1, -1, 1, 1)
        total = total + ((na - nb) ** 2 * w).sum(1).mean()
    return float(total)


def test_network_matches_functional_recomputation_and_is_zero_on_identity(tmp_path):
    backbone, linear = _fake_states()
    model = L.from_files(*_save(tmp_path, backbone, linear))
    rng = np.random.default_rng(0)
    a = rng.random((70, 90, 3)).astype(np.float32)
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(np.float32)
    ta = torch.from_numpy(a).permute(2, 0, 1)[None] * 2 - 1
    tb = torch.from_numpy(b).permute(2, 0, 1)[None] * 2 - 1
    with torch.no_grad():
        expected = _functional_lpips(backbone, linear, ta, tb)
    assert model.distance(a, b) == pytest.approx(expected, rel=1e-5)
    assert model.distance(a, b) > 0
    assert model.distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_loading_checks_keys_and_shapes(tmp_path):
    backbone, linear = _fake_states()
    bad = dict(linear)
    bad.pop("lin4.model.1.weight")
    with pytest.raises(WeightsMismatch, match="missing keys lin4.model.1.weight"):
        L.from_files(*_save(tmp_path, backbone, bad))
    bad = dict(backbone)
    bad["features.3.weight"] = torch.zeros(192, 64, 3, 3)
    with pytest.raises(WeightsMismatch, match="wrong shapes features.3.weight"):
        L.from_files(*_save(tmp_path, bad, linear))
    bad = dict(linear, **{"lin5.model.1.weight": torch.zeros(1, 3, 1, 1)})
    with pytest.raises(WeightsMismatch, match="unexpected keys lin5"):
        L.from_files(*_save(tmp_path, backbone, bad))
    prefixed = {f"module.{k}": v for k, v in backbone.items()}
    model = L.from_files(*_save(tmp_path, prefixed, linear))
    assert torch.equal(model.convs[4].weight, backbone["features.10.weight"])
    (tmp_path / "lpips_alex_v0.1.pth").write_bytes(b"garbage")
    with pytest.raises(WeightsMismatch, match="not a readable"):
        L.from_files(tmp_path / "alexnet-owt-7be5be79.pth", tmp_path / "lpips_alex_v0.1.pth")


def test_registry_files_fill_the_lpips_column_and_absence_leaves_it_null(tmp_path, monkeypatch):
    from bench_fixtures import build_root

    from atdkit.bench.runner import read_results, run_benchmark

    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ATDKIT_WEIGHTS_DIR", str(tmp_path / "weights"))
    (tmp_path / "weights").mkdir()
    assert L.load_lpips() is None
    root = build_root(tmp_path / "root", n=2)
    run_benchmark(root, tmp_path / "run0", ["blend"], size=None, progress=False, chamfer=False)
    assert read_results(tmp_path / "run0")["lpips"].isna().all()
    _save(tmp_path / "weights", *_fake_states())
    assert isinstance(L.load_lpips(), L.LPIPSAlex)
    run_benchmark(root, tmp_path / "run1", ["blend", "repeat"], size=None, progress=False, chamfer=False)
    df = read_results(tmp_path / "run1")
    assert df["lpips"].notna().all() and (df["lpips"] > 0).all()


@pytest.mark.weights
def test_published_linear_layers_load_key_for_key(tmp_path):
    """The real alex.pth (from the pinned lpips wheel via `make weights`) with a synthesised backbone."""
    from atdkit import weights
    from atdkit.errors import WeightsMissing
    from atdkit.weights.core import LPIPS_LINEAR as LINEAR

    try:
        linear_path = weights.resolve(LINEAR)
    except WeightsMissing:
        pytest.skip("lpips-alex-lin-v0.1 not fetched (make weights)")
    weights.verify(LINEAR, linear_path)
    backbone, _ = _fake_states()
    torch.save(backbone, tmp_path / "backbone.pth")
    model = L.from_files(tmp_path / "backbone.pth", linear_path)
    published = torch.load(linear_path, map_location="cpu", weights_only=True)
    for i, lin in enumerate(model.lins):
        assert torch.equal(lin.weight, published[f"lin{i}.model.1.weight"])
        assert float(lin.weight.min()) >= 0.0
