"""Motion of a triplet from optical flow between frame1 and frame3: statistics, difficulty, RoI.

Flow is DIS (``atdkit.ops.optical_flow.dis_flow``, preset "medium") on frames
area-downscaled to at most ``flow_width`` pixels wide (default
``FLOW_WIDTH`` = 240: a quarter of the reference width. DIS at 480 px costs ~4×
more; on 46 mined triplets (synthetic films and the real test clips) 240 px
gave the same difficulty as 480 px for 42, the others sitting near a
threshold, with median |Δ p95| ≈ 1.1 px at 960 width. The mining config
records the width used).
All quantities are in **units of a 960-pixel frame width** (the ATD-12K
evaluation size), whatever the working size, so films of any resolution and
any flow width are comparable:

- ``flow_mean``, ``flow_p95``: mean and 95th percentile of |flow 1→3|, px at 960
  width (working-size flow × 960 / working width);
- ``occlusion``: fraction of frame1 pixels failing the forward–backward check
  (``occlusion_mask``: |f + b|² > 0.01(|f|² + |b|²) + β, or leaving the frame)
  with β = 8 px² at 960 width (= 2 px² at 480, 0.5 px² at 240: β scales with
  the square of the working width). β = 8 rather than 2 keeps DIS's noise in
  flat colour areas — everywhere in cel animation — from counting as occlusion;
- ``auto_difficulty`` (documented thresholds, ATD-12K's "amount of motion and of
  occlusion"): **hard** when p95 ≥ 40 px or occlusion ≥ 0.25; **easy** when
  p95 < 12 px and occlusion < 0.10; **medium** otherwise;
- RoI proposal: the bounding box, in full-resolution pixels of frame2, of what
  moves against the camera: pixels where frame3 differs from frame1 moved by the
  camera (median flow) by more than 25 (gray, 0–255, after a σ = 1.5 blur),
  cleaned by a 5×5 opening, all at ``ROI_WIDTH`` = 480 px wide (camera shift =
  median flow rescaled to that width). It covers each moving piece at both ends
  of its motion, hence also where it is in frame2. No local motion ⇒ the whole
  frame.

Where frame 2 lies between frames 1 and 3 (:func:`middle_position`), on gray frames
area-downscaled to at most ``MIDDLE_WIDTH`` = 240 px wide and blurred (σ = 1 px):

- ``position`` (0 = frame 1, 1 = frame 3): frame 2 projected onto the cross-fade
  from frame 1 to frame 3, pixel by pixel — s = (f2 − f1)/(f3 − f1), clipped to
  [0, 1] — averaged over the pixels that change between frames 1 and 3 (by more
  than ``CHANGING`` = 12 levels of 255). A piece moving at even speed gives 0.5:
  where it was, frame 2 already shows frame 3; where it will be, still frame 1.
  A frame 2 drawn a sixth of the way gives about 0.2;
- ``detour``: min(MAD(f1, f2), MAD(f2, f3)) / MAD(f1, f3) (mean absolute
  differences): above 1, frame 2 differs more from each end than the ends from
  each other (a shaking camera), and is not between them at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from atdkit.ops.optical_flow import dis_flow, occlusion_mask

FLOW_WIDTH = 240           # default DIS working width (px), at most
ROI_WIDTH = 480            # RoI mask working width (px), at most
REFERENCE_WIDTH = 960      # units of every reported quantity
EASY_P95, HARD_P95 = 12.0, 40.0
EASY_OCCLUSION, HARD_OCCLUSION = 0.10, 0.25
OCCLUSION_BETA = 8.0       # px² at REFERENCE_WIDTH
MOVING_DIFF = 25.0
MIDDLE_WIDTH = 240         # working width (px, at most) of middle_position
CHANGING = 12.0            # gray levels (0–255) between frames 1 and 3 that make a pixel count as changing


@dataclass(frozen=True)
class MotionStats:
    flow_mean: float        # px at 960 width
    flow_p95: float         # px at 960 width
    occlusion: float        # fraction of pixels, 0–1
    auto_difficulty: str    # easy | medium | hard
    roi: tuple[float, float, float, float]  # x, y, w, h in full-resolution pixels of frame2


def difficulty(flow_p95: float, occlusion: float) -> str:
    """easy | medium | hard from the 95th-percentile flow (px at 960 width) and the occlusion ratio."""
    if flow_p95 >= HARD_P95 or occlusion >= HARD_OCCLUSION:
        return "hard"
    if flow_p95 < EASY_P95 and occlusion < EASY_OCCLUSION:
        return "easy"
    return "medium"


def _fit_width(width: int, height: int, max_width: int) -> tuple[int, int]:
    """(w, h) at most ``max_width`` wide with the same aspect, never upscaled."""
    s = min(1.0, max_width / width)
    return max(8, int(round(width * s))), max(8, int(round(height * s)))


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.5)


def roi_proposal(frame1: np.ndarray, frame3: np.ndarray, flow13: np.ndarray,
                 full_size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Bounding box (x, y, w, h; full-resolution px of frame2) of the region moving against the camera.
    ``frame1`` and ``frame3`` share one size; ``flow13`` may be smaller (its median is rescaled)."""
    h, w = frame1.shape[:2]
    cx, cy = np.median(flow13.reshape(-1, 2), axis=0) * (w / flow13.shape[1])
    m = np.float32([[1, 0, cx], [0, 1, cy]])
    moved = cv2.warpAffine(_gray(frame1), m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = (cv2.absdiff(moved, _gray(frame3)) > MOVING_DIFF).astype(np.uint8)
    border = int(np.ceil(max(abs(cx), abs(cy)))) + 1  # pixels uncovered by the camera move are not motion
    mask[:border], mask[h - border:], mask[:, :border], mask[:, w - border:] = 0, 0, 0, 0
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    fw, fh = full_size
    if cv2.countNonZero(mask) < 0.0005 * h * w:
        return 0.0, 0.0, float(fw), float(fh)
    sx, sy = fw / w, fh / h
    x0, y0, bw, bh = cv2.boundingRect(mask)  # of the non-zero pixels
    return float(x0 * sx), float(y0 * sy), float(bw * sx), float(bh * sy)


def motion_stats(frame1: np.ndarray, frame3: np.ndarray, full_size: tuple[int, int] | None = None,
                 flow_width: int = FLOW_WIDTH) -> MotionStats:
    """Flow statistics, difficulty and RoI of a triplet from its outer frames (H×W×3 uint8 RGB, any size;
    ``full_size`` = (w, h) of the film's frames for the RoI, default the frames' own size; ``flow_width``:
    the DIS working width in px, at most)."""
    h, w = frame1.shape[:2]
    full_size = full_size or (w, h)
    roi_size = _fit_width(w, h, ROI_WIDTH)
    a = cv2.resize(frame1, roi_size, interpolation=cv2.INTER_AREA) if roi_size != (w, h) else frame1
    b = cv2.resize(frame3, roi_size, interpolation=cv2.INTER_AREA) if roi_size != (w, h) else frame3
    size = _fit_width(w, h, flow_width)
    fa = cv2.resize(frame1, size, interpolation=cv2.INTER_AREA) if size != (w, h) else frame1
    fb = cv2.resize(frame3, size, interpolation=cv2.INTER_AREA) if size != (w, h) else frame3
    f13 = dis_flow(fa, fb, "medium")
    f31 = dis_flow(fb, fa, "medium")
    scale = REFERENCE_WIDTH / size[0]  # working px → px at 960 width
    occluded = occlusion_mask(f13, f31, beta=OCCLUSION_BETA / scale**2)
    mag = cv2.magnitude(f13[..., 0], f13[..., 1]) * scale
    mean, p95, occ = float(mag.mean()), float(np.percentile(mag, 95)), float(occluded.mean())
    return MotionStats(mean, p95, occ, difficulty(p95, occ), roi_proposal(a, b, f13, full_size))


@dataclass(frozen=True)
class MiddlePosition:
    position: float         # 0 = frame 1 … 1 = frame 3; 0.5 = exactly between
    detour: float           # min(MAD 1–2, MAD 2–3) / MAD 1–3; > 1: frame 2 is off the way from 1 to 3


def _middle_gray(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    size = _fit_width(w, h, MIDDLE_WIDTH)
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA) if size != (w, h) else img
    gray = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)


def middle_position(frame1: np.ndarray, frame2: np.ndarray, frame3: np.ndarray) -> MiddlePosition:
    """Where frame 2 lies between frames 1 and 3 (H×W×3 RGB or H×W gray uint8, one size): see the
    module doc. Frames 1 and 3 with fewer than 20 changing pixels give position 0.5."""
    a, b, c = (_middle_gray(f) for f in (frame1, frame2, frame3))
    d13 = c - a
    changing = np.abs(d13) > CHANGING
    if np.count_nonzero(changing) < 20:
        position = 0.5
    else:
        position = float(np.clip((b[changing] - a[changing]) / d13[changing], 0.0, 1.0).mean())
    mad13 = float(np.abs(d13).mean())
    detour = min(float(np.abs(b - a).mean()), float(np.abs(c - b).mean())) / max(mad13, 1e-6)
    return MiddlePosition(position, detour)
