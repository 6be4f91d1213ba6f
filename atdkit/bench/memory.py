"""Peak memory of one call.

What is measured: the peak *additional resident memory* (RSS) of this process
during the call, in MiB: ``VmHWM`` after the call minus ``VmRSS`` before it,
after resetting the high-water mark by writing ``5`` to ``/proc/self/clear_refs``
(Linux ≥ 4.0). It includes every allocator (numpy, OpenCV, torch CPU tensors)
but not GPU memory. Before the call, freed heap memory that glibc keeps resident
is returned to the system (``malloc_trim(0)``); otherwise a repeated call that
reuses it would show no growth at all. Where that file cannot be written, Python's
``tracemalloc`` peak is used instead (it sees numpy and Python allocations only);
:data:`METHOD` says which one is in effect.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import tracemalloc
from pathlib import Path

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")
MIB = 1024 * 1024


def _load_malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_MALLOC_TRIM = _load_malloc_trim()


def _status_kib(key: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _rss_supported() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        _status_kib("VmHWM")
        return True
    except (OSError, KeyError, ValueError):
        return False


METHOD = "rss" if _rss_supported() else "tracemalloc"


class PeakMemory:
    """Context manager: ``with PeakMemory() as pm: ...; pm.peak_mb``."""

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self._before = 0

    def __enter__(self) -> PeakMemory:
        if METHOD == "rss":
            if _MALLOC_TRIM is not None:
                _MALLOC_TRIM(0)
            _CLEAR_REFS.write_text("5")
            self._before = _status_kib("VmRSS")
        else:
            tracemalloc.start()
        return self

    def __exit__(self, *exc) -> None:
        if METHOD == "rss":
            self.peak_mb = max(0, _status_kib("VmHWM") - self._before) / 1024.0
        else:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.peak_mb = peak / MIB
