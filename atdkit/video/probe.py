"""Container-level facts read without decoding: the video packets' presentation times.

Both backends use it for the frame count fallback and the constant-frame-rate
check, so a film gets the same verdict whichever decoder reads it.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from atdkit.errors import BadInput
from atdkit.video.reader import clean_message


def packet_times(path: Path) -> tuple[list[int], Fraction, float]:
    """(sorted pts of the first video stream's packets, time base, nominal fps); BadInput when the
    file has no video stream, its container breaks while demuxing, or it holds fewer frames than
    its index lists (a truncated file)."""
    try:
        container = av.open(str(path))
    except Exception as exc:  # av.error.InvalidDataError and friends
        raise BadInput(f"{path}: not a readable video ({clean_message(exc)})") from exc
    try:
        if not container.streams.video:
            raise BadInput(f"{path}: no video stream in the file")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        pts: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    pts.append(int(packet.pts))
        except Exception as exc:
            raise BadInput(f"{path}: corrupt container after {len(pts)} packets ({clean_message(exc)})") from exc
        declared = int(stream.frames or 0)
        if declared and len(pts) < declared:
            raise BadInput(f"{path}: truncated: the index lists {declared} frames, the file holds {len(pts)}")
        return sorted(pts), stream.time_base or Fraction(1, 1), float(rate) if rate else 0.0
    finally:
        container.close()
