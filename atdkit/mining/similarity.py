"""Frame similarity for mining: SSIM exactly as scikit-image defines it, computed fast.

Definition (the one ATD-style mining uses here): scikit-image's
``structural_similarity(a, b, win_size=7, channel_axis=-1, data_range=255)``
on H×W×3 uint8 RGB frames at the *working size* — the film's frames scaled down
by area averaging to fit in ``max_size`` (default 960×540, the ATD-12K
evaluation size; smaller frames are left as they are). That is: per channel, a
7×7 uniform window, sample covariance (N/(N−1), N = 49), C1 = (0.01·255)²,
C2 = (0.03·255)², the mean of the SSIM map without its 3-pixel border, then the
mean over the channels. ``channels="gray"`` uses the BT.601 luma instead.

How it is fast and still exact:
- window *sums* of x, x², x·y of uint8 frames are integers, computed exactly in
  int32 by OpenCV's unnormalised box filter (x·y ≤ 65025 fits uint16);
- with n = 49 and sums Sx, Sy, Sxx, Syy, Sxy the per-window SSIM is
  (2·Sx·Sy + C1·n²)(2·(n·Sxy − Sx·Sy) + C2·n(n−1)) /
  ((Sx² + Sy² + C1·n²)(n·Sxx − Sx² + n·Syy − Sy² + C2·n(n−1)))
  (the normalisations cancel); every bracket is an exact integer plus a constant;
- per-frame terms (Sx, Sx², n·Sxx − Sx²) are computed once per frame and reused
  for every pair; a pair costs one uint16 product, one box filter and a few
  float32 operations on the exact integers, done in bands of rows whose
  buffers stay in cache (each band's window sums include a 3-row halo, so they
  are the whole-frame sums). Each bracket is rounded to float32
  once, so a window's value is off by at most ~6e-7 (|n·Sxy − Sx·Sy| is bounded
  by the variance bracket, so no cancellation); measured ~2e-8;
- :func:`ssim_exact` evaluates the same integers in float64 (~1e-12 from
  scikit-image). Mining calls it whenever the fast value lies within
  ``DECISION_MARGIN`` of a threshold, so decisions are those of scikit-image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WIN = 7
PAD = WIN // 2
N = WIN * WIN
DATA_RANGE = 255.0
C1 = (0.01 * DATA_RANGE) ** 2
C2 = (0.03 * DATA_RANGE) ** 2
K1 = C1 * N * N            # C1 in units of window sums
K2 = C2 * N * (N - 1)      # C2 in units of window sums (sample covariance)
DEFAULT_MAX_SIZE = (960, 540)
DECISION_MARGIN = 1e-6     # fast values closer than this to a threshold are recomputed exactly


def working_size(width: int, height: int, max_size: tuple[int, int] = DEFAULT_MAX_SIZE) -> tuple[int, int]:
    """(w, h) of the working frame: the largest size ≤ ``max_size`` with the film's aspect, never upscaled."""
    s = min(1.0, max_size[0] / width, max_size[1] / height)
    if s >= 1.0:
        return width, height
    return max(1, int(round(width * s))), max(1, int(round(height * s)))


def to_working(frame: np.ndarray, size: tuple[int, int], channels: str = "rgb") -> np.ndarray:
    """H×W×3 uint8 RGB → working frame (area downscale to ``size`` = (w, h)): H'×W'×3, or H'×W' for gray."""
    if (frame.shape[1], frame.shape[0]) != tuple(size):
        frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
    if channels == "gray":
        return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if channels != "rgb":
        raise ValueError(f"ssim channels must be 'rgb' or 'gray', not {channels!r}")
    return frame


def _box_sum(x: np.ndarray) -> np.ndarray:
    """Exact 7×7 window sums (int32) of a uint8/uint16 image; only the border-free part is used later."""
    return cv2.boxFilter(x, cv2.CV_32S, (WIN, WIN), normalize=False, borderType=cv2.BORDER_REFLECT)


@dataclass
class SSIMStats:
    """Per-frame integer window terms (H×W[×C] int32) that every pair with this frame reuses."""

    x: np.ndarray     # the working frame, uint8
    sx: np.ndarray    # Sx, window sums
    sx2: np.ndarray   # Sx²
    var: np.ndarray   # n·Sxx − Sx² (n(n−1) × the sample variance)

    @property
    def channels(self) -> int:
        return 1 if self.x.ndim == 2 else self.x.shape[2]


