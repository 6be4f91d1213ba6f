"""Shots and drawings: hard cuts, held drawings (also under camera pans), cadence per shot.

Every frame is compared with the previous one on a small grayscale thumbnail
(luma, area-downscaled, so re-encode noise averages away) and classified as:

- ``hold``: the same drawing, camera still — almost no thumbnail pixel changes;
- ``pan``: the same drawing under a camera move — after undoing the global shift
  (phase correlation, refined to sub-pixel by Lucas–Kanade) almost no pixel
  changes. A pan over a held drawing is a hold of the drawing, not new drawings;
- ``change``: a new drawing in the same shot;
- ``cut``: a new shot — a large part of the frame changes even after alignment,
  the colour distribution moves (RGB histograms of a nearest-neighbour sample of
  the pixels), *and* the two frames are not views of the same scene: ORB
  features matched between them do not agree on one homography (OpenCV's USAC
  LO-RANSAC), and less than ``same_scene_texture`` of the textured pixels
  (gradient > 1.5 per pixel) stayed the same (|difference| ≤ 3). The last test
  keeps in-shot reframes and zooms (many matches agree on a homography) and
  drops or debris flying over a still background (the textured background that
  shows between them is unchanged) from counting as cuts. Flat areas are left
  out of that count: consecutive shots often share flat colours.

"Changes" are measured as the fraction of thumbnail pixels whose absolute
difference exceeds ``pixel_threshold`` (0–255 scale); the noise floor of
re-encoded held drawings (mean absolute difference ≈ 0.7 at 1080p) stays far
below it after downscaling.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from atdkit.ops.jit import kernel

THUMB_WIDTH = 320
THUMB_BLUR = 1.0  # Gaussian sigma, thumbnail pixels
COARSE = 2        # phase correlation runs on the thumbnail area-downscaled by this factor


@dataclass(frozen=True)
class ShotParams:
    pixel_threshold: float = 12.0     # thumbnail |difference| counted as a change (0–255)
    hold_fraction: float = 0.002      # below this fraction of changed pixels: same drawing
    cut_fraction: float = 0.30        # a cut changes at least this fraction after alignment…
    cut_hist: float = 0.05            # …moves the colour histogram by this (Bhattacharyya distance)…
    same_scene_inliers: int = 25      # …and has fewer homography inliers than this (or than 30 % of matches)
    same_scene_texture: float = 0.2   # …and keeps fewer of its textured pixels unchanged than this
    min_pan: float = 0.05             # thumbnail pixels of global shift that count as a camera move


@dataclass
class FrameFeatures:
    """What the detector keeps of a frame: a grayscale thumbnail, and the frame for its colour
    histogram (computed only when a cut test needs it)."""

    thumb: np.ndarray   # h×THUMB_WIDTH float32, 0–255, slightly blurred
    frame: np.ndarray   # the H×W×3 uint8 RGB frame the features describe

    @cached_property
    def hist(self) -> np.ndarray:
        """Normalised 3-D RGB histogram (8×8×8, float32) of a nearest-neighbour sample of the frame,
        one pixel per thumbnail pixel (see :func:`frame_features`)."""
        return _colour_histogram(self.frame, *self.thumb.shape).reshape(8, 8, 8)

    @cached_property
    def coarse(self) -> np.ndarray:
        """The thumbnail area-downscaled by ``COARSE`` (at least 8 px a side), for phase correlation."""
        h, w = self.thumb.shape
        size = (max(8, w // COARSE), max(8, h // COARSE))
        return cv2.resize(self.thumb, size, interpolation=cv2.INTER_AREA) if size != (w, h) else self.thumb

    @cached_property
    def spectrum(self) -> np.ndarray:
        """The :func:`phase_spectrum` of :attr:`coarse`, computed on first use: a frame is compared
        twice (with the frame before it, then with the one after it) and its spectrum serves both."""
        return phase_spectrum(self.coarse)


@kernel
def _colour_histogram(frame: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Normalised 8×8×8 RGB histogram (flat, float32) of the rows × cols pixels of an H×W×3 uint8
    frame at rows ⌊i·H/rows⌋ and columns ⌊j·W/cols⌋ (a nearest-neighbour sample)."""
    h, w, _ = frame.shape
    at = np.empty(cols, np.int64)
    for j in range(cols):
        at[j] = (j * w) // cols
    counts = np.zeros(512, np.int32)
    for i in range(rows):
        row = frame[(i * h) // rows]
        for c in at:
            counts[(row[c, 0] >> 5) << 6 | (row[c, 1] >> 5) << 3 | row[c, 2] >> 5] += 1
    return counts.astype(np.float32) / np.float32(rows * cols)


def frame_features(frame: np.ndarray) -> FrameFeatures:
    """Features of an H×W×3 uint8 RGB frame (any size).

    The thumbnail is the frame's luma, area-downscaled to THUMB_WIDTH wide (one plane to
    average, not three). The histogram counts the colours of a nearest-neighbour sample of the
    frame, one pixel per thumbnail pixel: it only has to see the colour distribution move at a
    cut, which a sample that large shows as well as an area-averaged frame does, at a fraction
    of the cost. Only the thumbnail is computed here; the histogram when a cut test asks for it."""
    h, w = frame.shape[:2]
    tw = min(THUMB_WIDTH, w)
    th = max(8, int(round(h * tw / w)))
    luma = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (tw, th), interpolation=cv2.INTER_AREA)
    # A light blur makes the comparison tolerant to sub-pixel resampling of outlines under pans.
    thumb = cv2.GaussianBlur(luma.astype(np.float32), (0, 0), THUMB_BLUR)
    return FrameFeatures(thumb, frame)


