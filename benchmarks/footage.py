"""Footage for the benchmarks: the small real clips in ``../shared/testdata`` beside the checkout
(or ``$ATDKIT_TESTDATA``), and synthetic films kept between runs in
``$ATDKIT_CACHE/benchmark-films`` (default ``~/.cache/atdkit/benchmark-films``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

TESTDATA = Path(os.environ.get("ATDKIT_TESTDATA") or Path(__file__).resolve().parents[2] / "shared" / "testdata")
PIGS = TESTDATA / "pigs_in_a_polka.gif"            # 1943 cel cartoon, 30 frames, 314×273 grayscale
BUNNY = TESTDATA / "big_buck_bunny_432_433.webm"   # 3-D film, VP8 1280×720, 24 frames
FILMS = Path(os.environ.get("ATDKIT_CACHE") or Path.home() / ".cache" / "atdkit") / "benchmark-films"


def synthetic_film(seconds: float, width: int, height: int, seed: int, style: str = "cel") -> Path:
    """``atdkit synth`` film of these parameters, synthesized on first use and kept (a film of the same
    parameters is the same film: synthesis is deterministic), so reruns measure only what they time."""
    from atdkit.synth import synthesize, truth_path

    path = FILMS / f"{style}-{width}x{height}-{seconds:g}s-seed{seed}.mp4"
    if not (path.is_file() and truth_path(path).is_file()):
        FILMS.mkdir(parents=True, exist_ok=True)
        print(f"synthesizing {path} (once) …", flush=True)
        synthesize(path, length_s=seconds, width=width, height=height, seed=seed, style=style, progress=True)
    return path


def pigs_pair(width: int = 960, height: int = 540, frames: tuple[int, int] = (10, 12)) -> tuple[np.ndarray, np.ndarray]:
    """Two frames of the cel cartoon as RGB uint8, resized with Lanczos to ``width``×``height``."""
    from PIL import Image

    gif = Image.open(PIGS)
    out = []
    for i in frames:
        gif.seek(i)
        out.append(np.asarray(gif.convert("RGB").resize((width, height), Image.LANCZOS)))
    return out[0], out[1]
