"""Global (camera) translation between two grayscale images: phase correlation, Lucas–Kanade
refinement, and moving an image by a sub-pixel shift.

All images are H×W float32 (any value range; the mining thumbnails are 0–255 luma). A shift
``d = (dx, dy)`` is in pixels, x along columns, y along rows, and means ``b(x) ≈ a(x − d)``:
the content of ``a`` moved by ``d``. Phase correlation takes the images' :func:`phase_spectrum`
so that a caller comparing a frame with both its neighbours computes each spectrum once.
"""

from __future__ import annotations

import cv2
import numpy as np

from atdkit.ops.jit import kernel


@kernel
def _bilinear(img: np.ndarray, dx: float, dy: float, offset: int, out: np.ndarray) -> None:
    """out[i, j] = img(offset + i − dy, offset + j − dx), bilinear; every position read lies inside img."""
    sx, sy = offset - dx, offset - dy
    x0, y0 = int(np.floor(sx)), int(np.floor(sy))
    fx, fy = np.float32(sx - x0), np.float32(sy - y0)
    oh, ow = out.shape
    for i in range(oh):
        top, bottom = img[y0 + i, x0:x0 + ow + 1], img[y0 + i + 1, x0:x0 + ow + 1]
        row = out[i]
        for j in range(ow):
            t = top[j] + fx * (top[j + 1] - top[j])
            b = bottom[j] + fx * (bottom[j + 1] - bottom[j])
            row[j] = t + fy * (b - t)


def shift_image(img: np.ndarray, d: tuple[float, float], margin: int = 0) -> np.ndarray:
    """img moved by d = (dx, dy), bilinear, edges replicated: out(x) = img(x − d), without the
    outer ``margin`` pixels on every side (beyond |d| + 1 of the edges no pixel outside img is read)."""
    h, w = img.shape
    pad = max(0, int(np.ceil(max(abs(d[0]), abs(d[1])))) + 1 - margin)
    if pad:
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    out = np.empty((h - 2 * margin, w - 2 * margin), np.float32)
    _bilinear(img, d[0], d[1], margin + pad, out)
    return out


@kernel
def _lucas_kanade(prev: np.ndarray, cur: np.ndarray, dx: float, dy: float, iterations: int,
                  outlier: float) -> tuple[float, float]:
    """Refine the translation (dx, dy) with cur(x) ≈ prev(x − d); see :func:`refine_translation`."""
    h, w = prev.shape
    two, eighth, limit = np.float32(2), np.float32(1 / 8), np.float32(outlier)  # float32 throughout: vectorises
    for _ in range(iterations):
        m = int(np.ceil(max(abs(dx), abs(dy)))) + 4
        if 2 * m + 8 > min(h, w):
            break
        moved = np.empty((h - 2 * m + 2, w - 2 * m + 2), np.float32)  # compared part, 1-pixel ring
        _bilinear(prev, dx, dy, m - 1, moved)
        axx = axy = ayy = bx = by = 0.0       # float64 sums of the float32 row sums
        for i in range(1, h - 2 * m + 1):
            up, mid, down, c = moved[i - 1], moved[i], moved[i + 1], cur[m - 1 + i, m - 1:w - m + 1]
            sxx = sxy = syy = sx = sy = np.float32(0)
            for j in range(1, w - 2 * m + 1):
                # Sobel (scale 1/8) of moved, and the residual; pixels changing by ≥ outlier are ignored
                gx = ((up[j + 1] - up[j - 1]) + two * (mid[j + 1] - mid[j - 1]) + (down[j + 1] - down[j - 1])) * eighth
                gy = ((down[j - 1] - up[j - 1]) + two * (down[j] - up[j]) + (down[j + 1] - up[j + 1])) * eighth
                r = c[j] - mid[j]
                if abs(r) < limit:
                    sxx += gx * gx
                    sxy += gx * gy
                    syy += gy * gy
                    sx += gx * r
                    sy += gy * r
            axx, axy, ayy, bx, by = axx + sxx, axy + sxy, ayy + syy, bx + sx, by + sy
        det = axx * ayy - axy * axy
        if det < 1e-6:
            break
        # moved(x) shifted by δ more ≈ moved(x) − g·δ; solve cur ≈ moved − g·δ in least squares
        ddx, ddy = -(ayy * bx - axy * by) / det, -(axx * by - axy * bx) / det
        dx, dy = dx + ddx, dy + ddy
        if max(abs(ddx), abs(ddy)) < 0.02:
            break
    return dx, dy