@dataclass
class Relation:
    """How a frame relates to the previous one."""

    kind: str           # first | hold | pan | change | cut
    changed: float      # fraction of changed thumbnail pixels, no alignment
    aligned: float      # fraction changed after undoing the global shift
    shift: tuple[float, float]
    hist: float | None  # Bhattacharyya distance of the colour histograms; None when no cut test needed it


def _changed_fraction(a: np.ndarray, b: np.ndarray, threshold: float) -> float:
    return float(np.count_nonzero(cv2.absdiff(a, b) > threshold)) / max(a.size, 1)


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


def _shift(img: np.ndarray, d: tuple[float, float], margin: int = 0) -> np.ndarray:
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
    """Refine the translation (dx, dy) with cur(x) ≈ prev(x − d); see :func:`global_shift`."""
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


def global_shift(prev: FrameFeatures, cur: FrameFeatures, iterations: int = 4,
                 outlier: float = 30.0) -> tuple[float, float]:
    """Camera translation d (thumbnail px) with cur(x) ≈ prev(x − d): phase correlation of the coarse
    thumbnails (to within a coarse pixel, at a quarter of the cost), then Lucas–Kanade refinement on
    the thumbnails that ignores pixels changing by more than ``outlier`` (moving pieces). Each step
    compares the thumbnails without a border of |d| + 4 pixels, which the shift fills in."""
    dx, dy = phase_correlate(prev.spectrum, cur.spectrum)
    (h, w), (ch, cw) = prev.thumb.shape, prev.coarse.shape
    return _lucas_kanade(prev.thumb, cur.thumb, dx * w / cw, dy * h / ch, iterations, outlier)


def unchanged_texture(a: np.ndarray, b: np.ndarray, gradient: float = 1.5, tolerance: float = 3.0) -> float:
    """Fraction of a's textured pixels (Sobel gradient > ``gradient``) that b keeps within ``tolerance``."""
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    textured = cv2.magnitude(gx, gy) > gradient
    n = int(np.count_nonzero(textured))
    if n < 100:
        return 0.0
    return float(np.count_nonzero(cv2.absdiff(a, b)[textured] <= tolerance)) / n


def same_scene(a: np.ndarray, b: np.ndarray, min_inliers: int = 25, min_texture: float = 0.2) -> bool:
    """True when two thumbnails show the same scene: much of a's texture is unchanged in b, or ORB matches
    between them agree on one homography (reframed, zoomed)."""
    if unchanged_texture(a, b) >= min_texture:
        return True
    orb = cv2.ORB_create(500, fastThreshold=10, edgeThreshold=15, patchSize=15)
    ka, da = orb.detectAndCompute(np.clip(a, 0, 255).astype(np.uint8), None)
    kb, db = orb.detectAndCompute(np.clip(b, 0, 255).astype(np.uint8), None)
    if da is None or db is None or len(ka) < min_inliers or len(kb) < min_inliers:
        return False
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    if len(matches) < min_inliers:
        return False
    pa = np.float32([ka[m.queryIdx].pt for m in matches])
    pb = np.float32([kb[m.trainIdx].pt for m in matches])
    # USAC's LO-RANSAC with SPRT: deterministic (its own fixed seed), and a cut — matches that agree on
    # nothing — costs it under a millisecond, where classic RANSAC runs all its 2000 iterations (~50 ms)
    _, mask = cv2.findHomography(pa, pb, cv2.USAC_DEFAULT, 3.0)
    inliers = int(mask.sum()) if mask is not None else 0
    return inliers >= min_inliers and inliers >= 0.3 * len(matches)


