"""Training-free baselines that need no motion estimate: ``repeat`` and ``blend``."""

from __future__ import annotations

import numpy as np

from atdkit.methods.base import Interpolator, TripletContext


class Repeat(Interpolator):
    """Returns frame1 unchanged (a lower bound every method should beat)."""

    name = "repeat"
    license = "MIT (atdkit)"
    description = "copy frame1 (nearest-in-time lower bound)"

    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        return frame1.astype(np.float32) / np.float32(255.0)


class Blend(Interpolator):
    """Cross-fade: (1 − t)·frame1 + t·frame3."""

    name = "blend"
    license = "MIT (atdkit)"
    description = "linear cross-fade of frame1 and frame3"

    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        a = frame1.astype(np.float32) / np.float32(255.0)
        b = frame3.astype(np.float32) / np.float32(255.0)
        return (1.0 - t) * a + t * b
