"""SoftSplat: the released ``network-lf.pytorch`` layout, loading, its two custom operations
against explicit loops, padding, time, and a run through ``atdkit bench``.

The released file cannot be fetched in the tests; its layout is written below from the official
definitions (sniklaus/softmax-splatting ``run.py``: ``Flow``, ``Synthesis`` and their blocks, with
the file's ``module`` prefixes that the official loader turns into ``net``).
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from learned_fixtures import assert_refused_in_one_line, assert_same_network

from atdkit.bench.runner import read_results
from atdkit.errors import WeightsMismatch
from atdkit.mining.pipeline import mine
from atdkit.ops.correlation import local_correlation
from atdkit.store import DatasetRoot
from atdkit.synth import synthesize
from atdkit.baselines.softsplat.flow import LEVEL_NAMES
from atdkit.baselines.softsplat.method import SoftSplat, load_softsplat
from atdkit.baselines.softsplat.model import SoftSplatNet, released_key
from atdkit.baselines.softsplat.synthesis import splat_with_metric


def _conv(shapes, name, cout, cin, k=3, bias=True):
    shapes[f"{name}.weight"] = (cout, cin, k, k)
    if bias:
        shapes[f"{name}.bias"] = (cout,)


def _prelu(shapes, name, channels):
    shapes[f"{name}.weight"] = (channels,)


def _basic(shapes, name, cin, width, cout, pre_activation):
    """run.py's Basic('relu-conv-relu-conv' | 'conv-relu-conv', [cin, width, cout], True)."""
    i = 0
    if pre_activation:
        _prelu(shapes, f"{name}.moduleMain.0", cin)
        i = 1
    _conv(shapes, f"{name}.moduleMain.{i}", width, cin, bias=False)
    _prelu(shapes, f"{name}.moduleMain.{i + 1}", width)
    _conv(shapes, f"{name}.moduleMain.{i + 2}", cout, width, bias=False)
    if cin != cout:
        _conv(shapes, f"{name}.moduleShortcut", cout, cin, k=1, bias=False)


def _down(shapes, name, cin, cout):
    _prelu(shapes, f"{name}.moduleMain.0", cin)
    _conv(shapes, f"{name}.moduleMain.1", cout, cin, bias=False)
    _prelu(shapes, f"{name}.moduleMain.2", cout)
    _conv(shapes, f"{name}.moduleMain.3", cout, cout, bias=False)


def _up(shapes, name, cin, cout):  # moduleMain.0 is the parameter-free Upsample
    _prelu(shapes, f"{name}.moduleMain.1", cin)
    _conv(shapes, f"{name}.moduleMain.2", cout, cin, bias=False)
    _prelu(shapes, f"{name}.moduleMain.3", cout)
    _conv(shapes, f"{name}.moduleMain.4", cout, cout, bias=False)


