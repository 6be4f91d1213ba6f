"""Image-quality metrics for frame interpolation, under declared protocols.

Every function is pure and states its units. Images are H×W×3 RGB arrays;
"float image" means float values in [0, 1] (1 = white), "uint8 image" means
0–255. All arithmetic is done in float64.

Two protocol profiles (:data:`PROFILES`); every result row records which one
produced it, and a leaderboard never mixes them:

``atd12k-official``
    Exactly what AnimeInterp's ``test_anime_sequence_one_by_one.py`` computes
    (SPEC §2). The prediction stays float (clamped to [0, 1], not quantised);
    the truth is ``float32(u8 / 255)`` as torchvision's ``ToTensor`` makes it.
    PSNR with data range 1. SSIM as old scikit-image's ``compare_ssim``
    really ran it (the script's ``gaussian=True`` was silently ignored): a
    uniform 7×7 window, sample covariance (N/(N−1)), K1 = 0.01, K2 = 0.03,
    data range 2.0 (inferred from the float dtype as 1 − (−1)), computed per
    RGB channel on the SSIM map with a 3-pixel border cropped (skimage's
    ``crop(S, (win_size − 1) // 2)`` removes 3 pixels from each side of both
    image axes), then the channel means averaged. IE is the mean per-pixel
    Euclidean RGB distance in 0–255 units. The RoI is rescaled from the
    original frame size with the script's floor divisions
    (:func:`official_roi`).

``standard``
    The convention most papers mean: the prediction rounded to 8 bits, PSNR
    with data range 1 (= 255 on 8-bit values), SSIM of Wang et al. 2004: an
    11-tap Gaussian window (σ = 1.5, truncated at 3.5 σ), population
    covariance, data range 1, per channel averaged, 5-pixel border cropped.

Beyond PSNR/SSIM: :func:`chamfer_line_distance` between line drawings
extracted with :func:`line_map` (proposed for animation by EISAI, Chen &
Zwicker 2022; our own extractor, so values are not comparable with EISAI's
table), and LPIPS in :mod:`atdkit.bench.lpips`.

The SSIM here is a fast equivalent of ``skimage.metrics.structural_similarity``
(separable filtering of the valid region only, all channels at once); tests
check it against scikit-image to 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from atdkit.errors import BadInput


@dataclass(frozen=True)
class Profile:
    """A metric protocol. ``ssim_window`` is ``uniform`` or ``gaussian``."""

    name: str
    quantize_prediction: bool
    ssim_window: str
    ssim_win_size: int
    ssim_sigma: float
    ssim_sample_covariance: bool
    ssim_data_range: float
    psnr_data_range: float
    description: str


PROFILES: dict[str, Profile] = {
    "atd12k-official": Profile(
        name="atd12k-official", quantize_prediction=False, ssim_window="uniform", ssim_win_size=7,
        ssim_sigma=0.0, ssim_sample_covariance=True, ssim_data_range=2.0, psnr_data_range=1.0,
        description="AnimeInterp's official script: float prediction, PSNR range 1, SSIM uniform 7x7 "
                    "sample-covariance range 2.0 with 3-px border crop, IE in 0-255, floor-division RoI"),
    "standard": Profile(
        name="standard", quantize_prediction=True, ssim_window="gaussian", ssim_win_size=11,
        ssim_sigma=1.5, ssim_sample_covariance=False, ssim_data_range=1.0, psnr_data_range=1.0,
        description="8-bit rounded prediction, PSNR range 1, SSIM Gaussian sigma 1.5 (11 taps) "
                    "population covariance range 1 with 5-px border crop, IE in 0-255"),
}
DEFAULT_PROFILE = "atd12k-official"
SSIM_K1, SSIM_K2 = 0.01, 0.03


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise BadInput(f"unknown metric profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]


# ---- inputs -----------------------------------------------------------------------------------

def truth_to_float(truth_u8: np.ndarray) -> np.ndarray:
    """uint8 image → float64 in [0, 1], holding ``float32(u8 / 255)`` exactly as ``ToTensor`` does.
    The result is C-contiguous in the input's index order (a transposed view gives planes)."""
    out = truth_u8.astype(np.float32, order="C")
    out /= np.float32(255.0)
    return out.astype(np.float64)


