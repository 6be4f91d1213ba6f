"""Append-only tables stored as a folder of Parquet parts.

Each append writes one new part atomically and never rewrites an existing one,
so concurrent writers (processes, cluster workers, app sessions) cannot lose
each other's rows, and a writer killed mid-way leaves nothing visible. Reading
unions the parts. Compaction merges parts into one, writing the merged part
before deleting the old ones, so a crash at any point leaves the same rows
readable (duplicates of identical rows are dropped on read by ``key``).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atdkit.errors import BadInput
from atdkit.store import atomic


def _part_name(tag: str = "part") -> str:
    # Sortable by creation time, unique across processes and machines.
    return f"{time.time_ns():020d}-{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"


def to_table(data: pd.DataFrame | pa.Table, schema: pa.Schema) -> pa.Table:
    """Conform a DataFrame or Table to ``schema`` (column order, types); missing nullable columns become null."""
    if isinstance(data, pd.DataFrame):
        data = data.reset_index(drop=True)
        cols = {}
        for field in schema:
            if field.name in data.columns:
                cols[field.name] = pa.array(data[field.name].tolist(), type=field.type, from_pandas=True)
            elif field.nullable:
                cols[field.name] = pa.nulls(len(data), type=field.type)
            else:
                raise ValueError(f"missing required column {field.name!r}")
        return pa.table(cols, schema=schema)
    table = data
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            arrays.append(table.column(field.name).cast(field.type))
        elif field.nullable:
            arrays.append(pa.nulls(table.num_rows, type=field.type))
        else:
            raise ValueError(f"missing required column {field.name!r}")
    return pa.table(arrays, schema=schema)


class PartTable:
    """A folder of Parquet parts that all follow ``schema``."""

    def __init__(self, directory: str | os.PathLike, schema: pa.Schema, key: tuple[str, ...] = ()):
        self.directory = Path(directory)
        self.schema = schema
        self.key = key

    def parts(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.parquet") if not p.name.startswith("."))

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

    def read_table(self, on_error: str = "raise", paths: list[Path] | None = None) -> pa.Table:
        """Union of all parts (or of ``paths``). ``on_error='skip'`` skips unreadable parts instead of raising."""
        tables = []
        for p in self.parts() if paths is None else paths:
            try:
                tables.append(to_table(pq.read_table(p), self.schema))
            except Exception as exc:  # corrupt or foreign file
                if on_error == "skip":
                    continue
                raise BadInput(f"{p}: unreadable Parquet part ({type(exc).__name__}: {exc})") from exc
        if not tables:
            return self.schema.empty_table()
        return pa.concat_tables(tables)

    def read(self, on_error: str = "raise", paths: list[Path] | None = None) -> pd.DataFrame:
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
        # The merged part is named after every old one, so "last wins" order is kept.
        path = atomic.write_table(self.directory / _part_name("compacted"), merged)
        for p in old:
            p.unlink(missing_ok=True)
        return path
