"""Classical optical flow and flow utilities on numpy images (OpenCV, CPU).

Conventions: a flow is an H×W×2 float32 array of displacements in pixels,
channel 0 = x (columns), channel 1 = y (rows); ``flow_ab[y, x]`` maps pixel
(x, y) of image a to (x + u, y + v) in image b.
"""

from __future__ import annotations

import cv2
import numpy as np

from atdkit.ops.jit import exact_kernel

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
    flow_ab = np.ascontiguousarray(flow_ab, dtype=np.float32)
    back = np.ascontiguousarray(backward_warp(flow_ba, flow_ab), dtype=np.float32)
    out = np.empty(flow_ab.shape[:2], bool)
    _forward_backward_fails(flow_ab, back, alpha, beta, out)
    return out


@exact_kernel
def _forward_backward_fails(flow_ab: np.ndarray, back: np.ndarray, alpha: float, beta: float,
                            out: np.ndarray) -> None:
    """out = |f + b|² > alpha·(|f|² + |b|²) + beta (float32, as numpy evaluates it on float32 flows)
    or f leads outside the frame (x + u ∉ [0, w − 1] or y + v ∉ [0, h − 1], in float64)."""
    h, w = out.shape
    a, b = np.float32(alpha), np.float32(beta)
    for i in range(h):
        for j in range(w):
            u, v, p, q = flow_ab[i, j, 0], flow_ab[i, j, 1], back[i, j, 0], back[i, j, 1]
            su, sv = u + p, v + q
            fails = su * su + sv * sv > a * ((u * u + v * v) + (p * p + q * q)) + b
            x, y = j + np.float64(u), i + np.float64(v)
            out[i, j] = fails or x < 0 or x > w - 1 or y < 0 or y > h - 1




def matched_pixels(a: np.ndarray, b: np.ndarray, tolerance: float = 5.0, preset: str = "fast") -> np.ndarray:
    """Which of b's pixels a reproduces after motion compensation (H×W bool): a (H×W×3 RGB uint8, or
    H×W gray uint8, the same size as b) is warped onto b by the DIS flow b → a (computed on gray), and a
    pixel counts when it is within ``tolerance`` (0–255 scale) of b in every channel. Inside one shot
    most pixels can be matched, however they moved; across a cut few can (comparing colours keeps flat
    areas of unrelated shots that share a luma from matching)."""
    flow = dis_flow(b, a, preset)
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(a, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    within = np.full(b.shape[2] if b.ndim == 3 else 1, tolerance, np.float64)
    return cv2.inRange(cv2.absdiff(warped, b), np.zeros_like(within), within) > 0  # every channel within