def refine_translation(prev: np.ndarray, cur: np.ndarray, d: tuple[float, float], iterations: int = 4,
                       outlier: float = 30.0) -> tuple[float, float]:
    """The translation d with cur(x) ≈ prev(x − d), refined from a first guess by Lucas–Kanade steps
    (at most ``iterations``, stopping below 0.02 px) that ignore pixels changing by more than
    ``outlier`` (moving pieces). Each step compares the images without a border of |d| + 4 pixels."""
    return _lucas_kanade(prev, cur, float(d[0]), float(d[1]), iterations, outlier)


@kernel
def _unit_pairs(src: np.ndarray, dst: np.ndarray) -> None:
    """dst = src with every (re, im) pair along the rows scaled to magnitude 1 (0 stays 0)."""
    for i in range(src.shape[0]):
        s, d = src[i], dst[i]
        for k in range(s.shape[0] // 2):
            re, im = s[2 * k], s[2 * k + 1]
            scale = np.float32(1) / np.sqrt(max(re * re + im * im, np.float32(1e-30)))
            d[2 * k], d[2 * k + 1] = re * scale, im * scale


def phase_spectrum(img: np.ndarray) -> np.ndarray:
    """The DFT of a float32 image with every term's magnitude set to 1: what phase correlation
    multiplies. Zero-padded to ``cv2.getOptimalDFTSize`` and packed like ``cv2.dft``'s real output
    (CCS): (re, im) pairs run along the rows in columns 1 … n−2 (n−1 for odd n), and down columns 0
    and n−1 (only 0 for odd n) in rows 1 … m−2 (m−1 for odd m); the remaining terms are real (→ ±1)."""
    h, w = img.shape
    m, n = cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w)
    padded = cv2.copyMakeBorder(img, 0, m - h, 0, n - w, cv2.BORDER_CONSTANT, value=0)
    f = cv2.dft(padded, flags=cv2.DFT_REAL_OUTPUT)
    spec = np.sign(f)
    cols, rows = slice(1, n - 1 + n % 2), slice(1, m - 1 + m % 2)
    _unit_pairs(f[:, cols], spec[:, cols])
    for c in (0, n - 1)[:2 - n % 2]:
        _unit_pairs(f[rows, c][None], spec[rows, c][None])
    return spec


def phase_correlate(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Shift d with image b(x) ≈ image a(x − d), from their :func:`phase_spectrum`: the peak of the
    inverse DFT of a·conj(b), to sub-pixel by the centroid of the 5×5 values around it (cyclically).
    The value of ``cv2.phaseCorrelate`` on the two images, which computes both spectra on every call;
    for odd padded sizes without its half-pixel offset."""
    c = cv2.idft(cv2.mulSpectrums(a, b, 0, conjB=True), flags=cv2.DFT_REAL_OUTPUT)
    m, n = c.shape
    py, px = np.unravel_index(int(np.argmax(c)), c.shape)
    k = np.arange(-2, 3)
    box = c[np.ix_((py + k) % m, (px + k) % n)].astype(np.float64)
    total = box.sum() + np.finfo(np.float64).eps
    py, px = py - m * (py >= m / 2), px - n * (px >= n / 2)    # the peak's cyclic position: −d
    return float(-(px + box.sum(0) @ k / total)), float(-(py + box.sum(1) @ k / total))