def ssim_stats(frame: np.ndarray) -> SSIMStats:
    """Window terms of one working frame (H×W or H×W×C uint8, C ≤ 4, H, W ≥ 7)."""
    if frame.dtype != np.uint8:
        raise ValueError(f"SSIM frames must be uint8, not {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if min(frame.shape[:2]) < WIN:
        raise ValueError(f"frame {frame.shape[1]}×{frame.shape[0]} smaller than the {WIN}×{WIN} SSIM window")
    frame = np.ascontiguousarray(frame)
    sx = _box_sum(frame)
    sx2 = np.multiply(sx, sx)
    var = _box_sum(np.multiply(frame, frame, dtype=np.uint16))
    np.multiply(var, N, out=var)
    np.subtract(var, sx2, out=var)
    return SSIMStats(frame, sx, sx2, var)


BAND_ROWS = 32  # SSIM-map rows per band: a band's buffers (~1 MB at 960×3) stay in cache between operations

_WORKSPACES: dict[tuple, dict[str, np.ndarray]] = {}


def _workspace(shape: tuple[int, ...], depth: int) -> dict[str, np.ndarray]:
    """Reusable band buffers per band shape (fresh allocations cost more than the arithmetic)."""
    key = (shape, depth)
    ws = _WORKSPACES.get(key)
    if ws is None:
        if len(_WORKSPACES) > 8:
            _WORKSPACES.clear()
        fdt = np.float32 if depth == cv2.CV_32F else np.float64
        ws = {"xy": np.empty(shape, np.uint16), "cov": np.empty(shape, np.int32), "p": np.empty(shape, np.int32),
              **{k: np.empty(shape, fdt) for k in ("a", "b", "c", "d")}}
        _WORKSPACES[key] = ws
    return ws


def _flat(x: np.ndarray) -> np.ndarray:
    """H×W×C → H×(W·C) view: elementwise OpenCV ops run faster on one channel."""
    return x.reshape(x.shape[0], -1)


def _ssim(a: SSIMStats, b: SSIMStats, depth: int) -> float:
    """Mean SSIM over the border-free windows, computed in bands of ``BAND_ROWS`` map rows.

    A band's x·y window sums come from the band's rows plus ``PAD`` rows either
    side, so they are exactly the whole-frame sums (border handling only touches
    the halo rows and edge columns, which are dropped)."""
    if a.x.shape != b.x.shape:
        raise ValueError(f"SSIM of frames with different shapes {a.x.shape} and {b.x.shape}")
    height, width = a.x.shape[:2]
    channels = a.channels
    total = 0.0
    for r0 in range(PAD, height - PAD, BAND_ROWS):
        r1 = min(r0 + BAND_ROWS, height - PAD)
        rows = r1 - r0
        w = _workspace((rows + 2 * PAD, *a.x.shape[1:]), depth)
        xy = np.multiply(a.x[r0 - PAD:r1 + PAD], b.x[r0 - PAD:r1 + PAD], out=w["xy"], dtype=np.uint16)
        cov = cv2.boxFilter(xy, cv2.CV_32S, (WIN, WIN), dst=w["cov"], normalize=False, borderType=cv2.BORDER_REFLECT)
        cov = _flat(cov[PAD:PAD + rows])
        band = slice(r0, r1)
        p = np.multiply(_flat(a.sx[band]), _flat(b.sx[band]), out=_flat(w["p"][:rows]))
        np.multiply(cov, N, out=cov)
        np.subtract(cov, p, out=cov)                                                  # n·Sxy − Sx·Sy, exact
        num = cv2.addWeighted(p, 2.0, p, 0.0, K1, dst=_flat(w["a"][:rows]), dtype=depth)  # 2·Sx·Sy + C1·n²
        cv2.multiply(num, cv2.addWeighted(cov, 2.0, cov, 0.0, K2, dst=_flat(w["b"][:rows]), dtype=depth), dst=num)
        den = cv2.addWeighted(_flat(a.sx2[band]), 1.0, _flat(b.sx2[band]), 1.0, K1, dst=_flat(w["c"][:rows]),
                              dtype=depth)
        cv2.multiply(den, cv2.addWeighted(_flat(a.var[band]), 1.0, _flat(b.var[band]), 1.0, K2,
                                          dst=_flat(w["d"][:rows]), dtype=depth), dst=den)
        cv2.divide(num, den, dst=num)
        total += cv2.sumElems(num[:, PAD * channels:(width - PAD) * channels])[0]
    return float(total / ((height - 2 * PAD) * (width - 2 * PAD) * channels))


def ssim_fast(a: SSIMStats, b: SSIMStats) -> float:
    """SSIM from two frames' :func:`ssim_stats`; within ~6e-7 of scikit-image (float32 brackets)."""
    return _ssim(a, b, cv2.CV_32F)


def ssim_exact(a: SSIMStats, b: SSIMStats) -> float:
    """SSIM from two frames' :func:`ssim_stats` in float64 (~1e-12 from scikit-image)."""
    return _ssim(a, b, cv2.CV_64F)


def ssim_decide(a: SSIMStats, b: SSIMStats, thresholds: tuple[float, ...]) -> float:
    """The fast SSIM, recomputed exactly when it lies within ``DECISION_MARGIN`` of a threshold,
    so comparisons against ``thresholds`` match scikit-image's value."""
    value = ssim_fast(a, b)
    if any(abs(value - t) <= DECISION_MARGIN for t in thresholds):
        value = ssim_exact(a, b)
    return value


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two working frames (H×W×3 RGB or H×W gray, uint8), the module's definition."""
    return ssim_fast(ssim_stats(a), ssim_stats(b))


def ssim_reference(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-image's ``structural_similarity`` under the same definition (slow; for tests and the naive miner)."""
    from skimage.metrics import structural_similarity

    if a.ndim == 3 and a.shape[2] == 1:
        a, b = a[:, :, 0], b[:, :, 0]
    if a.ndim == 2:
        return float(structural_similarity(a, b, win_size=WIN, data_range=DATA_RANGE))
    return float(structural_similarity(a, b, win_size=WIN, channel_axis=-1, data_range=DATA_RANGE))
