"""``dis-flow``: OpenCV DIS optical flow both ways, backward warping to any t, and
occlusion-aware blending (a classical, training-free motion-compensated baseline)."""

from __future__ import annotations

import numpy as np

from atdkit.methods.base import Interpolator, Option, TripletContext
from atdkit.ops.optical_flow import DIS_PRESETS, backward_warp, dis_flow, occlusion_mask

EPS = 1e-6


def intermediate_flows(flow_01: np.ndarray, flow_10: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Flows from time t back to frame 0 and on to frame 1, approximated from the two
    end-to-end flows under linear motion (Jiang et al. 2018, Super SloMo, eq. 4):
    F_t0 = −(1−t)·t·F_01 + t²·F_10,  F_t1 = (1−t)²·F_01 − t·(1−t)·F_10 (pixels, H×W×2)."""
    f_t0 = -(1.0 - t) * t * flow_01 + t * t * flow_10
    f_t1 = (1.0 - t) * (1.0 - t) * flow_01 - t * (1.0 - t) * flow_10
    return f_t0.astype(np.float32), f_t1.astype(np.float32)


class DISFlow(Interpolator):
    """DIS flow frame1↔frame3, both frames warped to t and blended with weights
    (1−t)·visibility₀ and t·visibility₁, where a frame's content is treated as not
    visible at t when the other frame's flow fails the forward–backward check there."""

    name = "dis-flow"
    license = "MIT (atdkit); OpenCV DIS (Apache-2.0)"
    description = "OpenCV DIS flow both ways, warp to t, occlusion-aware blend"
    options = (Option("preset", str, "medium", tuple(DIS_PRESETS), "OpenCV DIS preset"),)

    def __init__(self, device: str = "cpu", preset: str = "medium") -> None:
        super().__init__(device)
        self.preset = preset

    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        flow_01 = dis_flow(frame1, frame3, preset=self.preset)
        flow_10 = dis_flow(frame3, frame1, preset=self.preset)
        f_t0, f_t1 = intermediate_flows(flow_01, flow_10, t)
        a = frame1.astype(np.float32) / np.float32(255.0)
        b = frame3.astype(np.float32) / np.float32(255.0)
        warped_0 = backward_warp(a, f_t0)
        warped_1 = backward_warp(b, f_t1)
        # Pixels of frame0 that vanish in frame1 (and vice versa), carried to time t.
        gone_in_1 = backward_warp(occlusion_mask(flow_01, flow_10).astype(np.float32), f_t0)
        gone_in_0 = backward_warp(occlusion_mask(flow_10, flow_01).astype(np.float32), f_t1)
        w0 = (1.0 - t) * (1.0 - gone_in_0)
        w1 = t * (1.0 - gone_in_1)
        total = w0 + w1
        blended = (w0[..., None] * warped_0 + w1[..., None] * warped_1) / np.maximum(total, EPS)[..., None]
        plain = (1.0 - t) * warped_0 + t * warped_1
        out = np.where((total > EPS)[..., None], blended, plain)
        return np.clip(out, 0.0, 1.0).astype(np.float32)
