"""Pictures of SGM results: flows as colour (hue = direction, brightness = length) and segment maps."""

from __future__ import annotations

import cv2
import numpy as np


def flow_image(flow: np.ndarray, max_len: float | None = None) -> np.ndarray:
    """(2,H,W) flow in pixels → H×W×3 uint8 RGB; zero flow is black, ``max_len`` (default: the
    largest length) is full brightness."""
    u, v = flow[0].astype(np.float32), flow[1].astype(np.float32)
    length, angle = cv2.cartToPolar(u, v, angleInDegrees=True)
    top = float(length.max()) if max_len is None else max_len
    hsv = np.empty(u.shape + (3,), np.uint8)
    hsv[..., 0] = (angle / 2).astype(np.uint8)  # OpenCV hue range 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(255 * length / max(top, 1e-6), 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def segment_image(labels: np.ndarray, matched: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Label map → random colours per segment; segments not ``matched`` (when given) are white."""
    palette = np.random.default_rng(seed).integers(0, 256, (int(labels.max()) + 1, 3), dtype=np.uint8)
    if matched is not None:
        palette[~matched] = 255
    return palette[labels]
