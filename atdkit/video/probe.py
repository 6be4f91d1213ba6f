"""Container-level facts read without decoding: the video packets' presentation times.

Both backends use it for the frame count fallback and the constant-frame-rate
check, so a film gets the same verdict whichever decoder reads it. Demuxing a
long film takes a while (about 0.1 ms per packet here: some 20 s for two hours
at 24 fps), and every reader of a film needs it: the parent's plan, then every
segment of the film. So the result is kept per process for as long as the file
is unchanged, and a film is demuxed once per worker, not once per segment.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from atdkit.errors import BadInput, clean_message


def packet_times(path: str | os.PathLike) -> tuple[np.ndarray, Fraction, float]:
    """(sorted pts of the first video stream's packets as a read-only int64 array, time base, nominal
    fps); BadInput when the file has no video stream, its container breaks while demuxing, or it
    holds fewer frames than its index lists (a truncated file). Cached while the file is unchanged."""
    stat = Path(path).stat()
    return _packet_times(Path(path), stat.st_size, stat.st_mtime_ns)


def scan_packets(path: str | os.PathLike, take: Callable[[av.Packet], None]) -> tuple[Fraction, float]:
    """Demux the first video stream of ``path`` in file order without decoding, handing every non-empty
    packet to ``take``; returns (time base, nominal fps or 0). BadInput naming the file when it is not a
    readable video, has no video stream, its container breaks while demuxing, or it holds fewer packets
    than its index lists frames (a truncated file)."""
    try:
        container = av.open(str(path))
    except Exception as exc:  # av.error.InvalidDataError and friends
        raise BadInput(f"{path}: not a readable video ({clean_message(exc)})") from exc
    try:
        if not container.streams.video:
            raise BadInput(f"{path}: no video stream in the file")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        count = 0
        try:
            for packet in container.demux(stream):
                if packet.size:
                    take(packet)
                    count += 1
        except BadInput:
            raise
        except Exception as exc:
            raise BadInput(f"{path}: corrupt container after {count} packets ({clean_message(exc)})") from exc
        declared = int(stream.frames or 0)
        if declared and count < declared:
            raise BadInput(f"{path}: truncated: the index lists {declared} frames, the file holds {count}")
        return stream.time_base or Fraction(1, 1), float(rate) if rate else 0.0
    finally:
        container.close()


@functools.lru_cache(maxsize=16)
def _packet_times(path: Path, size: int, mtime_ns: int) -> tuple[np.ndarray, Fraction, float]:
    """:func:`packet_times` of ``path`` as it is while it has this size and modification time."""
    pts: list[int] = []
    time_base, rate = scan_packets(path, lambda packet: pts.append(int(packet.pts)) if packet.pts is not None else None)
    times = np.sort(np.asarray(pts, dtype=np.int64))
    times.flags.writeable = False
    return times, time_base, rate


def stream_facts(path: str | os.PathLike) -> tuple[float | None, Fraction | None]:
    """(the container's declared duration in seconds or None, the video stream's sample aspect ratio
    or None when pixels are square or it is not set), read from the headers without decoding."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = container.duration / av.time_base if container.duration else None
        if duration is None and stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        return duration, (Fraction(sar) if sar and Fraction(sar) != 1 else None)
