"""AdaCoF: the released checkpoint's layout, loading, the collaboration-of-flows warp, padding.

The released file cannot be fetched in the tests; its layout is written below from the
official definitions (HyeongminLEE/AdaCoF-pytorch ``models/adacofnet.py`` with kernel size 5,
saved by its trainer as ``{'epoch': …, 'state_dict': …}``), and the warp is checked against
the released CUDA kernel's arithmetic written out as plain loops.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from learned_fixtures import assert_refused_in_one_line, assert_same_network

from atdkit.errors import BadInput
from atdkit.baselines.adacof.method import AdaCoF, load_adacof
from atdkit.baselines.adacof.model import AdaCoFNet
from atdkit.baselines.adacof.sampling import adacof_sample


def official_layout(taps: int = 25) -> dict[str, tuple[int, ...]]:
    """Names and shapes of KernelEstimation(5) as the official Sequential indices number them."""
    convs = {}
    for i, (cin, cout) in enumerate([(6, 32), (32, 64), (64, 128), (128, 256), (256, 512)], 1):
        convs.update({f"moduleConv{i}.0": (cout, cin), f"moduleConv{i}.2": (cout, cout), f"moduleConv{i}.4": (cout, cout)})
    for i, (cin, cout) in zip((5, 4, 3, 2), [(512, 512), (512, 256), (256, 128), (128, 64)]):
        convs.update({f"moduleDeconv{i}.0": (cout, cin), f"moduleDeconv{i}.2": (cout, cout),
                      f"moduleDeconv{i}.4": (cout, cout), f"moduleUpsample{i}.1": (cout, cout)})
    for head in ("Weight1", "Alpha1", "Beta1", "Weight2", "Alpha2", "Beta2"):
        convs.update({f"module{head}.0": (64, 64), f"module{head}.2": (64, 64), f"module{head}.4": (taps, 64),
                      f"module{head}.7": (taps, taps)})
    convs.update({"moduleOcclusion.0": (64, 64), "moduleOcclusion.2": (64, 64), "moduleOcclusion.4": (64, 64),
                  "moduleOcclusion.7": (1, 64)})
    shapes = {}
    for name, (cout, cin) in convs.items():
        shapes[f"get_kernel.{name}.weight"], shapes[f"get_kernel.{name}.bias"] = (cout, cin, 3, 3), (cout,)
    return shapes


def kernel_loop(padded, weight, alpha, beta, dilation):
    """The released kernel_AdaCoF_updateOutput, pixel by pixel: (int) truncation, each index
    clamped, the four corner products weighted by the unclamped fractions."""
    b, c, hp, wp = padded.shape
    _, taps, h, w = weight.shape
    size = int(round(taps ** 0.5))
    out = torch.zeros(b, c, h, w, dtype=torch.float64)
    clamp = lambda v, hi: min(max(v, 0), hi - 1)  # noqa: E731
    for s in range(b):
        for i in range(h):
            for j in range(w):
                for k in range(size):
                    for l in range(size):
                        n = k * size + l
                        al, be = float(alpha[s, n, i, j]), float(beta[s, n, i, j])
                        a_, b_ = int(al), int(be)
                        fa, fb = al - a_, be - b_
                        r0, r1 = clamp(i + k * dilation + a_, hp), clamp(i + k * dilation + a_ + 1, hp)
                        q0, q1 = clamp(j + l * dilation + b_, wp), clamp(j + l * dilation + b_ + 1, wp)
                        px = padded[s].double()
                        out[s, :, i, j] += float(weight[s, n, i, j]) * (
                            px[:, r0, q0] * (1 - fa) * (1 - fb) + px[:, r1, q0] * fa * (1 - fb)
                            + px[:, r0, q1] * (1 - fa) * fb + px[:, r1, q1] * fa * fb)
    return out


@pytest.fixture(scope="module")
def random_net():
    torch.manual_seed(0)
    net = AdaCoFNet().eval()
    with torch.no_grad():  # offsets of several pixels of both signs instead of near-zero ones
        for head in ("Alpha1", "Beta1", "Alpha2", "Beta2"):
            conv = getattr(net.get_kernel, f"module{head}")[7]
            conv.weight.mul_(300)
            conv.bias.uniform_(-3, 3)
    return net


def test_names_and_shapes_are_the_official_kernel_size_5_network():
    ours = {k: tuple(v.shape) for k, v in AdaCoFNet(5).state_dict().items()}
    assert ours == official_layout(25)
    assert sum(v.numel() for v in AdaCoFNet(5).state_dict().values()) == 21_843_427


@pytest.mark.parametrize("dilation", [1, 2])
def test_warp_equals_the_released_kernel_written_as_loops(dilation):
    gen = torch.Generator().manual_seed(dilation)
    h, w, size = 6, 7, 3
    pad = (size - 1) * dilation
    padded = torch.rand(2, 3, h + pad, w + pad, generator=gen)
    weight = torch.rand(2, size * size, h, w, generator=gen)
    alpha = (torch.rand(2, size * size, h, w, generator=gen) - 0.5) * 9  # negative and positive, past the border
    beta = (torch.rand(2, size * size, h, w, generator=gen) - 0.5) * 9
    alpha[0, 0, 0, 0], beta[0, 1, 0, 0] = -0.0, 2.0  # exact integers: a plain pixel copy
    ours = adacof_sample(padded, weight, alpha, beta, dilation)
    assert torch.allclose(ours.double(), kernel_loop(padded, weight, alpha, beta, dilation), atol=1e-5)


def test_negative_offsets_extrapolate_as_the_kernel_does_not_as_bilinear_sampling():
    """trunc(−0.5) = 0: the kernel reads rows 2 and 3 with weights 1.5 and −0.5 (not rows 1 and 2)."""
    padded = torch.tensor([0.0, 1.0, 4.0, 9.0, 16.0]).view(1, 1, 5, 1).expand(1, 1, 5, 3).contiguous()
    weight = torch.zeros(1, 9, 3, 1)
    weight[:, 4] = 1  # the centre tap only
    alpha = torch.full((1, 9, 3, 1), -0.5)
    out = adacof_sample(padded, weight, alpha, torch.zeros_like(alpha))
    assert torch.allclose(out[0, 0, :, 0], torch.tensor([1.5 * 1 - 0.5 * 4, 1.5 * 4 - 0.5 * 9, 1.5 * 9 - 0.5 * 16]))


def test_centre_tap_with_zero_offsets_is_the_identity():
    frame = torch.rand(1, 3, 10, 12)
    padded = F.pad(frame, (2, 2, 2, 2), mode="replicate")
    weight = torch.zeros(1, 25, 10, 12)
    weight[:, 12] = 1
    zeros = torch.zeros_like(weight)
    assert torch.equal(adacof_sample(padded, weight, zeros, zeros), frame)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="must share a"):
        adacof_sample(torch.rand(1, 3, 8, 8), torch.rand(1, 8, 4, 4), torch.rand(1, 8, 4, 4), torch.rand(1, 8, 4, 4))
    with pytest.raises(ValueError, match="is not the 4×4 output padded by 4"):
        adacof_sample(torch.rand(1, 3, 9, 9), *(torch.rand(1, 25, 4, 4) for _ in range(3)))


@pytest.mark.parametrize("legacy", [True, False])
def test_round_trip_of_the_official_format_is_bit_identical(random_net, tmp_path, legacy):
    """Also in PyTorch's pre-1.6 file format (the checkpoint was committed in March 2020, before 1.6)."""
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 50, "state_dict": random_net.state_dict()}, path, _use_new_zipfile_serialization=not legacy)
    assert_same_network(load_adacof(path), random_net, torch.rand(1, 3, 40, 50), torch.rand(1, 3, 40, 50))