def prepare_prediction(pred: np.ndarray, profile: Profile) -> np.ndarray:
    """Method output (float in [0, 1], or uint8) → the float64 image the profile scores.

    Clamped to [0, 1]; rounded to the nearest 8-bit level when the profile says so.
    """
    if pred.dtype == np.uint8:
        return truth_to_float(pred)
    out = pred.astype(np.float64, order="C")
    np.clip(out, 0.0, 1.0, out=out)
    if profile.quantize_prediction:
        out = np.round(out * 255.0) / 255.0
    return out


# ---- PSNR / IE ---------------------------------------------------------------------------------

def psnr(pred: np.ndarray, truth: np.ndarray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10·log10(data_range² / MSE) over all values.

    ``pred`` and ``truth`` are float images on the same scale (``data_range`` is
    its peak-to-peak range). Identical images give +inf.
    """
    _check_same_shape(pred, truth)
    mse = float(np.mean(np.square(pred.astype(np.float64) - truth.astype(np.float64))))
    return _psnr_from_mse(mse, data_range)


def ie(pred: np.ndarray, truth: np.ndarray) -> float:
    """Interpolation error as the official script implements it, in 0–255 units:
    the mean over pixels of sqrt(Σ_c (255·pred − 255·truth)²). Inputs: float images in [0, 1]."""
    _check_same_shape(pred, truth)
    diff = 255.0 * (pred.astype(np.float64) - truth.astype(np.float64))
    return float(np.mean(np.sqrt(np.sum(diff * diff, axis=2))))


def error_map(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-pixel Euclidean RGB distance (H×W, 0–255·√3 units) between two float images in [0, 1]."""
    diff = 255.0 * (pred.astype(np.float64) - truth.astype(np.float64))
    return np.sqrt(np.sum(diff * diff, axis=2))


# ---- SSIM -------------------------------------------------------------------------------------

def gaussian_taps(sigma: float, truncate: float = 3.5) -> np.ndarray:
    """Normalised 1-D Gaussian kernel as scipy.ndimage builds it (radius int(truncate·σ + 0.5))."""
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 / (sigma * sigma) * x * x)
    return k / k.sum()


