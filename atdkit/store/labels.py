"""Votes and annotations: append one part per submission; the latest submission
of an annotator for a triplet wins (by ``created_at``, then by part order)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa

from atdkit.store import quarantine
from atdkit.store.dataset import DatasetRoot
from atdkit.store.parts import PartTable, to_table
from atdkit.store.schema import is_machine_annotator


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(rows: Iterable[Mapping]) -> pd.DataFrame:
    df = pd.DataFrame([dict(r) for r in rows])
    if len(df) and "created_at" not in df.columns:
        df["created_at"] = now_utc()
    return df


def add_votes(root: DatasetRoot, rows: Iterable[Mapping]):
    """Append votes (one atomic part); returns the part's path."""
    return root.votes.append(_stamp(rows))


def add_annotations(root: DatasetRoot, rows: Iterable[Mapping]):
    """Append annotations (one atomic part); returns the part's path."""
    return root.annotations.append(_stamp(rows))


def _latest_by(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """The last row per ``key`` by ``created_at``, ties broken by row (= part) order; sorted by
    ``key``. (One pass over plain Python keys: the app derives this on every new label part.)"""
    if not len(df):
        return df
    created = df["created_at"]
    stamps = created.dt.tz_convert("UTC").dt.tz_localize(None) if created.dt.tz is not None else created
    # stable: equal stamps keep row order; NaT sorts last, as in sort_values
    order = np.argsort(stamps.to_numpy("datetime64[ns]"), kind="stable")
    keys = list(zip(*(df[k].tolist() for k in key)))
    last: dict[tuple, int] = {}
    for i in order.tolist():
        last[keys[i]] = i
    return df.iloc[[last[k] for k in sorted(last)]].reset_index(drop=True)


def _latest(df: pd.DataFrame) -> pd.DataFrame:
    return _latest_by(df, ["triplet_id", "annotator"])


def _humans(df: pd.DataFrame, humans_only: bool) -> pd.DataFrame:
    if humans_only and len(df):
        df = df[~df["annotator"].map(is_machine_annotator).astype(bool)].reset_index(drop=True)
    return df


# A corrupt part is always moved aside (``PartTable.read``), as the app's ``IncrementalParts`` does.
# on_error="raise" (the default) then stops the caller, so nothing that decides on labels (consensus,
# dedup's "never drop a labelled triplet") silently lacks a row; "skip" goes on and says so on stderr.
def latest_votes(root: DatasetRoot, humans_only: bool = False, on_error: str = "raise") -> pd.DataFrame:
    return _humans(_latest(root.votes.read(on_error=on_error)), humans_only)


def latest_annotations(root: DatasetRoot, humans_only: bool = False, on_error: str = "raise") -> pd.DataFrame:
    return _humans(_latest(root.annotations.read(on_error=on_error)), humans_only)


def add_adjudication(root: DatasetRoot, row: Mapping):
    """Append one admin ruling (one atomic part); returns the part's path."""
    return root.adjudications.append(_stamp([row]))


def latest_adjudications(root: DatasetRoot, on_error: str = "raise") -> pd.DataFrame:
    """The latest ruling per triplet."""
    df = root.adjudications.read(on_error=on_error)
    return _latest_by(df, ["triplet_id"])


class IncrementalParts:
    """Reads a part folder incrementally: parts are immutable, so each file is read once.

    ``read()`` lists the folder, reads only parts it has not seen, forgets parts that
    are gone (after compaction) and returns the union as a DataFrame, in part order.
    A corrupt part is moved aside into the root's quarantine (as ``PartTable.read`` does for
    ``atdkit consensus``), named on stderr and kept in ``bad`` (name → one-line message), so one
    corrupt file never hides the others. Thread-safe (Streamlit sessions share it).
    """

    def __init__(self, parts: PartTable):
        self.parts = parts
        self.bad: dict[str, str] = {}
        self._tables: dict[str, pa.Table] = {}
        self._names: tuple[str, ...] = ()
        self._frame: pd.DataFrame = parts.schema.empty_table().to_pandas()
        self._lock = threading.Lock()
        self.version = 0  # bumped whenever the union changes

    def read(self) -> pd.DataFrame:
        return self.snapshot()[1]

    def snapshot(self) -> tuple[int, pd.DataFrame]:
        """``(version, union)`` read together: what is derived from the union is stored under
        that version, never under a newer one another session's read has set meanwhile."""
        with self._lock:
            names = tuple(self.parts.part_names())
            if names == self._names:
                return self.version, self._frame
            for name in names:
                if name in self._tables or name in self.bad:
                    continue
                p = self.parts.directory / name
                try:
                    self._tables[p.name] = quarantine.read_parquet(p, self.parts.schema)
                except FileNotFoundError:  # compacted or moved aside meanwhile: gone from the union
                    continue
                except (quarantine.CorruptFile, ValueError) as exc:
                    err = exc if isinstance(exc, quarantine.CorruptFile) else \
                        quarantine.corrupt(p, f"not a part of this table ({exc})")
                    quarantine.say_continuing(err, "its rows")
                    self.bad[p.name] = str(err)
            keep = set(names)
            self._tables = {n: t for n, t in self._tables.items() if n in keep}
            old, added = self._names, names[len(self._names):]
            if old and names[:len(old)] == old and all(n in self._tables for n in old):
                # only parts after the last one read (the usual case): convert just those rows
                new = [self._tables[n] for n in added if n in self._tables]
                if new:
                    self._frame = pd.concat([self._frame, pa.concat_tables(new).to_pandas()], ignore_index=True)
            else:  # parts gone (compaction) or one named before others: the whole union again
                tables = [self._tables[n] for n in names if n in self._tables]
                table = pa.concat_tables(tables) if tables else self.parts.schema.empty_table()
                self._frame = table.to_pandas()
            self._names = names
            self.version += 1
            return self.version, self._frame


class LabelsCache:
    """Latest votes, annotations and rulings of one root, re-reading only new parts."""

    def __init__(self, root: DatasetRoot):
        self.root = root
        self._votes = IncrementalParts(root.votes)
        self._annotations = IncrementalParts(root.annotations)
        self._adjudications = IncrementalParts(root.adjudications)
        self._derived: dict[tuple, tuple[int, pd.DataFrame]] = {}

    def _memo(self, reader: IncrementalParts, what: tuple, derive) -> pd.DataFrame:
        """``derive(reader.read())``, recomputed only when the parts changed.
        Callers must not modify the returned frame."""
        version, frame = reader.snapshot()
        hit = self._derived.get(what)
        if hit is not None and hit[0] == version:
            return hit[1]
        out = derive(frame)
        self._derived[what] = (version, out)
        return out

    def votes(self, humans_only: bool = False) -> pd.DataFrame:
        return self._memo(self._votes, ("votes", humans_only), lambda df: _humans(_latest(df), humans_only))

    def annotations(self, humans_only: bool = False) -> pd.DataFrame:
        return self._memo(self._annotations, ("annotations", humans_only),
                          lambda df: _humans(_latest(df), humans_only))

    def adjudications(self) -> pd.DataFrame:
        return self._memo(self._adjudications, ("adjudications",), lambda df: _latest_by(df, ["triplet_id"]))

    def all_votes(self) -> pd.DataFrame:
        """Every submitted vote, including superseded ones (for throughput statistics)."""
        return self._votes.read()

    @property
    def bad_parts(self) -> list[str]:
        return sorted({**self._votes.bad, **self._annotations.bad, **self._adjudications.bad}.values())