def official_layout() -> dict[str, tuple[int, ...]]:
    """Every tensor of the released file, name → shape, from run.py's class definitions."""
    s: dict[str, tuple[int, ...]] = {}
    levels = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth"]
    widths = [16, 32, 64, 96, 128, 192]
    cin = 3
    for level, width in zip(levels, widths):  # Flow.Extractor
        _conv(s, f"moduleFlow.moduleExtractor.module{level}.0", width, cin)
        _conv(s, f"moduleFlow.moduleExtractor.module{level}.2", width, width)
        cin = width
    for level, width in zip(levels, widths):  # Flow.Decoder(features + 81 (+ 2 below the coarsest))
        cin = width + 81 + (0 if level == "Sixth" else 2)
        for i, cout in enumerate([128, 128, 96, 64, 32, 2]):
            _conv(s, f"moduleFlow.module{level}.moduleMain.{2 * i}", cout, cin)
            cin = cout
    syn = "moduleSynthesis"
    for name, cin, cout in (("One", 3, 32), ("Two", 32, 64), ("Thr", 64, 96)):  # Encode
        _conv(s, f"{syn}.moduleEncode.module{name}.0", cout, cin, bias=False)
        _prelu(s, f"{syn}.moduleEncode.module{name}.1", cout)
        _conv(s, f"{syn}.moduleEncode.module{name}.2", cout, cout, bias=False)
        _prelu(s, f"{syn}.moduleEncode.module{name}.3", cout)
    met = f"{syn}.moduleSoftmetric"
    _conv(s, f"{met}.moduleInput", 12, 3, bias=False)
    _conv(s, f"{met}.moduleError", 4, 1, bias=False)
    for row, width in ((0, 16), (1, 32), (2, 64), (3, 96)):
        _basic(s, f"{met}.{row}x0 - {row}x1", width, width, width, True)
    for a, b, cin, cout in ((0, 1, 16, 32), (1, 2, 32, 64), (2, 3, 64, 96)):
        _down(s, f"{met}.{a}x0 - {b}x0", cin, cout)
        _up(s, f"{met}.{b}x1 - {a}x1", cout, cin)
    _basic(s, f"{met}.moduleOutput", 16, 16, 1, False)
    _basic(s, f"{syn}.moduleWarp.moduleOne", 3 + 3 + 32 + 32 + 1 + 1, 32, 32, False)
    _basic(s, f"{syn}.moduleWarp.moduleTwo", 64 + 64 + 1 + 1, 64, 64, False)
    _basic(s, f"{syn}.moduleWarp.moduleThr", 96 + 96 + 1 + 1, 96, 96, False)
    for row, width in ((0, 32), (1, 64), (2, 96)):
        for col in range(5):
            _basic(s, f"{syn}.{row}x{col} - {row}x{col + 1}", width, width, width, True)
    for col in (0, 1, 2):
        _down(s, f"{syn}.0x{col} - 1x{col}", 32, 64)
        _down(s, f"{syn}.1x{col} - 2x{col}", 64, 96)
    for col in (3, 4, 5):
        _up(s, f"{syn}.2x{col} - 1x{col}", 96, 64)
        _up(s, f"{syn}.1x{col} - 0x{col}", 64, 32)
    _basic(s, f"{syn}.moduleOutput", 32, 32, 3, False)
    return s


def released_state(net: SoftSplatNet) -> dict[str, torch.Tensor]:
    return {released_key(k): v for k, v in net.state_dict().items()}


@pytest.fixture(scope="module")
def random_net():
    torch.manual_seed(0)
    net = SoftSplatNet().eval()
    with torch.no_grad():  # flows of a few pixels instead of the initialisation's near-zero ones
        for name in LEVEL_NAMES:
            getattr(net.flow, name).main[-1].weight.mul_(300)
    return net


def test_names_and_shapes_are_the_released_files():
    ours = {k: tuple(v.shape) for k, v in released_state(SoftSplatNet()).items()}
    expected = official_layout()
    assert sorted(ours.keys() - expected.keys()) == [] and sorted(expected.keys() - ours.keys()) == []
    assert ours == expected
    assert len(ours) == 278


def test_cost_volume_matches_an_explicit_loop():
    """The flow decoders' 81-channel volume: channel (dy+4)·9 + (dx+4) = Σ_c a·b(y+dy, x+dx) / C, zeros outside."""
    torch.manual_seed(1)
    a, b = torch.randn(2, 5, 6, 7), torch.randn(2, 5, 6, 7)
    expected = torch.zeros(2, 81, 6, 7)
    for n in range(2):
        for y in range(6):
            for x in range(7):
                for k in range(81):
                    dy, dx = k // 9 - 4, k % 9 - 4
                    if 0 <= y + dy < 6 and 0 <= x + dx < 7:
                        expected[n, k, y, x] = sum(a[n, c, y, x] * b[n, c, y + dy, x + dx] for c in range(5)) / 5
    assert torch.allclose(local_correlation(a, b, 4), expected, atol=1e-6)


