"""Baselines: repeat and blend exactly, dis-flow recovers a translation at any t."""

import numpy as np
import pytest
from bench_fixtures import disk_frame

from atdkit.bench.metrics import psnr, truth_to_float
from atdkit.methods import base
from atdkit.baselines.dis_flow import intermediate_flows


def test_repeat_and_blend_are_exact():
    a, b = disk_frame(30), disk_frame(50)
    rep = base.load("repeat").interpolate(a, b, 0.5)
    assert rep.dtype == np.float32 and np.array_equal(rep, a.astype(np.float32) / 255)
    bl = base.load("blend").interpolate(a, b, 0.25)
    assert np.allclose(bl, 0.75 * a / 255.0 + 0.25 * b / 255.0, atol=1e-6)


@pytest.mark.parametrize("t", [0.25, 0.5, 0.75])
def test_dis_flow_places_a_moving_disk_at_t(t):
    size = (160, 96)
    a, b = disk_frame(40, size), disk_frame(60, size)   # 20 px motion (DIS loses a disk moving past its size)
    truth = disk_frame(int(round(40 + 20 * t)), size)
    pred = base.load("dis-flow").interpolate(a, b, t)
    assert pred.shape == a.shape and pred.dtype == np.float32 and 0 <= pred.min() and pred.max() <= 1
    blend = base.load("blend").interpolate(a, b, t)
    ours, naive = psnr(pred, truth_to_float(truth)), psnr(blend, truth_to_float(truth))
    assert ours > naive + 8, (ours, naive)


def test_intermediate_flows_of_linear_motion():
    f01 = np.full((4, 5, 2), [6.0, -2.0], np.float32)
    f10 = -f01
    f_t0, f_t1 = intermediate_flows(f01, f10, 0.25)
    assert np.allclose(f_t0, -0.25 * f01) and np.allclose(f_t1, 0.75 * f01)
