"""Frame similarity for mining: SSIM exactly as scikit-image defines it, computed fast.

Definition (the one ATD-style mining uses here): scikit-image's
``structural_similarity(a, b, win_size=7, channel_axis=-1, data_range=255)``
on H×W×3 uint8 RGB frames at the *working size* — the film's frames scaled down
by area averaging to fit in ``max_size`` (default 960×540, the ATD-12K
evaluation size; smaller frames are left as they are). That is: per channel, a
7×7 uniform window, sample covariance (N/(N−1), N = 49), C1 = (0.01·255)²,
C2 = (0.03·255)², the mean of the SSIM map without its 3-pixel border, then the
mean over the channels. ``channels="gray"`` uses the BT.601 luma instead.

How it is fast and still exact: one fused pass (a Numba kernel, compiled once
and cached on disk) streams the two frames row by row.

- the 7×7 window *sums* Sx, Sy, Sxx + Syy, Sxy of uint8 frames are integers,
  kept exactly in int32: running column sums over 7 rows (add the new row, drop
  the old one), then a 7-tap horizontal sum per row, all vectorised. Three sums
  carry the four: the formula below only needs Sxx + Syy, and Sx, Sy ≤ 49·255 <
  2¹⁶ share one lane as Sx + 2¹⁶·Sy (< 2³¹), unpacked per window (10 % faster
  than a lane each);
- with n = 49 the per-window SSIM is
  (2·Sx·Sy + C1·n²)(2·(n·Sxy − Sx·Sy) + C2·n(n−1)) /
  ((Sx² + Sy² + C1·n²)(n·Sxx − Sx² + n·Syy − Sy² + C2·n(n−1)))
  (the normalisations cancel); every bracket is an exact integer (< 2³¹) plus a
  constant, evaluated in float64, so a window's value carries one float64
  rounding per operation: the mean is within ~1e-14 of scikit-image's (which
  itself rounds its float64 filters), and every threshold decision is the one
  scikit-image's value gives.

The summation order of the float64 mean is the vectoriser's, fixed for a given
machine, so the same frames always give the same value there.
"""

from __future__ import annotations

import cv2
import numpy as np

from atdkit.ops.jit import kernel

WIN = 7
PAD = WIN // 2
N = WIN * WIN
DATA_RANGE = 255.0
C1 = (0.01 * DATA_RANGE) ** 2
C2 = (0.03 * DATA_RANGE) ** 2
K1 = C1 * N * N            # C1 in units of window sums
K2 = C2 * N * (N - 1)      # C2 in units of window sums (sample covariance)
DEFAULT_MAX_SIZE = (960, 540)


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


@kernel
def _add7(col: np.ndarray, out: np.ndarray, pair: np.ndarray, lo: int, step: int) -> None:
    """out[j] = Σ_{k=-3..3} col[lo + j + k·step]: two pair sums, then four terms per output."""
    m = out.shape[0]
    n2 = m + 5 * step
    b = lo - PAD * step
    c0, c1 = col[b:b + n2], col[b + step:b + step + n2]
    for i in range(n2):
        pair[i] = c0[i] + c1[i]
    p0, p2, p4 = pair[0:m], pair[2 * step:2 * step + m], pair[4 * step:4 * step + m]
    last = col[lo + PAD * step:lo + PAD * step + m]
    for j in range(m):
        out[j] = p0[j] + p2[j] + p4[j] + last[j]


@kernel
def _ssim_map_sum(x: np.ndarray, y: np.ndarray, channels: int) -> float:
    """Σ of the border-free SSIM map of two H×(W·C) uint8 frames (C channels interleaved)."""
    h, wc = x.shape
    cols = np.zeros((3, wc), np.int32)      # running 7-row column sums: x + 2¹⁶·y, x² + y², xy
    sp, sq, sxy = cols[0], cols[1], cols[2]
    lo = PAD * channels
    m = wc - 2 * lo
    win = np.empty((3, m), np.int32)        # the row's 7×7 window sums
    wp, wq, wxy = win[0], win[1], win[2]
    pair = np.empty(m + 5 * channels, np.int32)
    total = 0.0
    for r in range(PAD, h - PAD):
        for new in range(r - PAD if r == PAD else r + PAD, r + PAD + 1):  # first row: its 7 rows; then 1
            xn, yn = x[new], y[new]
            for j in range(wc):
                a, b = np.int32(xn[j]), np.int32(yn[j])
                sp[j] += a + (b << 16)
                sq[j] += a * a + b * b
                sxy[j] += a * b
        if r > PAD:
            xo, yo = x[r - PAD - 1], y[r - PAD - 1]
            for j in range(wc):
                a, b = np.int32(xo[j]), np.int32(yo[j])
                sp[j] -= a + (b << 16)
                sq[j] -= a * a + b * b
                sxy[j] -= a * b
        _add7(sp, wp, pair, lo, channels)
        _add7(sq, wq, pair, lo, channels)
        _add7(sxy, wxy, pair, lo, channels)
        row = 0.0
        for j in range(m):
            fx, fy = float(wp[j] & 0xFFFF), float(wp[j] >> 16)
            p, s2 = fx * fy, fx * fx + fy * fy
            num = (2.0 * p + K1) * (2.0 * (N * float(wxy[j]) - p) + K2)
            den = (s2 + K1) * (N * float(wq[j]) - s2 + K2)
            row += num / den
        total += row
    return total


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two working frames (H×W×C or H×W uint8, C ≤ 4, H, W ≥ 7), the module's definition."""
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"SSIM frames must be uint8, not {a.dtype} and {b.dtype}")
    if a.shape != b.shape:
        raise ValueError(f"SSIM of frames with different shapes {a.shape} and {b.shape}")
    if a.ndim == 3 and a.shape[2] == 1:
        a, b = a[:, :, 0], b[:, :, 0]
    if min(a.shape[:2]) < WIN:
        raise ValueError(f"frame {a.shape[1]}×{a.shape[0]} smaller than the {WIN}×{WIN} SSIM window")
    height, width = a.shape[:2]
    channels = 1 if a.ndim == 2 else a.shape[2]
    flat_a = np.ascontiguousarray(a).reshape(height, width * channels)
    flat_b = np.ascontiguousarray(b).reshape(height, width * channels)
    return float(_ssim_map_sum(flat_a, flat_b, channels) / ((height - 2 * PAD) * (width - 2 * PAD) * channels))


def ssim_reference(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-image's ``structural_similarity`` under the same definition (slow; for tests and the naive miner)."""
    from skimage.metrics import structural_similarity

    if a.ndim == 3 and a.shape[2] == 1:
        a, b = a[:, :, 0], b[:, :, 0]
    if a.ndim == 2:
        return float(structural_similarity(a, b, win_size=WIN, data_range=DATA_RANGE))
    return float(structural_similarity(a, b, win_size=WIN, channel_axis=-1, data_range=DATA_RANGE))
