"""Everything the app reads from one dataset root, cached across reruns and sessions.

Frames are served only from ``<root>/frames/<triplet_id>/`` and only for ids listed in
``triplets.parquet``: a request names a triplet id, never a path. Tables are reloaded
when their file changes (triplets.parquet is looked at at most once a second); label
parts are read incrementally, only the new ones.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atdkit.errors import BadInput
from atdkit.labels import annotators
from atdkit.labels.judgements import Box
from atdkit.labels.queue import Queue
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import png_size, read_rgb
from atdkit.store.labels import LabelsCache

PROPOSAL_FRACTION = 0.5     # centred fallback box: this fraction of width and height
TRIPLETS_RECHECK_S = 1.0    # triplets.parquet is looked at (stat) at most this often


@dataclass(frozen=True)
class TripletView:
    """What the task view needs about one triplet whose frames were checked."""

    triplet_id: str
    width: int                      # full-resolution frame2 size in pixels
    height: int
    proposal: Box                   # full-resolution frame2 pixels
    versions: tuple[int, int, int]  # st_mtime_ns of frame1–3 (their URLs change when a file is rewritten)


class _Lru:
    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def proposal_box(row: dict, width: int, height: int) -> Box:
    """The miner's RoI proposal (``prop_x/y/w/h``, frame2 pixels) clipped to the frame;
    a centred box of half the width and height when absent or empty."""
    vals = [row.get(k) for k in ("prop_x", "prop_y", "prop_w", "prop_h")]
    if all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        box = Box(*map(float, vals)).clipped(width, height)
        if box.w >= 1 and box.h >= 1:
            return box
    w, h = width * PROPOSAL_FRACTION, height * PROPOSAL_FRACTION
    return Box((width - w) / 2, (height - h) / 2, w, h)


class Workspace:
    def __init__(self, root_path: str | Path, prefetch: bool = True):
        self.root = DatasetRoot.open(root_path)
        self.prefetch_enabled = prefetch
        self.labels = LabelsCache(self.root)
        self._lock = threading.Lock()
        self._triplets: tuple[int | None, pd.DataFrame, dict[str, dict]] | None = None
        self._triplets_checked = 0.0  # time.monotonic() of the last look at triplets.parquet
        self._annotators = annotators.WatchedAnnotators(self.root)
        self._views = _Lru(16)
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atdkit-prefetch")
        self._queue: Queue | None = None

    # ---- tables ---------------------------------------------------------------------
    def _load_triplets(self) -> tuple[pd.DataFrame, dict[str, dict]]:
        # a page rerun asks several times: the file is looked at again after TRIPLETS_RECHECK_S
        now = time.monotonic()
        if self._triplets is not None and now - self._triplets_checked < TRIPLETS_RECHECK_S:
            return self._triplets[1], self._triplets[2]
        stamp = _mtime(self.root.path / "triplets.parquet")
        self._triplets_checked = now
        with self._lock:
            if self._triplets is None or self._triplets[0] != stamp:
                df = self.root.triplets()
                self._triplets = (stamp, df, {r["triplet_id"]: r for r in df.to_dict("records")})
                self._queue = None
            return self._triplets[1], self._triplets[2]

    def triplets(self) -> pd.DataFrame:
        return self._load_triplets()[0]

    def triplet(self, triplet_id: str) -> dict | None:
        """The triplets.parquet row of ``triplet_id``, or None when it is not a known id."""
        if not isinstance(triplet_id, str):
            return None
        return self._load_triplets()[1].get(triplet_id)

    @property
    def queue(self) -> Queue:
        tids = list(self._load_triplets()[1])
        with self._lock:
            if self._queue is None:
                self._queue = Queue(self.root, tids, self.labels)
            return self._queue

    def annotator_table(self) -> pd.DataFrame:
        return self._annotators.table()

    def login(self, token: str) -> annotators.Annotator | None:
        return annotators.authenticate_in(self.annotator_table(), token)

    def still_active(self, name: str) -> annotators.Annotator | None:
        return annotators.active_annotator(self.annotator_table(), name)

    # ---- frames ---------------------------------------------------------------------
    def view(self, triplet_id: str) -> TripletView:
        """Size, proposal and frame versions of a known triplet whose three frames are whole PNGs
        of one size (checked here, once per version, without decoding: ``png_size``, so that the
        page never shows a broken frame); BadInput for unknown ids or bad frames."""
        row = self.triplet(triplet_id)
        if row is None:
            raise BadInput(f"unknown triplet id {triplet_id!r}")
        paths = self.root.frame_paths(triplet_id)
        key = (triplet_id, self.frame_versions(triplet_id))
        cached = self._views.get(key)
        if cached is not None:
            return cached
        sizes = [png_size(p) for p in paths]
        if len(set(sizes)) != 1:
            raise BadInput(f"{paths[0].parent}: frames of different sizes {sizes} (width, height)")
        w, h = sizes[1]
        view = TripletView(triplet_id=triplet_id, width=w, height=h, proposal=proposal_box(row, w, h),
                           versions=key[1])
        self._views.put(key, view)
        return view

    def frame_versions(self, triplet_id: str) -> tuple[int | None, ...]:
        """st_mtime_ns of a triplet's frame1–3 (None for a missing file), without reading them."""
        return tuple(_mtime(p) for p in self.root.frame_paths(triplet_id))

    def prefetch(self, triplet_id: str | None) -> None:
        """Check a triplet's frames ahead of time, on a background thread, so the rerun that
        shows it finishes at once (errors surface when the triplet is shown)."""
        if triplet_id is None or not self.prefetch_enabled:
            return
        self._prefetcher.submit(self._prefetch_now, triplet_id)

    def _prefetch_now(self, triplet_id: str) -> None:
        try:
            self.view(triplet_id)
        except BadInput:
            pass

    def frame(self, triplet_id: str, index: int) -> np.ndarray:
        """Frame ``index`` (1, 2 or 3) of a known triplet as H×W×3 uint8 RGB."""
        if self.triplet(triplet_id) is None or index not in (1, 2, 3):
            raise BadInput(f"unknown triplet id {triplet_id!r} or frame {index!r}")
        return read_rgb(self.root.frame_paths(triplet_id)[index - 1])
