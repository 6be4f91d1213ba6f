"""The fused SSIM kernel equals scikit-image's structural_similarity (7×7, RGB channel_axis, data range 255)."""

from __future__ import annotations

import numpy as np
import pytest
from mining_helpers import GIF, WEBM

from atdkit.mining import similarity as sim
from atdkit.video import open_video

EXACT = 1e-12  # the kernel's window sums are exact integers; only float64 rounding remains


def _pairs(rng):
    a = rng.integers(0, 256, (67, 91, 3), dtype=np.uint8)
    yield a, np.clip(a.astype(int) + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
    yield a, rng.integers(0, 256, a.shape, dtype=np.uint8)                     # unrelated: SSIM ≈ 0
    yield a, a.copy()                                                           # identical: 1
    yield np.zeros((20, 20, 3), np.uint8), np.full((20, 20, 3), 255, np.uint8)  # flat extremes
    flat = np.full((40, 50, 3), 128, np.uint8)
    yield flat, flat + 1                                                        # flat, tiny shift
    b = rng.integers(0, 256, (7, 7, 3), dtype=np.uint8)                         # the smallest size
    yield b, 255 - b
    c = rng.integers(0, 256, (9, 8, 4), dtype=np.uint8)                         # four channels
    yield c, c[::-1].copy()


def test_ssim_equals_skimage_on_synthetic_images():
    rng = np.random.default_rng(0)
    for a, b in _pairs(rng):
        assert abs(sim.ssim(a, b) - sim.ssim_reference(a, b)) < EXACT
        g1, g2 = a[..., 0], b[..., 1]                                           # strided gray views
        assert abs(sim.ssim(g1, g2) - sim.ssim_reference(g1, g2)) < EXACT
        assert sim.ssim(a[..., :1], b[..., :1]) == sim.ssim(np.ascontiguousarray(a[..., 0]),
                                                            np.ascontiguousarray(b[..., 0]))


@pytest.mark.parametrize("shape", [(7, 200, 3), (200, 7, 3), (8, 9), (31, 45, 3), (540, 960, 3)])
def test_ssim_is_exact_at_edges_and_at_full_working_size(shape):
    """The smallest windows, one-row / one-column maps, and a change straddling rows near the border."""
    rng = np.random.default_rng(sum(shape))
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    b[-5:] = 255 - b[-5:]
    assert abs(sim.ssim(a, b) - sim.ssim_reference(a, b)) < EXACT


def test_ssim_equals_skimage_on_film_frames(small_film):
    frames = list(open_video(small_film))
    real = list(open_video(GIF))[:6] + [f[::4, ::4].copy() for f in list(open_video(WEBM))[:4]]
    for a, b in [(frames[0], frames[1]), (frames[5], frames[11]), (frames[0], frames[-1]),
                 (real[0], real[2]), (real[6], real[9])]:
        assert abs(sim.ssim(a, b) - sim.ssim_reference(a, b)) < EXACT


def test_ssim_is_symmetric_and_deterministic():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-25, 26, a.shape), 0, 255).astype(np.uint8)
    assert sim.ssim(a, b) == sim.ssim(a, b)
    assert abs(sim.ssim(a, b) - sim.ssim(b, a)) < EXACT


def test_working_size_keeps_aspect_and_never_upscales():
    assert sim.working_size(1920, 1080) == (960, 540)
    assert sim.working_size(1280, 720) == (960, 540)
    assert sim.working_size(320, 180) == (320, 180)
    assert sim.working_size(1440, 1080) == (720, 540)
    frame = np.random.default_rng(1).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    work = sim.to_working(frame, (960, 540))
    assert work.shape == (540, 960, 3)
    # area averaging: each working pixel is the mean of a 2×2 block
    assert abs(float(work[10, 10, 0]) - frame[20:22, 20:22, 0].mean()) <= 0.5
    assert sim.to_working(frame, (960, 540), "gray").shape == (540, 960)


def test_too_small_different_or_wrong_dtype_is_refused():
    with pytest.raises(ValueError, match="smaller than"):
        sim.ssim(np.zeros((6, 30, 3), np.uint8), np.zeros((6, 30, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        sim.ssim(np.zeros((30, 30, 3), np.float32), np.zeros((30, 30, 3), np.float32))
    with pytest.raises(ValueError, match="different shapes"):
        sim.ssim(np.zeros((30, 30, 3), np.uint8), np.zeros((31, 30, 3), np.uint8))