def test_softmax_splat_of_a_level_matches_an_explicit_loop():
    """The synthesis network's splat: features with Z appended, importance −Z clipped to ±20,
    Σ f·e^(−Z)·w / (Σ e^(−Z)·w + 1e-7) over the four corners of (x + u, y + v); a metric beyond the clip included."""
    torch.manual_seed(2)
    feats, flow = torch.randn(1, 3, 5, 6), torch.randn(1, 2, 5, 6) * 2
    metric = torch.randn(1, 1, 5, 6) * 3
    metric[0, 0, 2, 3] = -35.0  # e^35 would be clipped to e^20
    src = torch.cat([feats, metric], 1)
    num, den = torch.zeros(4, 5, 6, dtype=torch.float64), torch.zeros(5, 6, dtype=torch.float64)
    for y in range(5):
        for x in range(6):
            fx, fy = x + float(flow[0, 0, y, x]), y + float(flow[0, 1, y, x])
            z = math.exp(min(max(-float(metric[0, 0, y, x]), -20.0), 20.0))
            x0, y0 = math.floor(fx), math.floor(fy)
            for cx, cy in ((x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)):
                if 0 <= cx < 6 and 0 <= cy < 5:
                    w = (1 - abs(fx - cx)) * (1 - abs(fy - cy))
                    num[:, cy, cx] += src[0, :, y, x].double() * z * w
                    den[cy, cx] += z * w
    expected = (num / (den + 1e-7)).float()[None]
    got = splat_with_metric(feats, metric, flow)
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert (den == 0).any() and (got[0][:, den == 0] == 0).all()  # holes stay zero


def test_round_trip_of_the_released_format_is_bit_identical(random_net, tmp_path):
    path = tmp_path / "network-lf.pytorch"
    torch.save(released_state(random_net), path)
    assert_same_network(load_softsplat(path), random_net, torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64), 0.3)
    # the official loader's naming (module → net) is accepted too
    torch.save({k.replace("module", "net"): v for k, v in released_state(random_net).items()}, tmp_path / "net.pt")
    assert torch.equal(load_softsplat(tmp_path / "net.pt").state_dict()["flow.first.main.10.weight"],
                       random_net.state_dict()["flow.first.main.10.weight"])


def test_a_missing_renamed_or_misshaped_key_or_a_bad_file_is_one_line(random_net, tmp_path):
    good = released_state(random_net)
    missing = {k: v for k, v in good.items() if k != "moduleSynthesis.2x3 - 1x3.moduleMain.4.weight"}
    renamed = {("module." + k if k == "moduleFlow.moduleSixth.moduleMain.0.bias" else k): v for k, v in good.items()}
    shaped = {**good, "moduleSynthesis.moduleOutput.moduleShortcut.weight": torch.zeros(4, 32, 1, 1)}
    cases = [(missing, "1 of 278 weights missing (synthesis.2x3 - 1x3.main.4.weight)"),
             (renamed, "weights missing (flow.sixth.main.0.bias); 1 unexpected (module.flow.sixth.main.0.bias)"),
             (shaped, "1 with wrong shapes (e.g. synthesis.output.shortcut.weight: (4, 32, 1, 1) in the file")]
    assert_refused_in_one_line(load_softsplat, cases, tmp_path, lambda path: f"{path}: not a SoftSplatNet checkpoint",
                               suffix=".pytorch")
    garbage = tmp_path / "garbage.pytorch"
    garbage.write_bytes(b"\x00not a checkpoint")
    with pytest.raises(WeightsMismatch, match=r"garbage\.pytorch: not a readable PyTorch checkpoint"):
        load_softsplat(garbage)


