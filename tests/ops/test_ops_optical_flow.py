"""Optical-flow helpers: the forward–backward occlusion check, pixels matched after motion compensation."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from atdkit.ops.optical_flow import backward_warp, dis_flow, matched_pixels, occlusion_mask


def _occlusion_in_numpy(flow_ab: np.ndarray, flow_ba: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """The check written as numpy array expressions (what the kernel must reproduce bit for bit)."""
    back = backward_warp(flow_ba, flow_ab)
    lhs = np.sum((flow_ab + back) ** 2, axis=2)
    rhs = alpha * (np.sum(flow_ab**2, axis=2) + np.sum(back**2, axis=2)) + beta
    h, w = flow_ab.shape[:2]
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    x2, y2 = gx + flow_ab[..., 0], gy + flow_ab[..., 1]
    return (lhs > rhs) | (x2 < 0) | (x2 > w - 1) | (y2 < 0) | (y2 > h - 1)


@pytest.mark.parametrize("alpha,beta", [(0.01, 0.5), (0.02, 2.0), (0.05, 0.0013)])
def test_occlusion_mask_is_the_numpy_expression_bit_for_bit(alpha, beta):
    rng = np.random.default_rng(7)
    for _ in range(40):  # noisy near-consistent flows: many pixels sit close to the threshold
        h, w = rng.integers(8, 160, 2)
        f = (rng.standard_normal((h, w, 2)) * rng.uniform(0.1, 30)).astype(np.float32)
        b = (-f + rng.standard_normal((h, w, 2)) * rng.uniform(0.01, 3)).astype(np.float32)
        mask = occlusion_mask(f, b, alpha, beta)
        assert mask.dtype == bool and mask.shape == (h, w)
        assert np.array_equal(mask, _occlusion_in_numpy(f, b, alpha, beta))
    # On the threshold itself only float32 rounding decides, so any other order or precision of the
    # operations flips pixels. A 1-px flow makes the backward warp exact: b(x) = flow_ba(x + 1).
    h, w = 100, 160
    f = np.zeros((h, w, 2), np.float32)
    f[..., 0] = 1.0
    angle = rng.uniform(0, 2 * np.pi, (h, w))
    v = np.stack([np.cos(angle), np.sin(angle)], axis=2)
    # b = −f + s·v with |s·v|² = alpha·(|f|² + |b|²) + beta: (1 − alpha)·s² + 2·alpha·(f·v)·s − 2·alpha − beta = 0
    fv = v[..., 0]
    s = (-alpha * fv + np.sqrt((alpha * fv) ** 2 + (1 - alpha) * (2 * alpha + beta))) / (1 - alpha)
    s *= 1 + rng.uniform(-1e-6, 1e-6, (h, w))
    b = -f + s[..., None] * v
    flow_ba = np.zeros_like(f)
    flow_ba[:, 1:] = b[:, :-1]
    mask = occlusion_mask(f, flow_ba, alpha, beta)
    assert 0.2 < mask[:, :-1].mean() < 0.8  # really on the edge
    assert np.array_equal(mask, _occlusion_in_numpy(f, flow_ba, alpha, beta))


def test_occlusion_mask_of_real_flows():
    from atdkit.video import open_video

    frames = list(open_video(Path(os.environ["ATDKIT_TESTDATA"]) / "pigs_in_a_polka.gif"))
    a, b = frames[10], frames[14]  # the 1943 cel cartoon: a character moving over a still background
    f, back = dis_flow(a, b), dis_flow(b, a)
    assert np.array_equal(occlusion_mask(f, back, beta=0.5), _occlusion_in_numpy(f, back, 0.01, 0.5))


def test_occlusion_marks_inconsistent_and_outgoing_pixels_only():
    h, w = 40, 60
    f = np.zeros((h, w, 2), np.float32)
    f[..., 0] = 3.0                              # everything moves 3 px right…
    b = -f.copy()                                # …and back: consistent
    b[10:20, 20:30] = 5.0                        # except where the backward flow disagrees
    mask = occlusion_mask(f, b)
    assert mask[:, w - 3:].all()                 # leaves the frame
    assert mask[10:20, 17:27].all()              # lands in the disagreeing block (x + 3 ∈ [20, 30))
    assert mask.sum() == h * 3 + 10 * 10


def test_matched_pixels_follow_motion_and_not_a_change_of_picture():
    rng = np.random.default_rng(4)
    picture = cv2.GaussianBlur(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8), (0, 0), 2.5)
    moved = np.roll(picture, (2, 5), axis=(0, 1))                 # everything moved: still matched
    assert matched_pixels(picture, moved).mean() > 0.9
    other = cv2.GaussianBlur(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8), (0, 0), 2.5)
    assert matched_pixels(picture, other).mean() < 0.2           # another picture: not matched
    tinted = picture.copy()
    tinted[:, :80, 2] = np.clip(tinted[:, :80, 2].astype(int) + 12, 0, 255)  # one channel off by 12 on half
    share = matched_pixels(picture, tinted, tolerance=5).mean()
    assert 0.4 < share < 0.6                                        # every channel must be within tolerance
    gray = matched_pixels(picture[..., 0].copy(), moved[..., 0].copy())
    assert gray.shape == (90, 160) and gray.mean() > 0.9
