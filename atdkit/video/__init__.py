"""Reading films: ``open_video(path, backend="auto"|"decord"|"pyav")``.

``auto`` tries decord first (fast, frame-accurate for mp4/mkv/webm with
H.264, VP8/9, MJPEG, …) and falls back to PyAV when decord cannot open the file
(GIF, unusual containers). Both backends give identical metadata semantics and
H×W×3 uint8 RGB frames. See :class:`atdkit.video.reader.VideoReader`.
"""

from __future__ import annotations

import os

from atdkit.errors import BadInput
from atdkit.video.reader import MIN_SIDE, VideoReader, check_file

BACKENDS = ("decord", "pyav")


def open_video(path: str | os.PathLike, backend: str = "auto") -> VideoReader:
    """Open a film for reading; raises BadInput (one line naming the file) on any problem."""
    if backend not in ("auto", *BACKENDS):
        raise BadInput(f"unknown video backend {backend!r} (choose auto, decord or pyav)")
    check_file(path)
    if backend == "pyav":
        from atdkit.video.backends.pyav import PyAVReader

        return PyAVReader(path)
    from atdkit.video.backends.decord import DecordReader

    try:
        return DecordReader(path)
    except BadInput:
        if backend == "decord":
            raise
        from atdkit.video.backends.pyav import PyAVReader

        return PyAVReader(path)


__all__ = ["BACKENDS", "MIN_SIDE", "VideoReader", "open_video"]
