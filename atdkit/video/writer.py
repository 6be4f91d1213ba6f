"""Writing films: H.264 (libx264) in MP4 through PyAV, deterministic for a given input."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from atdkit.errors import BadInput
from atdkit.store.atomic import atomic_path


def check_encodable_size(width: int, height: int) -> None:
    """H.264 in yuv420p needs even sides; refuse anything else with a one-line error."""
    if width % 2 or height % 2:
        raise BadInput(f"size {width}×{height}: H.264 (yuv420p) needs even width and height")
    if min(width, height) < 32:
        raise BadInput(f"size {width}×{height}: too small (min side 32 px)")


_M_PERTURB = -6   # glibc mallopt(): fill every new heap block with one byte


@contextmanager
def _initialised_heap() -> Iterator[None]:
    """While encoding, glibc fills every newly allocated heap block with a fixed byte.

    The encoder (x264 through FFmpeg) reads some memory it never wrote, so without this its bytes depended
    on what the process had freed before: the same frames encoded after another film gave another film
    (up to 57 levels apart in 30 of 96 frames). With the fill they are the same in every process (tested).
    Elsewhere than glibc this is a no-op."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None or not mallopt(_M_PERTURB, 0x5A):
        yield
        return
    try:
        yield
    finally:
        mallopt(_M_PERTURB, 0)


def write_h264(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float = 24, crf: int = 18,
               preset: str = "veryfast", keyint: int = 48, faststart: bool = False) -> int:
    """Encode H×W×3 uint8 RGB frames to ``path`` (MP4, atomically); returns the frame count.

    Single-threaded x264 on an initialised heap (:func:`_initialised_heap`), so the same frames always give
    the same bytes.
    ``faststart`` puts the index at the front (a truncated such file opens, then fails mid-stream).
    """
    path = Path(path)
    count = 0
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path) as tmp, _initialised_heap():
        options = {"movflags": "+faststart"} if faststart else {}
        container = av.open(str(tmp), mode="w", format="mp4", options=options)
        stream = None
        try:
            for frame in frames:
                if stream is None:
                    h, w = frame.shape[:2]
                    check_encodable_size(w, h)
                    stream = container.add_stream("libx264", rate=rate)
                    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                    stream.codec_context.thread_count = 1
                    stream.options = {"crf": str(crf), "preset": preset, "g": str(keyint),
                                      "x264-params": "threads=1:lookahead-threads=1"}
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame, dtype=np.uint8), format="rgb24")
                vf.pts, vf.time_base = count, 1 / rate
                for packet in stream.encode(vf):
                    container.mux(packet)
                count += 1
            if stream is None:
                raise BadInput(f"{path}: no frames to write")
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
    return count
