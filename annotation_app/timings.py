"""Where a rerun's time goes, for ``benchmarks/annotate.py``: with ``ATDKIT_APP_TIMINGS=FILE``
every script run of the page or of one of its fragments (a fragment rerun on its own, not
the fragments run inside a page run, which the page's line covers) appends one JSON line to
FILE (``kind``, ``wall_ms``, ``cpu_ms`` of the script thread); with ``ATDKIT_APP_PROFILE=DIR`` each
run also leaves a cProfile file there (``python -m pstats``). Unset (the default), nothing is
measured or written."""

from __future__ import annotations

import cProfile
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

_TIMINGS = os.environ.get("ATDKIT_APP_TIMINGS")
_PROFILE = os.environ.get("ATDKIT_APP_PROFILE")
_depth = threading.local()  # script runs nest (a fragment inside the page): only the outermost is recorded


@contextmanager
def timed(kind: str):
    """Time (and with ``ATDKIT_APP_PROFILE`` profile) the script run inside, named ``kind``
    (also a decorator)."""
    outer = getattr(_depth, "n", 0)
    if not (_TIMINGS or _PROFILE) or outer:
        yield
        return
    _depth.n = 1
    profile = cProfile.Profile() if _PROFILE else None
    t0, c0 = time.perf_counter(), time.thread_time()
    if profile:
        profile.enable()
    try:
        yield
    finally:
        _depth.n = 0
        if profile:
            profile.disable()
            profile.dump_stats(Path(_PROFILE) / f"{kind}-{uuid.uuid4().hex}.prof")
        if _TIMINGS:
            line = json.dumps({"kind": kind, "wall_ms": 1000 * (time.perf_counter() - t0),
                               "cpu_ms": 1000 * (time.thread_time() - c0), "at": time.time()})
            with open(_TIMINGS, "a") as fh:
                fh.write(line + "\n")