def test_a_missing_or_renamed_key_or_container_is_one_line(random_net, tmp_path):
    state = random_net.state_dict()
    missing = {k: v for k, v in state.items() if k != "get_kernel.moduleBeta2.7.weight"}
    renamed = {k.replace("get_kernel.", "kernel.", 1) if "moduleOcclusion.7" in k else k: v for k, v in state.items()}
    cases = [({"epoch": 1, "state_dict": missing}, "1 of 118 weights missing (get_kernel.moduleBeta2.7.weight)"),
             ({"epoch": 1, "state_dict": renamed}, "2 unexpected (kernel.moduleOcclusion.7.bias, kernel.moduleOcclusion.7.weight)"),
             (state, "no 'state_dict' dict (found get_kernel.moduleAlpha1.0.bias")]
    assert_refused_in_one_line(load_adacof, cases, tmp_path, suffix=".pth")


def test_method_pads_by_reflection_inside_the_network_and_crops_back(random_net):
    """A 70×100 pair gives a 70×100 frame equal to the network on the reflect-padded 96×128 pair, cropped."""
    rng = np.random.default_rng(0)
    f0, f2 = (rng.integers(0, 256, (70, 100, 3), dtype=np.uint8) for _ in range(2))
    out = AdaCoF(net=random_net).interpolate(f0, f2, 0.5)
    x0, x2 = (F.pad(torch.tensor(f).permute(2, 0, 1)[None].float() / 255, (0, 28, 0, 26), mode="reflect")
              for f in (f0, f2))
    with torch.inference_mode():
        expected = random_net(x0, x2)[0, :, :70, :100].clamp(0, 1).permute(1, 2, 0).numpy()
    assert out.shape == (70, 100, 3) and np.abs(out - expected).max() < 1e-6


def test_only_the_middle_frame_and_frames_above_16_pixels(random_net):
    method = AdaCoF(net=random_net)
    a = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(BadInput, match=r"adacof predicts only the middle frame \(t=0.5\), got t=0.25"):
        method.interpolate(a, a, 0.25)
    small = np.zeros((16, 40, 3), np.uint8)
    with pytest.raises(BadInput, match="larger than 16 pixels each way"):
        method.interpolate(small, small, 0.5)
    assert method.interpolate(small[:, :17].repeat(2, 0), small[:, :17].repeat(2, 0), 0.5).shape == (32, 17, 3)
