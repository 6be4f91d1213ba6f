"""Append-only tables stored as a folder of Parquet parts.

Each append writes one new part atomically and never rewrites an existing one,
so concurrent writers (processes, cluster workers, app sessions) cannot lose
each other's rows, and a writer killed mid-way leaves nothing visible. Reading
unions the parts. Compaction merges parts into one, writing the merged part
before deleting the old ones, so a crash at any point leaves the same rows
readable (duplicates of identical rows are dropped on read by ``key``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa

from atdkit.store import atomic, quarantine
from atdkit.store.schema import to_table

_REPLACES = b"atdkit.replaces"  # Parquet metadata of a compacted part: the names of the parts it merged


def _part_name(tag: str = "part") -> str:
    # Sortable by creation time, unique across processes and machines.
    return f"{time.time_ns():020d}-{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"


class PartTable:
    """A folder of Parquet parts that all follow ``schema``."""

    def __init__(self, directory: str | os.PathLike, schema: pa.Schema, key: tuple[str, ...] = ()):
        self.directory = Path(directory)
        self.schema = schema
        self.key = key

    def part_names(self) -> list[str]:
        """File names of the parts, in part order (by name; cheap enough to call on every rerun)."""
        try:
            with os.scandir(self.directory) as entries:
                return sorted(e.name for e in entries if e.name.endswith(".parquet") and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def parts(self) -> list[Path]:
        return [self.directory / name for name in self.part_names()]

    def append(self, data: pd.DataFrame | pa.Table, name: str | None = None) -> Path | None:
        """Write ``data`` as one new part (atomically). ``name`` makes the write idempotent:
        a part of that name that already exists is left alone. Returns the part's path,
        or None for empty data without a name."""
        table = to_table(data, self.schema)
        if table.num_rows == 0 and name is None:
            return None
        path = self.directory / (f"{name}.parquet" if name else _part_name())
        if name and path.exists():
            return path
        return atomic.write_table(path, table)

    def has_part(self, name: str) -> bool:
        return (self.directory / f"{name}.parquet").exists()

    def read_table(self, on_error: str = "skip", paths: list[Path] | None = None) -> pa.Table:
        """Union of all parts (or of ``paths``).

        A corrupt part is moved aside (:mod:`atdkit.store.quarantine`) and never read as data; with
        ``on_error='skip'`` the read goes on without it and says so in one line on stderr, with
        ``'raise'`` the :class:`~atdkit.store.quarantine.CorruptFile` is raised. A part merged by a
        compaction meanwhile is read from the merged part (each row once)."""
        if on_error not in ("skip", "raise"):
            raise ValueError(f"on_error must be 'skip' or 'raise', not {on_error!r}")
        for _ in range(100):
            try:
                return self._read_once(on_error, self.parts() if paths is None else paths)
            except FileNotFoundError:
                if paths is not None:
                    raise
                # a compaction deleted a listed part after writing the merged one: list again
        raise RuntimeError(f"{self.directory}: parts kept vanishing while read (100 tries)")

    def _read_once(self, on_error: str, paths: list[Path]) -> pa.Table:
        tables: dict[str, pa.Table] = {}
        replaced: set[str] = set()
        for p in paths:
            try:
                table = quarantine.read_parquet(p)
                tables[p.name] = to_table(table, self.schema)
            except quarantine.CorruptFile as exc:
                if on_error == "raise":
                    raise
                quarantine.say_continuing(exc, "its rows")
                continue
            except ValueError as exc:  # a readable Parquet file that is not a part of this table
                err = quarantine.corrupt(p, f"not a part of this table ({exc})")
                if on_error == "raise":
                    raise err from None
                quarantine.say_continuing(err, "its rows")
                continue
            replaced |= set(json.loads((table.schema.metadata or {}).get(_REPLACES, b"[]")))
        # a merged part and the parts it replaces may be listed together (between its write and their
        # deletion): their rows are in the merged part
        kept = [t for name, t in tables.items() if name not in replaced]
        if not kept:
            return self.schema.empty_table()
        return pa.concat_tables(kept)

    def read(self, on_error: str = "skip", paths: list[Path] | None = None) -> pd.DataFrame:
        df = self.read_table(on_error=on_error, paths=paths).to_pandas()
        if self.key and len(df):
            df = df.drop_duplicates(subset=list(self.key), keep="last").reset_index(drop=True)
        return df

    def compact(self) -> Path | None:
        """Merge all parts into one (deduplicated by ``key``), then delete the old parts."""
        old = self.parts()
        if len(old) <= 1:
            return old[0] if old else None
        # Only the listed parts: one appended meanwhile is not deleted below, so it must not be merged.
        merged = to_table(self.read(paths=old), self.schema)
        # The merged part names the parts it replaces (readers that list both read its rows once), and
        # is named after every old one, so "last wins" order is kept.
        merged = merged.replace_schema_metadata({**(merged.schema.metadata or {}),
                                                 _REPLACES: json.dumps([p.name for p in old])})
        path = atomic.write_table(self.directory / _part_name("compacted"), merged)
        for p in old:
            p.unlink(missing_ok=True)
        return path
