"""The fast SSIM equals scikit-image's structural_similarity (7×7, RGB channel_axis, data range 255)."""

from __future__ import annotations

import numpy as np
import pytest
from mining_helpers import GIF, WEBM

from atdkit.mining import similarity as sim
from atdkit.video import open_video


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


def test_fast_ssim_equals_skimage_on_synthetic_images():
    rng = np.random.default_rng(0)
    for a, b in _pairs(rng):
        ref = sim.ssim_reference(a, b)
        sa, sb = sim.ssim_stats(a), sim.ssim_stats(b)
        assert abs(sim.ssim_fast(sa, sb) - ref) < 1e-6
        assert abs(sim.ssim_exact(sa, sb) - ref) < 1e-9
        g1, g2 = a[..., 0], b[..., 1]
        assert abs(sim.ssim(g1, g2) - sim.ssim_reference(g1, g2)) < 1e-6


def test_fast_ssim_equals_skimage_on_film_frames(small_film):
    frames = list(open_video(small_film))
    real = list(open_video(GIF))[:6] + [f[::4, ::4].copy() for f in list(open_video(WEBM))[:4]]
    for a, b in [(frames[0], frames[1]), (frames[5], frames[11]), (frames[0], frames[-1]),
                 (real[0], real[2]), (real[6], real[9])]:
        assert abs(sim.ssim(a, b) - sim.ssim_reference(a, b)) < 1e-6


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


def test_decide_recomputes_exactly_near_a_threshold():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (60, 60, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    sa, sb = sim.ssim_stats(a), sim.ssim_stats(b)
    exact = sim.ssim_exact(sa, sb)
    # a threshold right at the value: the decision must use the exact value
    assert sim.ssim_decide(sa, sb, (exact,)) == exact
    far = sim.ssim_decide(sa, sb, (0.0,))
    assert far == sim.ssim_fast(sa, sb)


def test_too_small_or_wrong_dtype_is_refused():
    with pytest.raises(ValueError, match="smaller than"):
        sim.ssim_stats(np.zeros((6, 30, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        sim.ssim_stats(np.zeros((30, 30, 3), np.float32))
    with pytest.raises(ValueError, match="different shapes"):
        sim.ssim_fast(sim.ssim_stats(np.zeros((30, 30, 3), np.uint8)), sim.ssim_stats(np.zeros((31, 30, 3), np.uint8)))


@pytest.mark.parametrize("height", [sim.BAND_ROWS + 2 * sim.PAD, 2 * sim.BAND_ROWS + 2 * sim.PAD + 1,
                                    3 * sim.BAND_ROWS + 2 * sim.PAD - 5])
def test_banded_ssim_equals_skimage_across_band_edges(height):
    """Full bands, a one-row last band, a partial last band: the halo rows make each band exact."""
    rng = np.random.default_rng(height)
    a = rng.integers(0, 256, (height, 45, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    b[height // 2:height // 2 + 9] = 255 - b[height // 2:height // 2 + 9]   # a change straddling rows
    for x, y in ((a, b), (a[..., 1].copy(), b[..., 2].copy())):
        ref = sim.ssim_reference(x, y)
        sx, sy = sim.ssim_stats(x), sim.ssim_stats(y)
        assert abs(sim.ssim_fast(sx, sy) - ref) < 1e-6
        assert abs(sim.ssim_exact(sx, sy) - ref) < 1e-9
