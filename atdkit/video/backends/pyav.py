"""The PyAV (FFmpeg) backend: reads every container FFmpeg knows, GIF included.

At open, the video packets are demuxed once (no decoding) to count frames and
check the frame rate; reading from frame i (random access, or iterating from
there) seeks to the keyframe before its timestamp and decodes forward to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np

from atdkit.errors import BadInput, clean_message
from atdkit.video.probe import packet_times
from atdkit.video.reader import VideoReader, check_frame_intervals


class PyAVReader(VideoReader):
    backend = "pyav"

    def __init__(self, path: str | os.PathLike, threads: int = 1):
        super().__init__(path)
        self._threads = threads
        pts, self._time_base, self.fps = packet_times(self.path)
        try:
            with av.open(str(self.path)) as container:
                ctx = container.streams.video[0].codec_context
                self.width, self.height = int(ctx.width), int(ctx.height)
        except Exception as exc:
            raise BadInput(f"{self.path}: not a readable video ({clean_message(exc)})") from exc
        self._pts = pts
        self.n_frames = len(self._pts)
        self._validate()
        self.gaps = check_frame_intervals(self.path, self._pts * float(self._time_base), self.fps)
        self._container = None

    def _open_stream(self):
        self.close()
        self._container = av.open(str(self.path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO" if self._threads > 1 else "SLICE"
        stream.thread_count = self._threads
        return stream

    def _iter_frames(self, start: int) -> Iterator[np.ndarray]:
        stream = self._open_stream()
        target = int(self._pts[start])
        i = start
        try:
            if start:
                self._container.seek(target, stream=stream, backward=True, any_frame=False)
            for frame in self._container.decode(stream):
                if start and frame.pts is None:  # cannot tell where the seek landed: decode from the start
                    yield from self._skip_from_first(start)
                    return
                if frame.pts is not None and frame.pts < target:
                    continue
                # swscale converts on as many threads as asked (0, its default: one per CPU). Handing
                # each frame's slices to other threads and waiting for them costs more than it saves
                # when the other CPUs are busy (mining workers): decoding took twice as long.
                yield frame.to_ndarray(format="rgb24", threads=self._threads)
                i += 1
        except BadInput:
            raise
        except Exception as exc:
            raise self._stream_error(i, exc) from exc
        finally:
            self.close()

    def _skip_from_first(self, start: int) -> Iterator[np.ndarray]:
        for i, frame in enumerate(self._iter_frames(0)):
            if i >= start:
                yield frame

    def _frame(self, index: int) -> np.ndarray:
        frames = self._iter_frames(index)
        try:
            return next(frames)
        except StopIteration:
            raise self._stream_error(index) from None
        finally:
            frames.close()

    def close(self) -> None:
        if getattr(self, "_container", None) is not None:
            self._container.close()
            self._container = None
