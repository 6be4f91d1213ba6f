"""DAIN: ``best.pth``'s names and shapes as the official definitions give them (baowenbo/DAIN
``networks/DAIN.py``, ``PWCNet/PWCNet.py``, ``MegaDepth/pytorch_DIW_scratch.py``, ``S2D_models/S2DF.py``,
``Resblock/BasicBlock.py``), the two custom layers against explicit loops written from their CUDA
kernels, the released-format round trip, the demo's padding, and one-line errors for wrong files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from atdkit.errors import WeightsMismatch
from atdkit.baselines.dain import DAIN, load_dain
from atdkit.baselines.dain.layers import depth_aware_projection, filter_interpolation, project_flow
from atdkit.baselines.dain.method import demo_padding

# --- names and shapes, written from the official definitions ---------------------------------------------

# MegaDepth's inception blocks: (input, 1×1 width, ((kernel, reduced, width) × 3))
A = (128, 32, ((3, 32, 32), (5, 32, 32), (7, 32, 32)))
B = (128, 64, ((3, 32, 64), (5, 32, 64), (7, 32, 64)))
C = (256, 64, ((3, 32, 64), (5, 32, 64), (7, 32, 64)))
D = (256, 64, ((3, 64, 64), (7, 64, 64), (11, 64, 64)))
E = (256, 32, ((3, 32, 32), (5, 32, 32), (7, 32, 32)))
F_ = (128, 32, ((3, 64, 32), (5, 64, 32), (7, 64, 32)))
G = (128, 32, ((3, 64, 32), (7, 64, 32), (11, 64, 32)))
H = (128, 16, ((3, 32, 16), (7, 32, 16), (11, 32, 16)))
I_ = (128, 16, ((3, 64, 16), (7, 64, 16), (11, 64, 16)))
L2, L3 = "3.0.0.3", "3.0.0.3.0.0.3"
L4 = L3 + ".0.1.3"
INCEPTIONS = {  # module path inside depthNet (the LambdaMap/LambdaReduce nesting) → block
    "3.0.0.1": A, "3.0.0.2": A, "3.0.0.4": F_, "3.0.0.5": H, "3.0.1.0": I_,
    L2 + ".0.0.1": A, L2 + ".0.0.2": B, L2 + ".0.0.4": C, L2 + ".0.0.5": E, L2 + ".0.1.0": A, L2 + ".0.1.1": G,
    L3 + ".0.0.0": C, L3 + ".0.0.1": D, L3 + ".0.1.1": C, L3 + ".0.1.2": C, L3 + ".0.1.4": C, L3 + ".0.1.5": D,
    L4 + ".0.0.0": C, L4 + ".0.0.1": C, L4 + ".0.1.1": C, L4 + ".0.1.2": C, L4 + ".0.1.3": C,
}


def _conv(shapes, name, cout, cin, k, bias=True):
    shapes[f"{name}.weight"] = (cout, cin, k, k)
    if bias:
        shapes[f"{name}.bias"] = (cout,)


def _bn(shapes, name, n, affine=False):
    shapes.update({f"{name}.running_mean": (n,), f"{name}.running_var": (n,), f"{name}.num_batches_tracked": ()})
    if affine:
        shapes.update({f"{name}.weight": (n,), f"{name}.bias": (n,)})


def official_shapes() -> dict[str, tuple[int, ...]]:
    s: dict[str, tuple[int, ...]] = {}
    unet = {0: (16, 6), 2: (32, 16), 5: (64, 32), 8: (128, 64), 11: (256, 128), 14: (512, 256), 17: (512, 512),
            20: (256, 512), 23: (128, 256), 26: (64, 128), 29: (32, 64), 32: (16, 32)}
    for i, (cout, cin) in unet.items():
        _conv(s, f"initScaleNets_filter.{i}", cout, cin, 3)
    for head in ("initScaleNets_filter1", "initScaleNets_filter2"):
        _conv(s, f"{head}.0", 16, 16, 3)
        _conv(s, f"{head}.2", 16, 16, 3)
    _conv(s, "ctxNet.block1.0", 64, 3, 7, bias=False)
    for block in ("block2", "block3"):
        for conv in ("conv1", "conv2"):
            _conv(s, f"ctxNet.{block}.{conv}", 64, 64, 3, bias=False)
    _conv(s, "rectifyNet.block1.0", 128, 3 + 3 + 3 + 2 * 1 + 2 * 2 + 16 * 2 + 2 * (3 * 64 + 3), 7)
    for block in ("block2", "block3", "block4"):
        for conv in ("conv1", "conv2"):
            _conv(s, f"rectifyNet.{block}.{conv}", 128, 128, 3, bias=False)
    _conv(s, "rectifyNet.block5.0", 3, 128, 3)
    # PWCDCNet (md = 4): extractor, decoders (dense widths 128, 128, 96, 64, 32), deconvolutions, refiner
    widths = (3, 16, 32, 64, 96, 128, 196)
    for level in range(1, 7):
        names = ("aa", "a", "b") if level == 6 else ("a", "aa", "b")
        cin = widths[level - 1]
        for n in names:
            _conv(s, f"flownets.conv{level}{n}.0", widths[level], cin, 3)
            cin = widths[level]
    for level in range(2, 7):
        od = 81 if level == 6 else 81 + widths[level] + 4
        cin = od
        for k, cout in enumerate((128, 128, 96, 64, 32)):
            _conv(s, f"flownets.conv{level}_{k}.0", cout, cin, 3)
            cin += cout
        _conv(s, f"flownets.predict_flow{level}", 2, cin, 3)
        s[f"flownets.deconv{level}.weight"], s[f"flownets.deconv{level}.bias"] = (2, 2, 4, 4), (2,)
        if level > 2:
            s[f"flownets.upfeat{level}.weight"], s[f"flownets.upfeat{level}.bias"] = (cin, 2, 4, 4), (2,)
    cin = 81 + 32 + 4 + 448
    for k, cout in enumerate((128, 128, 128, 96, 64, 32), 1):
        _conv(s, f"flownets.dc_conv{k}.0", cout, cin, 3)
        cin = cout
    _conv(s, "flownets.dc_conv7", 2, 32, 3)
    # MegaDepth hourglass
    _conv(s, "depthNet.0", 128, 3, 7)
    _bn(s, "depthNet.1", 128, affine=True)
    _conv(s, "depthNet.4", 1, 64, 3)
    for path, (cin, width, branches) in INCEPTIONS.items():
        p = f"depthNet.{path}"
        _conv(s, f"{p}.0.0", width, cin, 1)
        _bn(s, f"{p}.0.1", width)
        for b, (k, reduced, out) in enumerate(branches, 1):
            _conv(s, f"{p}.{b}.0", reduced, cin, 1)
            _bn(s, f"{p}.{b}.1", reduced)
            _conv(s, f"{p}.{b}.3", out, reduced, k)
            _bn(s, f"{p}.{b}.4", out)
    return s


def random_release(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in ``best.pth``'s layout with random values (batch-norm variances positive)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in official_shapes().items():
        if name.endswith("num_batches_tracked"):
            state[name] = torch.tensor(5)
        elif name.endswith("running_var"):
            state[name] = torch.rand(shape, generator=g) + 0.5
        else:
            fan_in = math.prod(shape[1:]) if len(shape) > 1 else 1
            state[name] = torch.randn(shape, generator=g) * (0.5 / math.sqrt(fan_in) if len(shape) > 1 else 0.05)
    return state


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "best.pth"
    state = random_release()
    torch.save(state, path)
    return path, state


def test_the_official_layout_loads_key_for_key(release):
    path, state = release
    assert len(state) == 954 and sum(k.startswith("depthNet.") for k in state) == 779
    net = load_dain(path)
    ours = net.state_dict()
    for name, value in state.items():  # everything outside PWC-Net keeps its released name
        if not name.startswith("flownets."):
            assert torch.equal(ours[name], value), name
    renamed = {"conv1aa.0.weight": "moduleExtractor.moduleOne.2.weight",
               "conv6aa.0.weight": "moduleExtractor.moduleSix.0.weight",
               "conv6a.0.bias": "moduleExtractor.moduleSix.2.bias",
               "conv3_4.0.weight": "moduleThr.moduleFiv.0.weight",
               "predict_flow2.weight": "moduleTwo.moduleSix.0.weight",
               "deconv6.weight": "moduleFiv.moduleUpflow.weight",
               "upfeat3.bias": "moduleTwo.moduleUpfeat.bias",
               "dc_conv5.0.weight": "moduleRefiner.moduleMain.8.weight",
               "dc_conv7.bias": "moduleRefiner.moduleMain.12.bias"}
    for official, project in renamed.items():
        assert torch.equal(ours["flownets." + project], state["flownets." + official]), official
    assert len(ours) == len(state) - 2  # deconv2, defined but never used by PWCDCNet, is dropped


# --- the custom layers against explicit loops over the CUDA kernels' arithmetic -----------------------------

def projection_loop(flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """depthflowprojection_cuda_kernel.cu: splat, average, fill holes (one image)."""
    _, h, w = flow.shape
    out, count = np.zeros_like(flow), np.zeros((h, w), flow.dtype)
    for y in range(h):
        for x in range(w):
            x2, y2 = x + flow[0, y, x], y + flow[1, y, x]
            if 0 <= x2 <= w - 1 and 0 <= y2 <= h - 1:
                left, top = int(x2), int(y2)
                for ty in (top, min(top + 1, h - 1)):
                    for tx in (left, min(left + 1, w - 1)):
                        out[:, ty, tx] -= weight[y, x] * flow[:, y, x]
                        count[ty, tx] += weight[y, x]
    covered = count > 0
    out[:, covered] /= count[covered]
    filled = out.copy()
    for y in range(h):
        for x in range(w):
            if covered[y, x]:
                continue
            found = []
            for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
                ty, tx = y + dy, x + dx
                while 0 <= ty < h and 0 <= tx < w and not covered[ty, tx]:
                    ty, tx = ty + dy, tx + dx
                if 0 <= ty < h and 0 <= tx < w:
                    found.append(out[:, ty, tx])
            if found:
                filled[:, y, x] = np.mean(found, axis=0)
    return filled


def test_depth_aware_projection_matches_an_explicit_loop():
    g = torch.Generator().manual_seed(1)
    h, w = 9, 11
    flow = torch.randn(1, 2, h, w, generator=g) * 3
    flow[0, :, 4, 5] = torch.tensor([w - 1 - 5.0, h - 1 - 4.0])  # lands exactly on the last row and column
    weight = torch.rand(1, 1, h, w, generator=g) + 0.05
    got = depth_aware_projection(flow, weight)[0].numpy()
    want = projection_loop(flow[0].double().numpy(), weight[0, 0].double().numpy())
    _, count = project_flow(flow, weight)
    assert (count == 0).any() and (count > 0).any()  # holes are filled, covered pixels averaged
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, depth_aware_projection(flow, torch.ones_like(weight))[0].numpy())  # depth matters


def interpolation_loop(img: np.ndarray, flow: np.ndarray, kernels: np.ndarray) -> np.ndarray:
    """filterinterpolation_cuda_kernel.cu for one image: F×F taps around p + f(p), in four bilinearly
    weighted quadrants, coordinates clamped; the pixel itself where the flow leaves the image."""
    c, h, w = img.shape
    size = int(round(math.sqrt(kernels.shape[0])))
    out = np.empty_like(img)
    for y in range(h):
        for x in range(w):
            fx, fy = flow[:, y, x]
            x2, y2 = x + fx, y + fy
            if not (0 <= x2 <= w - 1 and 0 <= y2 <= h - 1 and abs(fx) < w / 2 and abs(fy) < h / 2):
                out[:, y, x] = img[:, y, x]
                continue
            alpha, beta = x2 - int(x2), y2 - int(y2)
            acc = np.zeros(c)
            for j in range(size):
                row = int(y2) + 1 - size // 2 + j
                wy = beta if row > int(y2) else 1 - beta
                for i in range(size):
                    col = int(x2) + 1 - size // 2 + i
                    wx = alpha if col > int(x2) else 1 - alpha
                    pixel = img[:, min(max(row, 0), h - 1), min(max(col, 0), w - 1)]
                    acc += wx * wy * kernels[j * size + i, y, x] * pixel
            out[:, y, x] = acc
    return out


@pytest.mark.parametrize("channels", [3, 70])  # a frame; context features (more than one channel chunk)
def test_adaptive_warping_matches_an_explicit_loop(channels):
    g = torch.Generator().manual_seed(channels)
    h, w = 8, 12
    img = torch.rand(1, channels, h, w, generator=g)
    flow = torch.randn(1, 2, h, w, generator=g) * 2.5
    flow[0, :, 0, 0] = torch.tensor([7.0, 0.0])  # |u| ≥ W/2: the pixel is copied
    flow[0, :, 3, 3] = torch.tensor([-3.6, 0.4])  # lands on column 0: taps clamped at the border
    kernels = torch.randn(1, 16, h, w, generator=g)
    got = filter_interpolation(img, flow, kernels)[0].numpy()
    want = interpolation_loop(img[0].double().numpy(), flow[0].double().numpy(), kernels[0].double().numpy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[:, 0, 0], img[0, :, 0, 0].numpy())


# --- the method: padding, round trip, wrong files ----------------------------------------------------------

def test_demo_padding_is_the_release_demos():
    # demo_MiddleBury.py: next multiple of 128, split left/right (floor left); a multiple gets 32 each side
    assert demo_padding(540) == (50, 50) and demo_padding(960) == (32, 32)
    assert demo_padding(101) == (13, 14) and demo_padding(256) == (32, 32) and demo_padding(129) == (63, 64)


def _frames(seed=0, h=40, w=56):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (h, w + 8, 3), dtype=np.uint8)
    return np.ascontiguousarray(base[:, :w]), np.ascontiguousarray(base[:, 8:])


def test_released_format_round_trip_and_any_t(release):
    path, _ = release
    loaded = DAIN(weights=path)
    f1, f3 = _frames()
    out = loaded.interpolate(f1, f3, 0.5)
    assert out.shape == f1.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    np.testing.assert_array_equal(out, DAIN(net=load_dain(path)).interpolate(f1, f3, 0.5))
    assert not np.allclose(out, loaded.interpolate(f1, f3, 0.25))  # t reaches the network
    net = load_dain(path)
    with torch.no_grad():
        net.rectifyNet.block5[0].bias += 0.2
    assert not np.allclose(out, DAIN(net=net).interpolate(f1, f3, 0.5))  # weights matter


def test_wrong_files_fail_in_one_line(tmp_path, release):
    _, state = release
    cases = {
        "partial.pth": ({k: v for k, v in state.items() if not k.startswith("depthNet.3.0.1.")},
                        r"partial.pth: not a DAINNet checkpoint: 35 of \d+ weights missing"),
        "shape.pth": ({**state, "ctxNet.block1.0.weight": torch.zeros(64, 3, 5, 5)},
                      r"shape.pth: not a DAINNet checkpoint: 1 with wrong shapes \(e.g. ctxNet.block1.0.weight"),
        "pwc.pth": ({**state, "flownets.conv7a.0.weight": torch.zeros(1)},
                    r"pwc.pth: 'conv7a.0.weight' is not a PWCDCNet parameter"),
        "nodeconv2.pth": ({k: v for k, v in state.items() if not k.startswith("flownets.deconv2.")},
                          r"nodeconv2.pth: not a PWCDCNet state dict: deconv2.weight missing"),
        "nested.pth": ({"state_dict": state}, r"nested.pth: expected a flat dict of tensors"),
    }
    for name, (content, message) in cases.items():
        torch.save(content, tmp_path / name)
        with pytest.raises(WeightsMismatch, match=message) as exc:
            DAIN(weights=tmp_path / name)
        assert "\n" not in str(exc.value)


def test_pwcnet_warp_is_nvlabs_for_dain():
    """PWCDCNet.warp: bilinear sample at (x + u, y + v), zero outside; a sample is kept only where a
    warped plane of ones is at least 0.9999 (so any sample reaching past the border is zeroed)."""
    from atdkit.baselines.pwcnet import NVLABS, warp_features

    g = torch.Generator().manual_seed(2)
    feat = torch.rand(1, 2, 5, 6, generator=g)
    flow = torch.randn(1, 2, 5, 6, generator=g) * 1.5
    got = warp_features(feat, flow, True, NVLABS)[0].numpy()
    f, fl = feat[0].double().numpy(), flow[0].double().numpy()
    want = np.zeros_like(f)
    for y in range(5):
        for x in range(6):
            sx, sy = x + fl[0, y, x], y + fl[1, y, x]
            x0, y0 = math.floor(sx), math.floor(sy)
            acc, cover = np.zeros(2), 0.0
            for ty, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
                for tx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
                    if 0 <= ty < 5 and 0 <= tx < 6:
                        acc += wx * wy * f[:, ty, tx]
                        cover += wx * wy
            want[:, y, x] = acc if cover >= 0.9999 else 0.0
    assert (want == 0).any() and (want != 0).any()
    np.testing.assert_allclose(got, want, atol=1e-5)
