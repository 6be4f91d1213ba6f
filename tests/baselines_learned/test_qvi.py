"""QVI and its PWC-Net: parameter names and shapes as the official definitions (xuxy09/QVI
``models/QVI.py``, ``UNet2.py``, ``PWCNetnew.py``), flow reversal against an explicit loop, the
released format round trip, and one-line errors for wrong files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from atdkit.errors import WeightsMismatch
from atdkit.baselines.qvi import QVI
from atdkit.baselines.qvi.model import QVINet, gaussian_splat, reverse_flow

# Written from PWCNetnew.py: extractor widths, decoder input channels (81 + C_level + 2 + 2, 81 at
# level 6) and the dense block (128, 128, 96, 64, 32), the refiner's seven convolutions.
EXTRACTOR = {"moduleOne": (3, 16), "moduleTwo": (16, 32), "moduleThr": (32, 64), "moduleFou": (64, 96),
             "moduleFiv": (96, 128), "moduleSix": (128, 196)}
DECODER_IN = {6: 81, 5: 81 + 128 + 4, 4: 81 + 96 + 4, 3: 81 + 64 + 4, 2: 81 + 32 + 4}
DECODER_NAME = {6: "moduleSix", 5: "moduleFiv", 4: "moduleFou", 3: "moduleThr", 2: "moduleTwo"}
REFINER = [(565, 128), (128, 128), (128, 128), (128, 96), (96, 64), (64, 32), (32, 2)]


def official_shapes() -> dict[str, tuple[int, ...]]:
    shapes = {}
    for name, (cin, cout) in EXTRACTOR.items():
        for i, (a, b) in zip((0, 2, 4), ((cin, cout), (cout, cout), (cout, cout))):
            shapes[f"flownet.moduleExtractor.{name}.{i}.weight"] = (b, a, 3, 3)
            shapes[f"flownet.moduleExtractor.{name}.{i}.bias"] = (b,)
    for level, name in DECODER_NAME.items():
        cin = DECODER_IN[level]
        if level < 6:
            shapes[f"flownet.{name}.moduleUpflow.weight"] = (2, 2, 4, 4)
            shapes[f"flownet.{name}.moduleUpflow.bias"] = (2,)
            shapes[f"flownet.{name}.moduleUpfeat.weight"] = (DECODER_IN[level + 1] + 448, 2, 4, 4)
            shapes[f"flownet.{name}.moduleUpfeat.bias"] = (2,)
        for k, cout in zip(("One", "Two", "Thr", "Fou", "Fiv", "Six"), (128, 128, 96, 64, 32, 2)):
            shapes[f"flownet.{name}.module{k}.0.weight"] = (cout, cin, 3, 3)
            shapes[f"flownet.{name}.module{k}.0.bias"] = (cout,)
            cin += cout
    for i, (a, b) in zip(range(0, 14, 2), REFINER):
        shapes[f"flownet.moduleRefiner.moduleMain.{i}.weight"] = (b, a, 3, 3)
        shapes[f"flownet.moduleRefiner.moduleMain.{i}.bias"] = (b,)
    # UNet2(20, 8): Super SloMo's U-Net
    unet = {"conv1": (32, 20, 7), "conv2": (32, 32, 7), "conv3": (8, 32, 3)}
    for i, (a, b, k) in enumerate(((32, 64, 5), (64, 128, 3), (128, 256, 3), (256, 512, 3), (512, 512, 3)), 1):
        unet[f"down{i}.conv1"], unet[f"down{i}.conv2"] = (b, a, k), (b, b, k)
    for i, (a, b) in enumerate(((512, 512), (512, 256), (256, 128), (128, 64), (64, 32)), 1):
        unet[f"up{i}.conv1"], unet[f"up{i}.conv2"] = (b, a, 3), (b, 2 * b, 3)
    for name, (cout, cin, k) in unet.items():
        shapes[f"refinenet.{name}.weight"] = (cout, cin, k, k)
        shapes[f"refinenet.{name}.bias"] = (cout,)
    for name, (cout, cin, k) in {"conv1": (32, 38, 5), "conv2": (16, 32, 3), "conv3": (1, 16, 3)}.items():
        shapes[f"masknet.{name}.weight"] = (cout, cin, k, k)
        shapes[f"masknet.{name}.bias"] = (cout,)
    return shapes


def test_parameter_names_and_shapes_are_the_official_ones():
    ours = {k: tuple(v.shape) for k, v in QVINet().state_dict().items()}
    assert ours == official_shapes()


def test_flow_reversal_matches_an_explicit_loop():
    g = torch.Generator().manual_seed(5)
    h, w = 6, 7
    flow = torch.randn(1, 2, h, w, generator=g) * 2.5
    got = reverse_flow(flow)[0].numpy()
    f = flow[0].numpy().astype(np.float64)
    sums, weights = np.zeros((2, h, w)), np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            u, v = f[0, y, x], f[1, y, x]
            for ty in (math.floor(y + v), math.floor(y + v) + 1):
                for tx in (math.floor(x + u), math.floor(x + u) + 1):
                    if 0 <= ty < h and 0 <= tx < w:
                        wt = math.exp(-((x + u - tx) ** 2 + (y + v - ty) ** 2))
                        sums[:, ty, tx] += wt * f[:, y, x]
                        weights[ty, tx] += wt
    want = np.where(weights > 0, -sums / np.where(weights > 0, weights, 1), 0.0)
    assert (weights == 0).any() and (weights > 0).any()  # the case split is exercised
    np.testing.assert_allclose(got, want, atol=2e-5)
    assert torch.equal(gaussian_splat(flow, flow)[1][:, 0], gaussian_splat(flow, flow)[1][:, 1])


def _frames(seed=0, h=40, w=56):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (h, w + 12, 3), dtype=np.uint8)
    return [np.ascontiguousarray(base[:, 3 * k:3 * k + w]) for k in range(4)]


def test_released_format_round_trip_and_input_recorded(tmp_path):
    torch.manual_seed(0)
    net = QVINet()
    path = tmp_path / "model.pt"
    torch.save({"epoch": 2, "model_state_dict": {"module." + k: v for k, v in net.state_dict().items()}}, path)
    loaded = QVI(weights=path)
    given = QVI(net=net)
    f = _frames()
    out = loaded.interpolate(f[1], f[2], 0.5)
    assert out.shape == f[1].shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, given.interpolate(f[1], f[2], 0.5))
    assert loaded.provenance() == {"input": "2 frames, linear motion: no dataset context"}
    assert not np.allclose(out, QVI(net=QVINet()).interpolate(f[1], f[2], 0.5))  # weights matter


def test_wrong_files_fail_in_one_line(tmp_path):
    net = QVINet()
    bare = tmp_path / "bare.pt"
    torch.save({"model_state_dict": net.state_dict()}, bare)  # no DataParallel prefix
    with pytest.raises(WeightsMismatch) as exc:
        QVI(weights=bare)
    assert "lacks the expected prefix 'module.'" in str(exc.value) and "\n" not in str(exc.value)
    partial = tmp_path / "partial.pt"
    torch.save({"model_state_dict": {"module." + k: v for k, v in net.state_dict().items()
                                     if not k.startswith("masknet.")}}, partial)
    with pytest.raises(WeightsMismatch, match=r"partial.pt: not a QVINet checkpoint: 6 of \d+ weights missing"):
        QVI(weights=partial)