def test_method_feeds_bgr_pads_by_replication_to_even_sizes_and_crops_back(random_net):
    """A 45×61 pair: the method's frame is the network's on the BGR pair replicate-padded to
    46×62, cropped and flipped back to RGB; t = 0.25 and 0.75 give different frames."""
    rng = np.random.default_rng(0)
    f0, f1 = (rng.integers(0, 256, (45, 61, 3), dtype=np.uint8) for _ in range(2))
    method = SoftSplat(net=random_net)

    def expected(t):
        x0, x1 = (F.pad(torch.tensor(f[:, :, ::-1].copy()).permute(2, 0, 1)[None].float() / 255, (0, 1, 0, 1),
                        mode="replicate") for f in (f0, f1))
        with torch.inference_mode():
            out = random_net(x0, x1, t)[0, :, :45, :61].flip(0)
        return out.clamp(0, 1).permute(1, 2, 0).numpy()

    out = method.interpolate(f0, f1, 0.25)
    assert out.shape == (45, 61, 3) and out.dtype == np.float32
    assert np.abs(out - expected(0.25)).max() < 1e-6
    assert np.abs(method.interpolate(f0, f1, 0.75) - out).max() > 1e-3


def test_the_frame_follows_an_affine_change_of_the_inputs(random_net):
    """Both frames are standardised with their joint statistics and the output de-standardised:
    scaling and shifting both inputs scales and shifts the output the same way."""
    torch.manual_seed(3)
    x0, x1 = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64)
    with torch.inference_mode():
        out = random_net(x0, x1, 0.4)
        moved = random_net(0.5 * x0 + 0.2, 0.5 * x1 + 0.2, 0.4)
        alone = random_net(0.5 * x0 + 0.2, x1, 0.4)  # changing one frame only is not such a change
    assert torch.allclose(moved, 0.5 * out + 0.2, atol=1e-5)
    assert (alone - (0.5 * out + 0.2)).abs().max() > 1e-2


def test_frames_too_small_for_the_pyramid_are_padded_to_its_minimum(random_net):
    """Below 33 pixels the 1/32 level is 1 pixel and the official backward warp divides by zero
    (NaN); the method pads to 34 by replication, which for a constant frame changes nothing."""
    with torch.inference_mode():
        x = torch.rand(1, 3, 32, 40)
        assert not torch.isfinite(random_net(x, x.flip(3), 0.5)).all()  # what the bare network does
    rng = np.random.default_rng(4)
    f0, f1 = (rng.integers(0, 256, (20, 27, 3), dtype=np.uint8) for _ in range(2))
    out = SoftSplat(net=random_net).interpolate(f0, f1, 0.5)
    assert out.shape == (20, 27, 3) and np.isfinite(out).all()
    grey = np.full((20, 27, 3), 120, np.uint8)
    assert np.abs(SoftSplat(net=random_net).interpolate(grey, grey, 0.5) - 120 / 255).max() < 1e-5


@pytest.mark.slow
def test_bench_scores_a_mined_root_with_random_released_format_weights(random_net, tmp_path):
    film = synthesize(tmp_path / "film.mp4", length_s=2.0, fps=24, width=192, height=108, seed=3, style="cel")
    mine([film], tmp_path / "root", workers=1, progress=False)
    tids = sorted(DatasetRoot(tmp_path / "root").triplets()["triplet_id"])
    assert tids, "mining found no triplets"
    path = tmp_path / "network-lf.pytorch"
    torch.save(released_state(random_net), path)

    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(tmp_path / "root"), "-m", "softsplat",
                           "--weights", f"softsplat={path}", "--size", "native", "--no-chamfer",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = read_results(tmp_path / "run")
    rows = rows[rows["method"] == "softsplat"]
    assert sorted(rows["triplet_id"]) == tids
    assert rows["error"].isna().all(), rows["error"].dropna().tolist()[:1]
    assert np.isfinite(rows["psnr"]).all()
    assert {json.dumps(json.loads(s), sort_keys=True) for s in rows["weights_sha256"]} == {
        json.dumps({"softsplat": hashlib.sha256(path.read_bytes()).hexdigest()})}
