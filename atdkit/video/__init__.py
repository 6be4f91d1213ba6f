"""Reading films: ``open_video(path, backend="auto"|"decord"|"pyav", sequential=False)``.

Both backends give identical metadata semantics and H×W×3 uint8 RGB frames
(the same pixels on the films tested); see
:class:`atdkit.video.reader.VideoReader`. ``auto`` picks by how the film will
be read:

- random access (the default): decord, fast and frame-accurate for
  mp4/mkv/webm with H.264, VP8/9, MJPEG, …; PyAV when decord cannot open the
  file (GIF, unusual containers);
- a sequential pass (``sequential=True``, what the miner does): PyAV. While
  decord waits for the first frame after a seek, it hands its decoder thread
  every packet it can read. That thread then decodes all of those frames ahead
  into RAM, whatever the reader asks for. On a 2-minute 960×540 film read by a
  consumer that works 10 ms per frame, that held several GB
  (``benchmarks/decoding.py``), so a long film would exhaust memory. PyAV
  decodes one frame per request, with less CPU per frame. ``backend="decord"``
  still reads sequentially with decord when asked.
"""

from __future__ import annotations

import os

from atdkit.errors import BadInput
from atdkit.video.reader import MIN_SIDE, VideoReader, check_file

BACKENDS = ("decord", "pyav")


def open_video(path: str | os.PathLike, backend: str = "auto", *, sequential: bool = False) -> VideoReader:
    """Open a film for reading (``sequential``: for one pass in order, which decides what ``auto``
    means; see the module doc); raises BadInput (one line naming the file) on any problem."""
    if backend not in ("auto", *BACKENDS):
        raise BadInput(f"unknown video backend {backend!r} (choose auto, decord or pyav)")
    check_file(path)
    if backend == "pyav" or (backend == "auto" and sequential):
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
