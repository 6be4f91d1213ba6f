"""Helpers for the mining tests: where the real clips are, and writers of odd or broken films."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd


TESTDATA = Path(os.environ["ATDKIT_TESTDATA"])  # set by tests/conftest.py
GIF = TESTDATA / "pigs_in_a_polka.gif"
WEBM = TESTDATA / "big_buck_bunny_432_433.webm"

SMALL = {"length_s": 2.5, "fps": 24, "width": 320, "height": 180}


SKIN, INK = (250, 220, 195), (30, 20, 20)


def close_up(camera=(0.0, 0.0), eye_open: float = 1.0, width: int = 480, height: int = 270) -> np.ndarray:
    """A cel close-up of a face (flat colours, dark outlines), the camera moved by ``camera`` (px) and the
    eyes open by ``eye_open`` (0–1): RGB uint8."""
    w, h = width, height
    big = np.zeros((2 * h, 2 * w, 3), np.uint8)
    big[:] = SKIN
    cx, cy = w + camera[0], h + camera[1]
    cv2.ellipse(big, (int(cx), int(cy - 0.8 * h)), (int(1.1 * w), int(0.55 * h)), 0, 0, 360, (60, 40, 90), -1,
                cv2.LINE_AA)  # hair
    for ex in (-0.3 * w, 0.3 * w):
        c, ax = (int(cx + ex), int(cy - 0.05 * h)), (int(0.14 * w), max(2, int(0.2 * h * eye_open)))
        cv2.ellipse(big, c, ax, 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(big, c, (ax[0] // 2, max(1, int(ax[1] * 0.8))), 0, 0, 360, (60, 110, 200), -1, cv2.LINE_AA)
        cv2.ellipse(big, c, ax, 0, 0, 360, INK, 3, cv2.LINE_AA)
    cv2.ellipse(big, (int(cx), int(cy + 0.4 * h)), (int(0.12 * w), int(0.07 * h)), 0, 0, 180, INK, 3, cv2.LINE_AA)
    return big[h // 2:h // 2 + h, w // 2:w // 2 + w].copy()


def hand_over(img: np.ndarray, x: float) -> np.ndarray:
    """``img`` with a large hand (a palm and four fingers, skin over skin) centred at ``x`` × its width."""
    out = img.copy()
    h, w = img.shape[:2]
    cx, cy, ax, col = x * w, 0.6 * h, (int(0.3 * w), int(0.55 * h)), (240, 200, 170)
    for k in range(4):
        c, a = (int(cx - 0.6 * ax[0] + 0.4 * k * ax[0]), int(cy - 0.9 * ax[1])), (int(0.16 * ax[0]), int(0.5 * ax[1]))
        cv2.ellipse(out, c, a, 0, 0, 360, col, -1, cv2.LINE_AA)
        cv2.ellipse(out, c, a, 0, 0, 360, INK, 3, cv2.LINE_AA)
    cv2.ellipse(out, (int(cx), int(cy)), ax, 15, 0, 360, col, -1, cv2.LINE_AA)
    cv2.ellipse(out, (int(cx), int(cy)), ax, 15, 0, 360, INK, 3, cv2.LINE_AA)
    return out


def push_in(n: int, rate: float = 0.006, width: int = 320, height: int = 180) -> list[np.ndarray]:
    """A slow camera push-in over a painted close-up (a face, rings drawn over it): frame i is the picture
    scaled by (1 + ``rate``)^i about its centre. Every frame is a new picture, yet frames 2 of triplets a
    few frames apart look alike (their 64-bit pHashes are within a few bits)."""
    w, h = width, height
    big = close_up(width=2 * w, height=2 * h)
    rng = np.random.default_rng(0)
    for _ in range(60):
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.circle(big, (int(rng.integers(0, 2 * w)), int(rng.integers(0, 2 * h))), int(rng.integers(4, 20)),
                   colour, 2, cv2.LINE_AA)
    out = []
    for i in range(n):
        zoom = cv2.getRotationMatrix2D((w, h), 0, (1 + rate) ** i)
        out.append(cv2.resize(cv2.warpAffine(big, zoom, (2 * w, 2 * h), flags=cv2.INTER_LINEAR), (w, h),
                              interpolation=cv2.INTER_AREA))
    return out


def load_truth_json(film: Path) -> dict:
    return json.loads(film.with_name(film.stem + ".truth.json").read_text())


def write_vfr(path: Path, frames: list[np.ndarray]) -> Path:
    """Matroska with irregular frame times (42 ms, then a 125 ms gap every third frame)."""
    c = av.open(str(path), "w")
    s = c.add_stream("mpeg4", rate=24)
    s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
    s.time_base = s.codec_context.time_base = Fraction(1, 1000)
    t = 0
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="rgb24")
        vf.pts, vf.time_base = t, Fraction(1, 1000)
        t += 42 if i % 3 else 125
        for p in s.encode(vf):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


def write_zero_frames(path: Path) -> Path:
    """Matroska with a video stream that holds no frame (and a little audio)."""
    c = av.open(str(path), "w")
    v = c.add_stream("mpeg4", rate=24)
    v.width, v.height, v.pix_fmt = 320, 180, "yuv420p"
    a = c.add_stream("pcm_s16le", rate=8000)
    fr = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
    fr.sample_rate, fr.pts = 8000, 0
    for p in a.encode(fr):
        c.mux(p)
    for p in a.encode():
        c.mux(p)
    c.close()
    return path


def write_gray(path: Path, frames: list[np.ndarray]) -> Path:
    """A lossless grayscale (FFV1, pix_fmt gray) film."""
    c = av.open(str(path), "w")
    s = c.add_stream("ffv1", rate=24)
    s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "gray"
    for f in frames:
        for p in s.encode(av.VideoFrame.from_ndarray(f.mean(axis=2).astype(np.uint8), format="gray")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


def write_tiny(path: Path) -> Path:
    c = av.open(str(path), "w")
    s = c.add_stream("mpeg4", rate=24)
    s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
    for i in range(5):
        for p in s.encode(av.VideoFrame.from_ndarray(np.full((16, 16, 3), i * 40, np.uint8), format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


def dataset_snapshot(root_path: Path) -> dict:
    """A dataset root's tables (sorted, without timestamps) and every frame file's bytes, for comparisons."""
    from atdkit.store.dataset import DatasetRoot

    root = DatasetRoot.open(root_path)
    films = root.films().drop(columns=["mined_at"]).sort_values("film_id").reset_index(drop=True)
    triplets = root.triplets().sort_values("triplet_id").reset_index(drop=True)
    cands = root.candidates().sort_values(["film_id", "f1", "stride", "reason"]).reset_index(drop=True)
    frames = {p.relative_to(root_path): p.read_bytes() for p in sorted((root_path / "frames").rglob("*"))
              if p.is_file()}
    return {"films": films, "triplets": triplets, "candidates": cands, "frames": frames}


def _pixel_difference(a: bytes, b: bytes) -> str:
    x, y = (cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_UNCHANGED).astype(np.int16) for d in (a, b))
    if x.shape != y.shape:
        return f"shapes {x.shape} vs {y.shape}"
    rows, cols = np.nonzero(np.abs(x - y).max(axis=-1))
    if not len(rows):
        return "same pixels, other PNG bytes"
    return (f"{len(rows)} pixels differ (max {np.abs(x - y).max()}) in rows {rows.min()}–{rows.max()}, "
            f"columns {cols.min()}–{cols.max()}")


def assert_same_dataset(got: dict, want: dict) -> None:
    """Two :func:`dataset_snapshot` s are equal: the tables, then every frame file, byte for byte
    (a frame that differs is described in pixels)."""
    for name in ("films", "triplets", "candidates"):
        pd.testing.assert_frame_equal(got[name].drop(columns=["frame_sha256"], errors="ignore"),
                                      want[name].drop(columns=["frame_sha256"], errors="ignore"))
    assert got["frames"].keys() == want["frames"].keys()
    differ = {str(k): _pixel_difference(got["frames"][k], want["frames"][k])
              for k in want["frames"] if got["frames"][k] != want["frames"][k]}
    assert not differ, f"frame files differ: {differ}"
    pd.testing.assert_series_equal(got["triplets"]["frame_sha256"], want["triplets"]["frame_sha256"])

