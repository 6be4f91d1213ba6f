"""Resizing frames the way the official ATD-12K evaluation loads them."""

from __future__ import annotations

import numpy as np
from PIL import Image


def resize_lanczos(img: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize H×W×3 uint8 to ``size`` = (width, height) with PIL Lanczos (the official loader's
    ``Image.ANTIALIAS``); returned unchanged when ``size`` is None or already the frame's size."""
    if size is None or (img.shape[1], img.shape[0]) == tuple(size):
        return img
    return np.asarray(Image.fromarray(img).resize(tuple(size), Image.LANCZOS))
