"""What the distributed tests run on Dask workers (importable there: on the workers' PYTHONPATH)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from atdkit.methods.base import Interpolator

LOADS = "ATDKIT_TEST_LOADS"  # folder where each model construction leaves a file named by its process


class SlowBlend(Interpolator):
    """The 50/50 blend taking ``delay`` seconds a triplet; marks in ``$ATDKIT_TEST_LOADS`` (when set)
    each construction (``load-PID-N``) and each triplet begun (``begun-PID-TID``)."""

    name = "slow-blend"

    def __init__(self, delay: float = 0.4, device: str = "cpu"):
        super().__init__(device)
        self.delay = delay

    def interpolate(self, frame1, frame3, t=0.5, *, context=None):
        marks = os.environ.get(LOADS)
        if marks and context is not None:
            Path(marks, f"begun-{os.getpid()}-{context.triplet_id}").touch()
        time.sleep(self.delay)
        return (frame1.astype(np.float32) * (1 - t) + frame3.astype(np.float32) * t) / 255.0


def sleep_then_square(x: int) -> int:
    time.sleep(0.5)
    return x * x


def thread_settings(_):
    import cv2
    import torch

    return os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads(), cv2.getNumThreads(), os.cpu_count()
