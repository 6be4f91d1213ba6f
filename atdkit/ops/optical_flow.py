"""Classical optical flow and flow utilities on numpy images (OpenCV, CPU).

Conventions: a flow is an H×W×2 float32 array of displacements in pixels,
channel 0 = x (columns), channel 1 = y (rows); ``flow_ab[y, x]`` maps pixel
(x, y) of image a to (x + u, y + v) in image b.
"""

from __future__ import annotations

import cv2
import numpy as np

DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def to_gray(img: np.ndarray) -> np.ndarray:
    """H×W×3 RGB uint8 (or H×W gray) → H×W uint8 gray."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def dis_flow(a: np.ndarray, b: np.ndarray, preset: str = "medium", init: np.ndarray | None = None,
             **params: float | int) -> np.ndarray:
    """DIS optical flow from ``a`` to ``b`` (RGB or gray uint8) → H×W×2 float32 pixels.

    ``params`` set DIS attributes by their OpenCV names without the ``set``
    prefix (e.g. ``FinestScale=0``, ``PatchSize=8``, ``UseSpatialPropagation=True``).
    ``init`` (H×W×2) is used as the initial flow (OpenCV's DIS takes a
    same-size float32 2-channel flow argument as its initialisation).
    """
    dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])
    for key, value in params.items():
        getattr(dis, f"set{key}")(value)
    flow = None if init is None else np.array(init, dtype=np.float32, copy=True, order="C")
    return dis.calc(to_gray(a), to_gray(b), flow)


def backward_warp(img: np.ndarray, flow: np.ndarray, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """Sample ``img`` at (x + u, y + v) for every pixel (bilinear): out[y, x] = img[y + v, x + u]."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=border)


def occlusion_mask(flow_ab: np.ndarray, flow_ba: np.ndarray, alpha: float = 0.01, beta: float = 0.5) -> np.ndarray:
    """Pixels of a that fail the forward–backward check (Sundaram et al. 2010):
    |f + b|² > alpha·(|f|² + |b|²) + beta, or that leave the frame."""
    back = backward_warp(flow_ba, flow_ab)
    lhs = np.sum((flow_ab + back) ** 2, axis=2)
    rhs = alpha * (np.sum(flow_ab**2, axis=2) + np.sum(back**2, axis=2)) + beta
    h, w = flow_ab.shape[:2]
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    x2, y2 = gx + flow_ab[..., 0], gy + flow_ab[..., 1]
    outside = (x2 < 0) | (x2 > w - 1) | (y2 < 0) | (y2 > h - 1)
    return (lhs > rhs) | outside
