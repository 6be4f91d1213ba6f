"""A contact sheet of mined triplets: frame1 | frame2 (RoI proposal in red) | frame3 per row."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png


def write_preview(root: str | os.PathLike | DatasetRoot, out: str | os.PathLike, rows: int = 6,
                  row_height: int = 160) -> Path | None:
    """Write the sheet for up to ``rows`` triplets spread over the dataset; None when it has none."""
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    triplets = root.triplets().sort_values("triplet_id")
    if not len(triplets):
        return None
    picks = triplets.iloc[np.linspace(0, len(triplets) - 1, min(rows, len(triplets))).round().astype(int)]
    lines = []
    for t in picks.itertuples():
        frames = list(root.read_frames(t.triplet_id))
        if not np.isnan(t.prop_x):
            x, y, w, h = (int(round(v)) for v in (t.prop_x, t.prop_y, t.prop_w, t.prop_h))
            frames[1] = frames[1].copy()
            cv2.rectangle(frames[1], (x, y), (x + w - 1, y + h - 1), (255, 0, 0), max(2, frames[1].shape[1] // 240))
        scale = row_height / frames[0].shape[0]
        small = [cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for f in frames]
        line = np.concatenate([np.pad(s, ((2, 2), (2, 2), (0, 0)), constant_values=255) for s in small], axis=1)
        label = f"{t.triplet_id}  ssim {t.ssim_12:.2f}/{t.ssim_23:.2f}/{t.ssim_13:.2f}  {t.auto_difficulty}"
        strip = np.full((22, line.shape[1], 3), 255, np.uint8)
        cv2.putText(strip, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        lines.append(np.concatenate([strip, line], axis=0))
    width = max(line.shape[1] for line in lines)
    sheet = np.concatenate([np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)), constant_values=255)
                            for line in lines], axis=0)
    return write_png(out, sheet)
