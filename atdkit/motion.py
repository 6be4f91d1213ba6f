"""Motion of a triplet from optical flow between frame1 and frame3: statistics, difficulty, RoI.

Flow is DIS (``atdkit.ops.optical_flow.dis_flow``, preset "medium") on frames
area-downscaled to at most ``FLOW_MAX_WIDTH`` pixels wide. Magnitudes are
reported in **pixels at a 960-pixel frame width** (the ATD-12K evaluation
size), so films of any resolution are comparable.

- ``flow_mean``, ``flow_p95``: mean and 95th percentile of |flow 1→3|;
- ``occlusion``: fraction of frame1 pixels failing the forward–backward check
  (``occlusion_mask`` with β = 2 px²: |f + b|² > 0.01(|f|² + |b|²) + 2, or
  leaving the frame; β = 2 rather than 0.5 keeps DIS's noise in flat colour
  areas — everywhere in cel animation — from counting as occlusion);
- ``auto_difficulty`` (documented thresholds, ATD-12K's "amount of motion and of
  occlusion"): **hard** when p95 ≥ 40 px or occlusion ≥ 0.25; **easy** when
  p95 < 12 px and occlusion < 0.10; **medium** otherwise;
- RoI proposal: the bounding box, in full-resolution pixels of frame2, of what
  moves against the camera: pixels where frame3 differs from frame1 moved by the
  camera (median flow) by more than 25 (gray, 0–255, after a σ = 1.5 blur),
  cleaned by a 5×5 opening. It covers each moving piece at both ends of its
  motion, hence also where it is in frame2. No local motion ⇒ the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from atdkit.ops.optical_flow import dis_flow, occlusion_mask

FLOW_MAX_WIDTH = 480
REFERENCE_WIDTH = 960
EASY_P95, HARD_P95 = 12.0, 40.0
EASY_OCCLUSION, HARD_OCCLUSION = 0.10, 0.25
OCCLUSION_BETA = 2.0
MOVING_DIFF = 25.0


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


def _flow_size(width: int, height: int) -> tuple[int, int]:
    s = min(1.0, FLOW_MAX_WIDTH / width)
    return max(8, int(round(width * s))), max(8, int(round(height * s)))


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.5)


def roi_proposal(frame1: np.ndarray, frame3: np.ndarray, flow13: np.ndarray,
                 full_size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Bounding box (x, y, w, h; full-resolution px of frame2) of the region moving against the camera.
    ``frame1``, ``frame3`` and ``flow13`` share the flow size."""
    h, w = flow13.shape[:2]
    cx, cy = np.median(flow13.reshape(-1, 2), axis=0)
    m = np.float32([[1, 0, cx], [0, 1, cy]])
    moved = cv2.warpAffine(_gray(frame1), m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = (cv2.absdiff(moved, _gray(frame3)) > MOVING_DIFF).astype(np.uint8)
    border = int(np.ceil(max(abs(cx), abs(cy)))) + 1  # pixels uncovered by the camera move are not motion
    mask[:border], mask[h - border:], mask[:, :border], mask[:, w - border:] = 0, 0, 0, 0
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero(mask)
    fw, fh = full_size
    if len(xs) < 0.0005 * h * w:
        return 0.0, 0.0, float(fw), float(fh)
    sx, sy = fw / w, fh / h
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return float(x0 * sx), float(y0 * sy), float((x1 - x0) * sx), float((y1 - y0) * sy)


def motion_stats(frame1: np.ndarray, frame3: np.ndarray, full_size: tuple[int, int] | None = None) -> MotionStats:
    """Flow statistics, difficulty and RoI of a triplet from its outer frames (H×W×3 uint8 RGB, any size;
    ``full_size`` = (w, h) of the film's frames for the RoI, default the frames' own size)."""
    h, w = frame1.shape[:2]
    full_size = full_size or (w, h)
    size = _flow_size(w, h)
    a = cv2.resize(frame1, size, interpolation=cv2.INTER_AREA) if size != (w, h) else frame1
    b = cv2.resize(frame3, size, interpolation=cv2.INTER_AREA) if size != (w, h) else frame3
    f13 = dis_flow(a, b, "medium")
    f31 = dis_flow(b, a, "medium")
    occluded = occlusion_mask(f13, f31, beta=OCCLUSION_BETA)
    mag = np.linalg.norm(f13, axis=2) * (REFERENCE_WIDTH / size[0])
    mean, p95, occ = float(mag.mean()), float(np.percentile(mag, 95)), float(occluded.mean())
    return MotionStats(mean, p95, occ, difficulty(p95, occ), roi_proposal(a, b, f13, full_size))
