"""Dataset roots for the annotation tests, built with the store API (real PNGs, real Parquet).

A module with a unique name (not conftest) so test files and benchmarks can import it
whatever other test folders are on sys.path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png


def moving_square(width: int, height: int, x: int, seed: int) -> np.ndarray:
    """H×W×3 uint8 frame: flat background with a square at column ``x``."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), rng.integers(150, 230, 3), np.uint8)
    s = max(4, height // 4)
    img[height // 3:height // 3 + s, x:x + s] = rng.integers(0, 100, 3)
    return img


PROPOSAL = (4.0, 18.0, 40.0, 24.0)  # frame2 pixels: covers the square of the 96×64 frames


def build_root(path, n: int = 4, size: tuple[int, int] = (96, 64), proposals: bool = True) -> DatasetRoot:
    """A dataset root of ``n`` triplets of ``size`` = (width, height); triplet i has an
    RoI proposal (prop_* columns) when ``proposals`` and i is even."""
    root = DatasetRoot.create(path, name="annotation-test")
    w, h = size
    rows = []
    for i in range(n):
        tid = f"film0-{i:04d}"
        for k in range(3):
            write_png(root.frames_dir(tid) / f"frame{k + 1}.png", moving_square(w, h, 5 + 4 * k + i, seed=i))
        row = {"triplet_id": tid, "film_id": "film0", "f1": 3 * i, "f2": 3 * i + 1, "f3": 3 * i + 2, "stride": 1,
               "width": w, "height": h, "auto_difficulty": ("easy", "medium", "hard")[i % 3], "source": "mined"}
        if proposals and i % 2 == 0:
            row.update(zip(("prop_x", "prop_y", "prop_w", "prop_h"), PROPOSAL))
        rows.append(row)
    root.triplet_parts.append(pd.DataFrame(rows), name="film0")
    root.materialize()
    return root
