"""The dataset root: the one folder every stage reads and writes.

```
<root>/
  dataset.json                   name, version, atdkit version, mining config
  films.parquet                  one row per source film     (materialised from parts/films)
  triplets.parquet               one row per kept triplet    (materialised from parts/triplets)
  candidates.parquet             every rejected candidate and why (from parts/candidates)
  parts/{films,triplets,candidates}/<film_id>.parquet   one part per mined film (idempotent)
  parts/segments/<film_id>/      finished segments of a film being mined in parallel (transient)
  frames/<triplet_id>/frame1.png frame2.png frame3.png  (frame2 = ground-truth middle frame)
  flows/<triplet_id>/guide_flo13.npy guide_flo31.npy    SGM flows in the official format
  labels/votes/*.parquet         append-only, one part per submission
  labels/annotations/*.parquet   append-only, one part per submission
  labels/adjudications/*.parquet admin rulings, one part per ruling
  labels/carried.parquet         consensus rows a recipe build brought along (the votes stayed behind)
  annotators.parquet             who may annotate (hashed tokens)
  consensus.parquet              derived from labels (rebuildable at any time)
  quarantine/<relative path>     corrupt files moved aside, each with <name>.reason.txt (store/quarantine.py)
```
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atdkit import __version__
from atdkit.errors import BadInput
from atdkit.store import atomic, quarantine, schema
from atdkit.store.parts import PartTable, to_table

FRAME_NAMES = ("frame1.png", "frame2.png", "frame3.png")


class DatasetRoot:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # ---- creation and metadata -------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, name: str | None = None, config: dict[str, Any] | None = None) -> DatasetRoot:
        """Open ``path`` as a dataset root, creating it (and dataset.json) when absent."""
        root = cls(path)
        root.path.mkdir(parents=True, exist_ok=True)
        if not root.meta_path.exists():
            root.write_meta({"name": name or root.path.name, "version": 1, "atdkit_version": __version__,
                             "config": config or {}})
        return root

    @classmethod
    def open(cls, path: str | os.PathLike) -> DatasetRoot:
        root = cls(path)
        if not root.meta_path.is_file():
            raise BadInput(f"{root.path}: not a dataset root (no dataset.json)")
        return root

    @property
    def meta_path(self) -> Path:
        return self.path / "dataset.json"

    def meta(self) -> dict[str, Any]:
        try:
            return json.loads(self.meta_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise BadInput(f"{self.meta_path}: unreadable dataset metadata ({exc})") from exc

    def write_meta(self, meta: dict[str, Any]) -> None:
        atomic.write_text(self.meta_path, json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")

    # ---- tables ----------------------------------------------------------------
    @property
    def film_parts(self) -> PartTable:
        return PartTable(self.path / "parts" / "films", schema.FILMS, key=("film_id",))

    @property
    def triplet_parts(self) -> PartTable:
        return PartTable(self.path / "parts" / "triplets", schema.TRIPLETS, key=("triplet_id",))

    @property
    def candidate_parts(self) -> PartTable:
        return PartTable(self.path / "parts" / "candidates", schema.CANDIDATES)

    @property
    def votes(self) -> PartTable:
        return PartTable(self.path / "labels" / "votes", schema.VOTES)

    @property
    def annotations(self) -> PartTable:
        return PartTable(self.path / "labels" / "annotations", schema.ANNOTATIONS)

    @property
    def adjudications(self) -> PartTable:
        """Admin rulings on triplets whose labels had no majority, one part per ruling."""
        return PartTable(self.path / "labels" / "adjudications", schema.ADJUDICATIONS)

    @property
    def carried_labels_path(self) -> Path:
        """Consensus rows (schema ``CONSENSUS``) that came with the triplets from elsewhere (a recipe)
        without the votes that made them; :mod:`atdkit.labels.consensus` keeps them while nobody votes."""
        return self.path / "labels" / "carried.parquet"

    def carried_labels(self) -> pd.DataFrame:
        """The carried consensus rows (none when the root has no carried labels)."""
        path = self.carried_labels_path
        table = quarantine.read_parquet(path, schema.CONSENSUS) if path.is_file() else \
            schema.CONSENSUS.empty_table()
        return table.to_pandas()

    def materialize(self) -> None:
        """Rewrite films/triplets/candidates.parquet from their parts (atomically).

        One process at a time (two mines on one root): each reads the parts after the other's
        write, so the last file written holds every part written before it."""
        with open(self.path / ".materialize.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for parts, name in ((self.film_parts, "films"), (self.triplet_parts, "triplets"),
                                (self.candidate_parts, "candidates")):
                atomic.write_table(self.path / f"{name}.parquet", to_table(parts.read(), parts.schema))

    def _read_materialized(self, name: str, parts: PartTable) -> pd.DataFrame:
        path = self.path / f"{name}.parquet"
        try:
            return quarantine.read_parquet(path, parts.schema).to_pandas()
        except FileNotFoundError:
            pass
        except quarantine.CorruptFile as exc:  # derived from the parts: read those instead
            quarantine.say_continuing(exc, f"it (reading {parts.directory.relative_to(self.path)} instead)")
        return parts.read()

    def films(self) -> pd.DataFrame:
        return self._read_materialized("films", self.film_parts)

    def triplets(self) -> pd.DataFrame:
        return self._read_materialized("triplets", self.triplet_parts)

    def candidates(self) -> pd.DataFrame:
        return self._read_materialized("candidates", self.candidate_parts)

    def segments_dir(self, film_id: str) -> Path:
        """Where the finished segments of a film being mined are kept until the film is joined."""
        return self.path / "parts" / "segments" / _safe_id(film_id)

    # ---- per-triplet files -----------------------------------------------------
    def frames_dir(self, triplet_id: str) -> Path:
        return self.path / "frames" / _safe_id(triplet_id)

    def frame_paths(self, triplet_id: str) -> tuple[Path, Path, Path]:
        d = self.frames_dir(triplet_id)
        return tuple(d / n for n in FRAME_NAMES)  # type: ignore[return-value]

    def read_frames(self, triplet_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """frame1, frame2, frame3 as H×W×3 uint8 RGB; raises BadInput naming the bad file."""
        from atdkit.store.frames import read_rgb

        return tuple(read_rgb(p) for p in self.frame_paths(triplet_id))  # type: ignore[return-value]

    def flows_dir(self, triplet_id: str) -> Path:
        return self.path / "flows" / _safe_id(triplet_id)


def _safe_id(triplet_id: str) -> str:
    """Triplet ids become folder names: refuse anything that could leave the root."""
    if not triplet_id or "/" in triplet_id or "\\" in triplet_id or triplet_id in (".", "..") or "\x00" in triplet_id:
        raise BadInput(f"invalid triplet id {triplet_id!r}")
    return triplet_id
