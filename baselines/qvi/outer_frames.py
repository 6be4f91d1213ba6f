"""QVI's outer frames (t−1 and t2) of a triplet, read from the film it was mined from.

A mined triplet (f1, f2, f3) with stride s has frames f1 − s and f3 + s in its film when both
lie inside it; they are decoded with the backend that mined the film (the same pixels as the
stored frames) and resized (Lanczos) to the size the triplet is interpolated at. A triplet
without them (an ATD-12K import, a triplet at a film's first or last frames, a film that is no
longer at its recorded path) gets ``None`` and the reason, and QVI runs its linear-motion case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atdkit.errors import BadInput
from atdkit.methods.base import TripletContext
from atdkit.ops.resize import resize_lanczos
from atdkit.store import DatasetRoot
from atdkit.video import open_video


@dataclass(frozen=True)
class OuterFrames:
    """The two outer frames, or ``None`` with ``why`` (what the row's provenance records)."""

    frames: tuple[np.ndarray, np.ndarray] | None
    why: str


class FilmFrames:
    """Reads outer frames for triplets of any number of roots, keeping each root's tables and
    each film's reader open between triplets."""

    def __init__(self) -> None:
        self._tables: dict[Path, tuple[dict, dict]] = {}
        self._readers: dict[str, object] = {}

    def _root_tables(self, root: Path) -> tuple[dict, dict]:
        if root not in self._tables:
            store = DatasetRoot(root)
            films = store.films()
            triplets = store.triplets()
            by_film = {r.film_id: r for r in films.itertuples()} if "path" in films else {}
            by_triplet = ({r.triplet_id: r for r in triplets.itertuples()}
                          if {"film_id", "f1", "f3", "stride"} <= set(triplets.columns) else {})
            self._tables[root] = (by_film, by_triplet)
        return self._tables[root]

    def _reader(self, path: str, backend: str | None):
        if path not in self._readers:
            self._readers[path] = open_video(path, backend or "auto")
        return self._readers[path]

    def get(self, context: TripletContext | None, size: tuple[int, int]) -> OuterFrames:
        """Outer frames of ``context``'s triplet at ``size`` = (width, height)."""
        if context is None or context.root is None or context.triplet_id is None:
            return OuterFrames(None, "no dataset context")
        films, triplets = self._root_tables(Path(context.root))
        row = triplets.get(context.triplet_id)
        if row is None or any(pd.isna(v) for v in (row.film_id, row.f1, row.f3, row.stride)) \
                or row.film_id not in films:
            return OuterFrames(None, "triplet has no film in this dataset")
        film = films[row.film_id]
        before, after = int(row.f1) - int(row.stride), int(row.f3) + int(row.stride)
        if before < 0 or (not pd.isna(film.n_frames) and after >= int(film.n_frames)):
            return OuterFrames(None, "outer frames fall outside the film")
        try:
            backend = getattr(film, "backend", None)
            reader = self._reader(film.path, None if pd.isna(backend) else backend)
            if after >= len(reader):
                return OuterFrames(None, "outer frames fall outside the film")
            frames = tuple(resize_lanczos(reader[i], size) for i in (before, after))
        except BadInput as exc:
            return OuterFrames(None, f"film unreadable ({str(exc).splitlines()[0][:120]})")
        return OuterFrames(frames, "film")  # type: ignore[arg-type]

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