def relate(prev: FrameFeatures, cur: FrameFeatures, params: ShotParams = ShotParams()) -> Relation:
    """Classify ``cur`` against ``prev`` (see module doc)."""
    changed = _changed_fraction(prev.thumb, cur.thumb, params.pixel_threshold)
    if changed < params.hold_fraction:
        return Relation("hold", changed, changed, (0.0, 0.0), None)
    dx, dy = global_shift(prev, cur)
    aligned = changed
    plausible = max(abs(dx), abs(dy)) < min(prev.thumb.shape) / 4  # else it locked onto a moving piece
    if plausible and (abs(dx) >= params.min_pan or abs(dy) >= params.min_pan):
        h, w = cur.thumb.shape
        margin = int(np.ceil(max(abs(dx), abs(dy)))) + 2    # leave out the border the shift fills in…
        if min(h, w) <= 2 * margin + 4:                     # …unless that leaves too little
            margin = 0
        moved = _shift(prev.thumb, (dx, dy), margin)
        aligned = min(changed, _changed_fraction(moved, cur.thumb[margin:h - margin, margin:w - margin],
                                                 params.pixel_threshold))
        if aligned < params.hold_fraction:
            return Relation("pan", changed, aligned, (dx, dy), None)
    if aligned < params.cut_fraction:
        return Relation("change", changed, aligned, (dx, dy), None)
    hist = float(cv2.compareHist(prev.hist, cur.hist, cv2.HISTCMP_BHATTACHARYYA))
    if hist >= params.cut_hist and \
            not same_scene(prev.thumb, cur.thumb, params.same_scene_inliers, params.same_scene_texture):
        return Relation("cut", changed, aligned, (dx, dy), hist)
    return Relation("change", changed, aligned, (dx, dy), hist)


@dataclass
class FrameInfo:
    index: int
    shot: int
    drawing: int        # film-wide drawing counter: increments on every change and cut
    relation: str       # first | hold | pan | change | cut


class ShotTracker:
    """Streams frames in order and assigns shot and drawing numbers; the first frame pushed is frame
    ``first_index`` of the film (shot 0, drawing 0)."""

    def __init__(self, params: ShotParams = ShotParams(), first_index: int = 0):
        self.params = params
        self.first_index = first_index
        self._prev: FrameFeatures | None = None
        self.frames: list[FrameInfo] = []

    def push(self, features: FrameFeatures) -> FrameInfo:
        index = self.first_index + len(self.frames)
        if self._prev is None:
            info = FrameInfo(index, 0, 0, "first")
        else:
            last = self.frames[-1]
            kind = relate(self._prev, features, self.params).kind
            shot = last.shot + (kind == "cut")
            drawing = last.drawing + (kind in ("change", "cut"))
            info = FrameInfo(index, shot, drawing, kind)
        self._prev = features
        self.frames.append(info)
        return info

    def shots(self) -> list[dict]:
        """Per shot: {shot, start, end (exclusive), cadence, drawings}; see :func:`cadence`."""
        out = []
        for shot in sorted({f.shot for f in self.frames}):
            frames = [f for f in self.frames if f.shot == shot]
            runs = _run_lengths([f.drawing for f in frames])
            out.append({"shot": shot, "start": frames[0].index, "end": frames[-1].index + 1,
                        "cadence": cadence(runs), "drawings": len(runs),
                        "pans": sum(f.relation == "pan" for f in frames)})
        return out


def _run_lengths(drawings: list[int]) -> list[int]:
    runs: list[int] = []
    for i, d in enumerate(drawings):
        if i and d == drawings[i - 1]:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def cadence(runs: list[int]) -> str:
    """Cadence of a shot from the lengths of its drawing runs: "1", "2", "3" (on ones/twos/threes),
    "hold" (one drawing), or "mixed" (no length covers 60 % of the inner runs).
    The first and last runs are ignored when there are more, since the shot may cut them short."""
    if len(runs) <= 1:
        return "hold"
    inner = runs[1:-1] if len(runs) > 3 else runs
    mode, count = Counter(min(r, 4) for r in inner).most_common(1)[0]
    if count < 0.6 * len(inner) or mode > 3:
        return "mixed"
    return str(mode)
