"""Metrics against scikit-image with the documented parameters (1e-9) and hand-computed cases."""

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from atdkit.bench import metrics as M
from atdkit.bench import scoring as S
from atdkit.errors import BadInput


def _pair(seed=0, shape=(37, 53, 3), noise=0.08):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 256, shape, dtype=np.uint8)
    pred = np.clip(truth / 255.0 + rng.normal(0, noise, shape), 0, 1).astype(np.float32)
    return pred, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_official_ssim_equals_skimage_with_the_quirky_parameters(seed):
    pred, truth = _pair(seed)
    p, t = pred.astype(np.float64), M.truth_to_float(truth)
    ours = M.ssim(p, t, window="uniform", win_size=7, sample_covariance=True, data_range=2.0)
    ref = structural_similarity(p, t, channel_axis=2, win_size=7, gaussian_weights=False,
                                use_sample_covariance=True, data_range=2.0)
    assert abs(ours - ref) < 1e-9
    # The profile reaches the same number, and differs from the "intended" Gaussian SSIM.
    assert abs(S.score(pred, truth, "atd12k-official", with_chamfer=False)["ssim"] - ref) < 1e-9
    gauss = structural_similarity(p, t, channel_axis=2, gaussian_weights=True, sigma=1.5, data_range=1.0)
    assert abs(gauss - ref) > 1e-4


@pytest.mark.parametrize("seed", [3, 4])
def test_standard_profile_equals_skimage_on_rounded_prediction(seed):
    pred, truth = _pair(seed, shape=(40, 31, 3))
    rounded = np.round(pred.astype(np.float64) * 255) / 255
    t = M.truth_to_float(truth)
    ref_ssim = structural_similarity(rounded, t, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=1.0)
    ref_psnr = peak_signal_noise_ratio(t, rounded, data_range=1.0)
    got = S.score(pred, truth, "standard", with_chamfer=False)
    assert abs(got["ssim"] - ref_ssim) < 1e-9
    assert abs(got["psnr"] - ref_psnr) < 1e-9


def test_official_psnr_is_float_prediction_with_range_one():
    pred, truth = _pair(5)
    t = M.truth_to_float(truth)
    ref = peak_signal_noise_ratio(t, pred.astype(np.float64), data_range=1.0)
    assert abs(S.score(pred, truth, "atd12k-official", with_chamfer=False)["psnr"] - ref) < 1e-9


def test_ssim_border_crop_is_three_pixels_on_each_side():
    # Identical except the corner pixel: the map there is cropped, but the kept window
    # centred at (3, 3) covers it, so SSIM drops below 1 exactly as skimage's crop gives.
    a = np.full((20, 20, 3), 0.5)
    b = a.copy()
    b[0, 0, :] = 0.9  # only windows centred within 3 px of (0,0) see it; the kept centre (3,3) does
    ours = M.ssim(a, b)
    ref = structural_similarity(a, b, channel_axis=2, win_size=7, gaussian_weights=False,
                                use_sample_covariance=True, data_range=2.0)
    assert abs(ours - ref) < 1e-12
    assert ours < 1.0
    # Kept centres are rows/cols 3..16 of 20: one more pixel of crop would change the value.
    s_map_all = structural_similarity(a[..., 0], b[..., 0], win_size=7, use_sample_covariance=True,
                                      data_range=2.0, full=True)[1]
    assert abs(ours - s_map_all[3:17, 3:17].mean()) < 1e-12
    assert abs(ours - s_map_all[4:16, 4:16].mean()) > 1e-6


def test_psnr_hand_case():
    a = np.zeros((2, 2, 3))
    b = np.zeros((2, 2, 3))
    b[0, 0, 0] = 0.5  # MSE = 0.25 / 12
    assert M.psnr(b, a) == pytest.approx(10 * math.log10(12 / 0.25), abs=1e-12)
    assert M.psnr(a, a) == math.inf


def test_ie_hand_case():
    a = np.zeros((1, 2, 3))
    b = np.zeros((1, 2, 3))
    b[0, 0] = [3 / 255, 4 / 255, 0]  # distance 5 at one pixel, 0 at the other
    assert M.ie(b, a) == pytest.approx(2.5, abs=1e-12)


def test_ssim_hand_case_constant_images():
    # Constant images: variances 0, SSIM = (2ab + C1) / (a² + b² + C1).
    a = np.full((9, 9, 3), 0.2)
    b = np.full((9, 9, 3), 0.6)
    c1 = (0.01 * 2.0) ** 2
    expected = (2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)
    assert M.ssim(a, b) == pytest.approx(expected, abs=1e-12)


def test_official_roi_floor_division():
    # Original 1920x1080 → 960x540: scale 2.
    assert M.official_roi(101, 51, 301, 199, 1920, 1080, 960, 540) == (50, 25, 150, 99)
    # Non-integer scale 1280/960 = 4/3: 101 / (4/3) = 75.75 floors to 75 (rounding would give 76).
    assert M.official_roi(101, 0, 41, 40, 1280, 720, 960, 540) == (75, 0, 30, 30)


