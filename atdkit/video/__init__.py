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

import importlib
import os

from atdkit.errors import BadInput
from atdkit.video.reader import MIN_SIDE, VideoReader, check_file

# The decoder backends: name → its reader class (``module:Class``), imported when first used. A new
# backend is a module in ``backends/`` plus one line here (and, if ``auto`` should pick it, a word
# in ``open_video``); ``atdkit mine --backend`` and the reader tests iterate over these names.
READERS = {
    "decord": "atdkit.video.backends.decord:DecordReader",
    "pyav": "atdkit.video.backends.pyav:PyAVReader",
}
BACKENDS = tuple(READERS)


def _reader(backend: str) -> type[VideoReader]:
    module, _, name = READERS[backend].partition(":")
    return getattr(importlib.import_module(module), name)


def open_video(path: str | os.PathLike, backend: str = "auto", *, sequential: bool = False) -> VideoReader:
    """Open a film for reading (``sequential``: for one pass in order, which decides what ``auto``
    means; see the module doc); raises BadInput (one line naming the file) on any problem."""
    if backend not in ("auto", *BACKENDS):
        raise BadInput(f"unknown video backend {backend!r} (choose {', '.join(('auto', *BACKENDS))})")
    check_file(path)
    if backend != "auto":
        return _reader(backend)(path)
    if sequential:
        return _reader("pyav")(path)
    try:
        return _reader("decord")(path)
    except BadInput:
        return _reader("pyav")(path)


__all__ = ["BACKENDS", "MIN_SIDE", "VideoReader", "open_video"]
