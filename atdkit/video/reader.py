"""The reader interface every decoder backend implements, and the checks shared by all.

A reader exposes the film's metadata (``fps``, ``n_frames``, ``width``,
``height``, ``duration``), iterates its frames in order as H×W×3 uint8 RGB (the
fast path: sequential decoding), and reads single frames by 0-based index
(random access). Every failure is a :class:`~atdkit.errors.BadInput` whose
message names the file and the problem in one line.
"""

from __future__ import annotations

import functools
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from atdkit.errors import BadInput, clean_message

# Smallest frame side we accept: the 7×7 SSIM window and optical flow need room.
MIN_SIDE = 32
# Largest relative deviation of a frame interval from the nominal 1/fps before a
# film counts as variable frame rate (container timestamps are rounded to ticks).
VFR_TOLERANCE = 0.25


def check_file(path: str | os.PathLike) -> Path:
    """The path as a readable, non-empty regular file, or BadInput."""
    p = Path(path)
    if not p.exists():
        raise BadInput(f"{p}: file not found")
    if not p.is_file():
        raise BadInput(f"{p}: not a regular file")
    if p.stat().st_size == 0:
        raise BadInput(f"{p}: empty file (0 bytes), not a video")
    return p


def check_frame_intervals(path: Path, times: Sequence[float] | np.ndarray, fps: float) -> list[int]:
    """The frame gaps of a constant-rate film: indices i whose interval from frame i-1 is a whole number
    (≥ 2) of nominal intervals (dropped frames), when such gaps are few (at most 1 % of the intervals,
    at least one allowed). Raise BadInput when the presentation times (seconds) are otherwise not a
    constant frame rate."""
    if len(times) < 3 or not fps or fps <= 0:
        return []
    dt = np.diff(np.asarray(times, dtype=np.float64))
    nominal = 1.0 / fps
    steps = np.rint(dt / nominal)
    regular = np.abs(dt - nominal) <= VFR_TOLERANCE * nominal
    dropped = ~regular & (steps >= 2) & (np.abs(dt - steps * nominal) <= VFR_TOLERANCE * nominal)
    if (~regular & ~dropped).any() or dropped.sum() > max(1, 0.01 * len(dt)):
        raise BadInput(f"{path}: variable frame rate (frame intervals {dt.min() * 1000:.1f}–{dt.max() * 1000:.1f} ms, "
                       f"nominal {nominal * 1000:.1f} ms); re-encode at a constant rate first")
    return [int(i) + 1 for i in np.flatnonzero(dropped)]


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """Any decoded frame (H×W gray, H×W×3, H×W×4) → contiguous H×W×3 uint8 RGB."""
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    elif frame.shape[2] == 4:
        frame = frame[:, :, :3]
    return np.ascontiguousarray(frame, dtype=np.uint8)


def is_grayscale(frame: np.ndarray) -> bool:
    """True when an RGB frame carries no colour (R == G == B everywhere, up to ±2 codec rounding)."""
    f = frame.astype(np.int16)
    return bool(np.abs(f[..., 0] - f[..., 1]).max() <= 2 and np.abs(f[..., 1] - f[..., 2]).max() <= 2)