def test_roi_metrics_use_the_crop_and_outside_roi_fails():
    pred, truth = _pair(6, shape=(60, 80, 3))
    box = (10, 5, 30, 20)
    got = S.score(pred, truth, "atd12k-official", roi=box, with_chamfer=False)
    p, t = pred.astype(np.float64)[5:25, 10:40], M.truth_to_float(truth)[5:25, 10:40]
    assert abs(got["roi_psnr"] - peak_signal_noise_ratio(t, p, data_range=1.0)) < 1e-9
    assert abs(got["roi_ssim"] - structural_similarity(p, t, channel_axis=2, win_size=7, data_range=2.0)) < 1e-9
    with pytest.raises(BadInput, match="outside"):
        S.score(pred, truth, "atd12k-official", roi=(90, 5, 10, 10), with_chamfer=False)
    with pytest.raises(BadInput, match="smaller than"):
        S.score(pred, truth, "atd12k-official", roi=(77, 5, 10, 10), with_chamfer=False)


def test_mismatched_sizes_raise_bad_input():
    pred, truth = _pair(7)
    with pytest.raises(BadInput, match="does not match"):
        S.score(pred[:-1], truth)


def test_chamfer_against_brute_force_and_hand_case():
    a = np.zeros((12, 15), bool)
    b = np.zeros((12, 15), bool)
    a[2, 3] = a[7, 9] = True
    b[2, 6] = True
    # a→b: 3 and sqrt(25+9); b→a: 3
    expected = 0.5 * ((3 + math.sqrt(34)) / 2 + 3)
    assert M.chamfer_distance(a, b) == pytest.approx(expected, abs=1e-5)
    rng = np.random.default_rng(0)
    a, b = rng.random((20, 25)) > 0.9, rng.random((20, 25)) > 0.93
    pa, pb = np.argwhere(a), np.argwhere(b)
    d = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1))
    assert M.chamfer_distance(a, b) == pytest.approx(0.5 * (d.min(1).mean() + d.min(0).mean()), abs=1e-5)
    assert M.chamfer_distance(a, a) == 0.0
    assert math.isnan(M.chamfer_distance(a, np.zeros_like(a)))


def test_line_map_background_equals_scipy_gaussian_nearest():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    img = rng.random((30, 41, 3))
    luma = img @ np.array([0.299, 0.587, 0.114])
    expected = (ndimage.gaussian_filter(luma, 2.0, mode="nearest") - luma) > M.LINE_THRESHOLD
    assert np.array_equal(M.line_map(img), expected)


def test_line_map_finds_dark_strokes_and_chamfer_sees_a_shift():
    img = np.ones((40, 40, 3))
    img[10:30, 20] = 0.0  # one black vertical stroke on white
    lines = M.line_map(img)
    assert lines[10:30, 20].all() and lines.sum() < 60
    shifted = np.ones_like(img)
    shifted[10:30, 23] = 0.0
    assert M.chamfer_line_distance(shifted, img) == pytest.approx(3.0, abs=0.5)
    assert M.chamfer_line_distance(img, img) == 0.0


def test_quantised_prediction_profiles_differ():
    pred, truth = _pair(8)
    off = S.score(pred, truth, "atd12k-official", with_chamfer=False)
    std = S.score(pred, truth, "standard", with_chamfer=False)
    assert off["psnr"] != std["psnr"] and off["ssim"] != std["ssim"]
    with pytest.raises(BadInput, match="unknown metric profile"):
        M.get_profile("nope")


@pytest.mark.parametrize("window", ["uniform", "gaussian"])
def test_strip_processing_matches_skimage_on_frames_taller_than_a_strip(window):
    # 101 rows = several strips of SSIM rows plus a partial one
    pred, truth = _pair(9, shape=(101, 67, 3))
    p, t = pred.astype(np.float64), M.truth_to_float(truth)
    ref = structural_similarity(p, t, channel_axis=2, win_size=7 if window == "uniform" else None,
                                gaussian_weights=window == "gaussian",
                                sigma=1.5, use_sample_covariance=window == "uniform",
                                data_range=2.0 if window == "uniform" else 1.0)
    ours = M.ssim(p, t, window=window, sample_covariance=window == "uniform",
                  data_range=2.0 if window == "uniform" else 1.0)
    assert abs(ours - ref) < 1e-9


def test_roi_reaching_past_the_frame_edge_is_cut_like_numpy_slicing():
    pred, truth = _pair(10, shape=(101, 67, 3))
    got = S.score(pred, truth, "atd12k-official", roi=(40, 60, 100, 100), with_chamfer=False)
    p, t = pred.astype(np.float64)[60:160, 40:140], M.truth_to_float(truth)[60:160, 40:140]
    assert p.shape == (41, 27, 3)
    assert abs(got["roi_ssim"] - structural_similarity(p, t, channel_axis=2, win_size=7, data_range=2.0)) < 1e-9
    assert abs(got["roi_psnr"] - peak_signal_noise_ratio(t, p, data_range=1.0)) < 1e-9
    assert abs(got["roi_ie"] - M.ie(p, t)) < 1e-9
