"""The hashes a recipe identifies films and frames by.

- **frame hash**: blake2b-128 (32 hex digits) of a decoded frame's pixels as H×W×3 uint8 RGB, row-major,
  after a ``HxWx3`` header; it does not depend on how a frame file is compressed (PNG bytes may change
  with the zlib in use, pixels do not).
- **frame pHash**: :func:`atdkit.mining.dedup.phash` of the full-size frame (64 bits); near frames of
  another encode are a few bits apart (tolerance mode).
- **stream hash**: sha256 over the payloads of the first video stream's packets in file order, without
  decoding. The same encode in another container (a remux: same packets) has the same stream hash, a
  re-encode has another.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from atdkit.mining.dedup import hamming, phash
from atdkit.video.probe import scan_packets

__all__ = ["frame_hash", "frame_phash", "hamming", "stream_sha256"]


def frame_hash(rgb: np.ndarray) -> str:
    """blake2b-128 hex of an H×W×3 uint8 RGB frame's pixels (with its shape)."""
    frame = np.ascontiguousarray(rgb, dtype=np.uint8)
    h = hashlib.blake2b(digest_size=16)
    h.update("x".join(map(str, frame.shape)).encode())
    h.update(frame.data)
    return h.hexdigest()


def frame_phash(rgb: np.ndarray) -> str:
    """64-bit perceptual hash (16 hex) of a full-size H×W×3 RGB frame."""
    return phash(rgb)


def stream_sha256(path: str | os.PathLike) -> str:
    """sha256 over the first video stream's packet payloads in file order; BadInput (one line naming the
    file) when it is not a readable video or its container breaks (:func:`atdkit.video.probe.scan_packets`)."""
    h = hashlib.sha256()
    scan_packets(Path(path), lambda packet: h.update(bytes(packet)))
    return h.hexdigest()