class VideoReader(ABC):
    """A decoded video stream. Subclasses set the metadata attributes in ``__init__``."""

    backend: str = ""

    def __init__(self, path: str | os.PathLike):
        self.path = check_file(path)
        self.fps: float = 0.0
        self.n_frames: int = 0
        self.width: int = 0
        self.height: int = 0
        self.gaps: list[int] = []  # frames preceded by missing frames (see check_frame_intervals)

    @property
    def duration(self) -> float:
        """Seconds: n_frames / fps."""
        return self.n_frames / self.fps if self.fps else 0.0

    @property
    def notes(self) -> list[str]:
        """Things about the film a user should know that are not errors (odd sizes, grayscale)."""
        out = []
        if self.width % 2 or self.height % 2:
            out.append(f"odd dimensions {self.width}×{self.height} (kept as is)")
        if getattr(self, "_grayscale", False):
            out.append("grayscale source (frames replicated to RGB)")
        if self.gaps:
            out.append(f"{len(self.gaps)} gap(s) of missing frames, before frame(s) "
                       f"{', '.join(map(str, self.gaps[:10]))}: mined as constant-rate stretches, no triplet spans a gap")
        duration, sar = self.stream_facts
        if duration and self.fps and abs(round(duration * self.fps) - self.n_frames) > max(2, 0.02 * self.n_frames):
            out.append(f"truncated or damaged? the container declares {duration:.2f} s "
                       f"(~{round(duration * self.fps)} frames at {self.fps:.3f} fps), the stream holds "
                       f"{self.n_frames} frames: the {self.n_frames} that decode were mined")
        if sar is not None:
            out.append(f"sample aspect ratio {sar.numerator}:{sar.denominator} (display "
                       f"{round(self.width * sar)}×{self.height}): frames are stored at the coded size "
                       f"{self.width}×{self.height}, not resampled (a resampled frame 2 would no longer be the "
                       "ground truth the encoder gave); scale the width by the ratio to view them")
        return out

    @functools.cached_property
    def stream_facts(self) -> tuple[float | None, Fraction | None]:
        """(container duration in s, sample aspect ratio) from the headers; (None, None) if unreadable."""
        from atdkit.video.probe import stream_facts

        try:
            return stream_facts(self.path)
        except Exception:  # noqa: BLE001 - facts for the notes only; reading errors are the backends' to report
            return None, None

    @property
    def sample_aspect(self) -> str | None:
        """The stream's sample aspect ratio as ``"num:den"``; None for square pixels."""
        sar = self.stream_facts[1]
        return None if sar is None else f"{sar.numerator}:{sar.denominator}"

    def _validate(self) -> None:
        """Shared checks after a backend has read the metadata."""
        if self.n_frames <= 0:
            raise BadInput(f"{self.path}: zero frames (no decodable video frames)")
        if min(self.width, self.height) < MIN_SIDE:
            raise BadInput(f"{self.path}: frame size {self.width}×{self.height} too small (min side {MIN_SIDE} px)")
        if not self.fps or not np.isfinite(self.fps) or self.fps <= 0:
            raise BadInput(f"{self.path}: no usable frame rate in the stream")

    def _stream_error(self, index: int, exc: BaseException | None = None) -> BadInput:
        why = f" ({type(exc).__name__}: {clean_message(exc)})" if exc else ""
        return BadInput(f"{self.path}: decoding failed at frame {index} of {self.n_frames} "
                        f"(truncated or corrupt stream){why}")

    def __iter__(self) -> Iterator[np.ndarray]:
        """All frames in order as H×W×3 uint8 RGB; BadInput when the stream breaks or ends early."""
        return self.frames()

    def frames(self, start: int = 0) -> Iterator[np.ndarray]:
        """Frames ``start``, ``start + 1``, … to the end, in order, as H×W×3 uint8 RGB: the same pixels
        as iterating from frame 0 (decoding resumes at the keyframe before ``start``); BadInput when the
        stream breaks or ends early."""
        if not 0 <= start < self.n_frames:
            raise IndexError(f"start frame {start} out of range (0..{self.n_frames - 1})")
        count = start
        for frame in self._iter_frames(start):
            if count >= self.n_frames:
                break
            frame = to_rgb(frame)
            if frame.shape[:2] != (self.height, self.width):
                raise BadInput(f"{self.path}: frame {count} is {frame.shape[1]}×{frame.shape[0]}, "
                               f"expected {self.width}×{self.height} (resolution changes mid-stream)")
            if count == start:
                self._grayscale = is_grayscale(frame)
            yield frame
            count += 1
        if count < self.n_frames:
            raise self._stream_error(count)

    def __len__(self) -> int:
        return self.n_frames

    def __getitem__(self, index: int) -> np.ndarray:
        if not -self.n_frames <= index < self.n_frames:
            raise IndexError(f"frame {index} out of range (0..{self.n_frames - 1})")
        return to_rgb(self._frame(index % self.n_frames))

    @abstractmethod
    def _iter_frames(self, start: int) -> Iterator[np.ndarray]:
        """Decoded frames in order from frame ``start`` on (any of the layouts :func:`to_rgb` accepts)."""

    @abstractmethod
    def _frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0 ≤ index < n_frames), decoded accurately (not the nearest keyframe)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release decoder resources."""

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.path)!r}, {self.width}×{self.height}, "
                f"{self.fps:.3f} fps, {self.n_frames} frames)")