def _valid_filter_planes(planes: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable correlation of every plane of an N×H×W float64 stack with ``taps`` on both axes,
    keeping only outputs whose window lies inside the plane: N×(H−k+1)×(W−k+1).

    The planes are filtered as one tall (N·H)×W image in a single OpenCV call; rows whose
    window would cross into a neighbouring plane are exactly the ones cropped away."""
    n, h, w = planes.shape
    r = len(taps) // 2
    out = cv2.sepFilter2D(planes.reshape(n * h, w), cv2.CV_64F, taps, taps, borderType=cv2.BORDER_REFLECT)
    return out.reshape(n, h, w)[:, r:h - r, r:w - r]


def ssim_taps(window: str = "uniform", win_size: int = 7, sigma: float = 1.5) -> np.ndarray:
    """The 1-D SSIM window: uniform of ``win_size`` taps, or scipy's Gaussian (σ, truncated at 3.5σ)."""
    if window == "gaussian":
        return gaussian_taps(sigma)
    if window == "uniform":
        if win_size % 2 != 1:
            raise ValueError("SSIM window size must be odd")
        return np.full(win_size, 1.0 / win_size)
    raise ValueError(f"unknown SSIM window {window!r}")


def ssim(pred: np.ndarray, truth: np.ndarray, *, window: str = "uniform", win_size: int = 7,
         sigma: float = 1.5, sample_covariance: bool = True, data_range: float = 2.0) -> float:
    """Mean structural similarity of two H×W×3 float images, per channel then averaged.

    Equals ``skimage.metrics.structural_similarity(pred, truth, channel_axis=2,
    win_size=win_size, gaussian_weights=(window == 'gaussian'), sigma=sigma,
    use_sample_covariance=sample_covariance, data_range=data_range)`` on
    float64 inputs: the SSIM map is averaged over the pixels at least
    (win_size − 1) / 2 from every border (for the Gaussian window, win_size is
    2·int(3.5σ + 0.5) + 1 = 11 at σ = 1.5). Range [-1, 1]. Raises BadInput when
    a side is shorter than the window.
    """
    return mean_of_planes(ssim_map(pred, truth, ssim_taps(window, win_size, sigma),
                                   sample_covariance=sample_covariance, data_range=data_range))


def mean_of_planes(maps: np.ndarray) -> float:
    """Mean of each C×h×w plane, then the mean over planes (skimage's per-channel averaging)."""
    return float(np.mean([plane.mean(dtype=np.float64) for plane in maps]))


def ssim_map(pred: np.ndarray, truth: np.ndarray, taps: np.ndarray, *, sample_covariance: bool,
             data_range: float) -> np.ndarray:
    """SSIM of every window lying inside two H×W×C (or H×W) float images: a C×(H−k+1)×(W−k+1)
    float64 map whose entry [c, i, j] belongs to the window centred at pixel (i + k//2, j + k//2)."""
    _check_same_shape(pred, truth)
    k = len(taps)
    if pred.shape[0] < k or pred.shape[1] < k:
        raise BadInput(f"image {pred.shape[1]}x{pred.shape[0]} is smaller than the {k}x{k} SSIM window")
    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(truth, dtype=np.float64)
    x = x[None] if x.ndim == 2 else np.ascontiguousarray(x.transpose(2, 0, 1))  # channel planes
    y = y[None] if y.ndim == 2 else np.ascontiguousarray(y.transpose(2, 0, 1))
    return _ssim_map_planes(x, y, taps, sample_covariance, data_range)


def _ssim_map_planes(x: np.ndarray, y: np.ndarray, taps: np.ndarray, sample_covariance: bool,
                     data_range: float) -> np.ndarray:
    """:func:`ssim_map` of C×H×W float64 planes."""
    k = len(taps)
    c, h, w = x.shape
    out = np.empty((c, h - k + 1, w - k + 1))
    # Strips of output rows keep every temporary small (cache-resident, no fresh pages).
    for i0 in range(0, h - k + 1, STRIP_ROWS):
        i1 = min(i0 + STRIP_ROWS, h - k + 1)
        out[:, i0:i1] = _ssim_strip(x[:, i0:i1 + k - 1], y[:, i0:i1 + k - 1], taps, sample_covariance, data_range)
    return out


STRIP_ROWS = 32


def _ssim_strip(x: np.ndarray, y: np.ndarray, taps: np.ndarray, sample_covariance: bool,
                data_range: float) -> np.ndarray:
    """SSIM map of the windows inside C×h×w planes ``x``, ``y`` (see :func:`ssim_map`)."""
    k = len(taps)
    c = x.shape[0]
    # The five moment images of all channels, filtered in one pass.
    moments = np.empty((5 * c,) + x.shape[1:])
    moments[:c] = x
    moments[c:2 * c] = y
    np.multiply(x, x, out=moments[2 * c:3 * c])
    np.multiply(y, y, out=moments[3 * c:4 * c])
    np.multiply(x, y, out=moments[4 * c:])
    m = _valid_filter_planes(moments, taps)
    ux, uy, uxx, uyy, uxy = (m[i * c:(i + 1) * c] for i in range(5))
    cov_norm = k * k / (k * k - 1.0) if sample_covariance else 1.0
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    # S = (2·ux·uy + C1)(2·vxy + C2) / ((ux² + uy² + C1)(vx + vy + C2)), with v = cov_norm·(E[..] − E·E);
    # evaluated in place to keep the number of temporaries small.
    mean_prod = ux * uy
    mean_sq = ux * ux
    mean_sq += uy * uy
    cov_term = uxy - mean_prod
    cov_term *= 2.0 * cov_norm
    cov_term += c2
    mean_prod *= 2.0
    mean_prod += c1
    mean_prod *= cov_term                       # numerator
    np.add(uxx, uyy, out=cov_term)
    cov_term -= mean_sq
    cov_term *= cov_norm
    cov_term += c2
    mean_sq += c1
    mean_sq *= cov_term                         # denominator
    mean_prod /= mean_sq
    return mean_prod


# ---- RoI --------------------------------------------------------------------------------------

def official_roi(x: float, y: float, w: float, h: float, image_w: float, image_h: float,
                 eval_w: int, eval_h: int) -> tuple[int, int, int, int]:
    """RoI (x, y, w, h) given in pixels of an ``image_w``×``image_h`` frame → integer pixels
    of the ``eval_w``×``eval_h`` evaluated frame, with the official script's arithmetic:
    scale = original / evaluated size, then ``int(v // scale)`` (float floor division)."""
    scale_w = float(image_w) / eval_w
    scale_h = float(image_h) / eval_h
    return (int(float(x) // scale_w), int(float(y) // scale_h),
            int(float(w) // scale_w), int(float(h) // scale_h))


def crop_roi(img: np.ndarray, box: tuple[int, int, int, int], min_side: int = 1) -> np.ndarray:
    """``img[y:y+h, x:x+w]`` as the official script slices it (parts beyond the right/bottom edge
    are cut off). Raises BadInput when the box starts outside the frame, is negative, or the
    remaining crop is smaller than ``min_side`` on a side."""
    x, y, w, h = box
    height, width = img.shape[:2]
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x >= width or y >= height:
        raise BadInput(f"RoI x={x} y={y} w={w} h={h} lies outside the {width}x{height} frame")
    out = img[y:y + h, x:x + w]
    if out.shape[0] < min_side or out.shape[1] < min_side:
        raise BadInput(f"RoI x={x} y={y} w={w} h={h} leaves a {out.shape[1]}x{out.shape[0]} crop of the "
                       f"{width}x{height} frame, smaller than the {min_side}-px SSIM window")
    return out


# ---- chamfer line distance ----------------------------------------------------------------------

LINE_BLUR_SIGMA = 2.0
LINE_THRESHOLD = 0.06


def line_map(img: np.ndarray, sigma: float = LINE_BLUR_SIGMA, threshold: float = LINE_THRESHOLD) -> np.ndarray:
    """Line drawing (H×W bool) of a float RGB image in [0, 1].

    Extractor (ours, documented so numbers can be reproduced): luma
    Y = 0.299 R + 0.587 G + 0.114 B; a pixel is on a line when it is darker
    than its Gaussian-blurred surroundings (σ = ``sigma`` px, kernel truncated at
    4σ, edges replicated; the same as scipy's ``gaussian_filter(mode='nearest')``)
    by more than ``threshold``
    (in [0, 1] units). This difference-of-Gaussians "ink" detector picks out
    the dark contour strokes of cel animation and ignores flat colour areas.
    """
    luma = img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
    taps = gaussian_taps(sigma, truncate=4.0)
    background = cv2.sepFilter2D(luma.astype(np.float64), cv2.CV_64F, taps, taps, borderType=cv2.BORDER_REPLICATE)
    return (background - luma) > threshold


def chamfer_distance(lines_a: np.ndarray, lines_b: np.ndarray) -> float:
    """Symmetric chamfer distance in pixels (float32 precision) between two H×W boolean line maps:
    ½·(mean over a's line pixels of the Euclidean distance to the nearest line pixel of b
    + the same from b to a). 0 when both are empty; NaN when exactly one is empty."""
    if lines_a.shape != lines_b.shape:
        raise BadInput(f"line maps differ in size: {lines_a.shape} vs {lines_b.shape}")
    na, nb = int(lines_a.sum()), int(lines_b.sum())
    if na == 0 and nb == 0:
        return 0.0
    if na == 0 or nb == 0:
        return math.nan
    dist_to_b = _distance_to(lines_b)
    dist_to_a = _distance_to(lines_a)
    return 0.5 * (float(dist_to_b[lines_a].mean(dtype=np.float64)) + float(dist_to_a[lines_b].mean(dtype=np.float64)))


def _distance_to(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance (pixels, float32) from every pixel to the nearest True pixel of ``mask``
    (OpenCV's DIST_L2 with DIST_MASK_PRECISE, the Felzenszwalb–Huttenlocher transform)."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def chamfer_line_distance(pred: np.ndarray, truth: np.ndarray) -> float:
    """Chamfer distance (pixels) between the line drawings of two float images in [0, 1]."""
    return chamfer_distance(line_map(pred), line_map(truth))


# ---- one triplet ------------------------------------------------------------------------------

def score(pred: np.ndarray, truth_u8: np.ndarray, profile: Profile | str = DEFAULT_PROFILE,
          roi: tuple[int, int, int, int] | None = None, with_chamfer: bool = True) -> dict[str, float | None]:
    """All metrics of one prediction against its uint8 truth under ``profile``.

    ``pred``: the method output (H×W×3 float in [0, 1], or uint8); ``roi``: an
    integer box in pixels of this frame (see :func:`official_roi`) or None.
    Returns psnr, ssim, ie, roi_psnr, roi_ssim, roi_ie, chamfer (None when not computed).
    Raises BadInput for mismatched sizes or an RoI outside the frame.

    Per-pixel maps are computed once: the RoI values are means over the RoI's part of
    them. This equals scoring the cropped images, because an SSIM window inside the
    crop is the same window of the whole frame.
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    if pred.shape != truth_u8.shape or pred.ndim != 3 or pred.shape[2] != 3:
        raise BadInput(f"prediction {pred.shape} does not match the truth {truth_u8.shape} (H×W×3 expected)")
    p = prepare_prediction(pred.transpose(2, 0, 1), prof)   # 3×H×W planes
    t = truth_to_float(truth_u8.transpose(2, 0, 1))
    taps = ssim_taps(prof.ssim_window, prof.ssim_win_size, prof.ssim_sigma)
    k = len(taps)
    r = k // 2
    if p.shape[1] < k or p.shape[2] < k:
        raise BadInput(f"frame {p.shape[2]}x{p.shape[1]} is smaller than the {k}x{k} SSIM window")
    diff = p - t
    diff *= diff
    sq = diff.sum(axis=0)                                    # Σ_c (pred − truth)², per pixel
    s_map = _ssim_map_planes(p, t, taps, prof.ssim_sample_covariance, prof.ssim_data_range)
    out: dict[str, float | None] = {
        "psnr": _psnr_from_mse(float(sq.mean()) / 3.0, prof.psnr_data_range),
        "ssim": mean_of_planes(s_map),
        "ie": 255.0 * float(np.sqrt(sq).mean()),
        "roi_psnr": None, "roi_ssim": None, "roi_ie": None,
        "chamfer": None,
    }
    if with_chamfer:
        c = chamfer_line_distance(p.transpose(1, 2, 0), t.transpose(1, 2, 0))
        out["chamfer"] = None if math.isnan(c) else c
    if roi is not None:
        x, y, _, _ = roi
        crop = crop_roi(sq, roi, min_side=k)
        ye, xe = y + crop.shape[0], x + crop.shape[1]
        out["roi_psnr"] = _psnr_from_mse(float(crop.mean()) / 3.0, prof.psnr_data_range)
        out["roi_ssim"] = mean_of_planes(s_map[:, y:ye - 2 * r, x:xe - 2 * r])
        out["roi_ie"] = 255.0 * float(np.sqrt(crop).mean())
    return out


def _psnr_from_mse(mse: float, data_range: float) -> float:
    return math.inf if mse == 0.0 else 10.0 * math.log10(data_range * data_range / mse)


def _check_same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise BadInput(f"images differ in size: {a.shape} vs {b.shape}")
