"""Real footage for the benchmarks: the small clips in ``../shared/testdata`` beside the
checkout, or ``$ATDKIT_TESTDATA``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

TESTDATA = Path(os.environ.get("ATDKIT_TESTDATA") or Path(__file__).resolve().parents[2] / "shared" / "testdata")
PIGS = TESTDATA / "pigs_in_a_polka.gif"            # 1943 cel cartoon, 30 frames, 314×273 grayscale
BUNNY = TESTDATA / "big_buck_bunny_432_433.webm"   # 3-D film, VP8 1280×720, 24 frames


def pigs_pair(width: int = 960, height: int = 540, frames: tuple[int, int] = (10, 12)) -> tuple[np.ndarray, np.ndarray]:
    """Two frames of the cel cartoon as RGB uint8, resized with Lanczos to ``width``×``height``."""
    from PIL import Image

    gif = Image.open(PIGS)
    out = []
    for i in frames:
        gif.seek(i)
        out.append(np.asarray(gif.convert("RGB").resize((width, height), Image.LANCZOS)))
    return out[0], out[1]
