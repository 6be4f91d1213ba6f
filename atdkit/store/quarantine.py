"""Corrupt files are moved aside, never read as data.

A file of a dataset root or a benchmark run folder (the nearest folder above it that holds
``dataset.json`` or ``run.json``) that cannot be read as what it should be (truncated or corrupt
Parquet, PNG, ``.npy`` or JSON) is moved to ``<that folder>/quarantine/<its relative path>``, with
``<name>.reason.txt`` beside it saying why and when; the reader then raises :class:`CorruptFile`,
whose message is the one line a user sees (the file, what is wrong, where it went). The caller
decides, per table, whether its command continues without the file (and says so with
:func:`say_continuing`) or stops. Files outside a root or run (a user's own folder) are never moved.

Files are written atomically (``atomic``), so a file under its final name is complete: a read
that fails is corruption, not a write in progress. A file that vanished (a compaction merged it, a
second reader moved it aside first) is not corruption: ``FileNotFoundError`` passes through.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from atdkit.errors import BadInput
from atdkit.store.schema import to_table

FOLDER = "quarantine"
MARKERS = ("dataset.json", "run.json")


class CorruptFile(BadInput):
    """A file was unreadable; it has been moved aside (``moved_to``; None outside a root or run)."""

    def __init__(self, path: Path, reason: str, moved_to: Path | None):
        where = f"moved to {moved_to}" if moved_to else "left in place"
        super().__init__(f"{path}: {reason}; {where}")
        self.path, self.reason, self.moved_to = path, reason, moved_to


def owner_folder(path: str | os.PathLike) -> Path | None:
    """The dataset root or run folder that ``path`` belongs to, or None."""
    path = Path(path).absolute()
    for folder in path.parents:
        if any((folder / m).is_file() for m in MARKERS):
            return folder
    return None


def move_aside(path: str | os.PathLike, reason: str) -> Path | None:
    """Move ``path`` into its root's or run's quarantine folder with a reason file; return where it went
    (None outside a root or run, or when another reader moved it first)."""
    path = Path(path).absolute()
    owner = owner_folder(path)
    if owner is None or FOLDER in path.relative_to(owner).parts[:1]:
        return None
    dest = owner / FOLDER / path.relative_to(owner)
    dest.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while dest.exists():  # a file of the same name was quarantined before: keep both
        dest = dest.with_name(f"{path.name}.{n}")
        n += 1
    try:
        os.replace(path, dest)
    except FileNotFoundError:
        return None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    dest.with_name(dest.name + ".reason.txt").write_text(f"{path}\n{reason}\nmoved aside {stamp} by pid {os.getpid()}\n")
    return dest


def corrupt(path: str | os.PathLike, reason: str) -> CorruptFile:
    """Move ``path`` aside and return the error to raise."""
    return CorruptFile(Path(path), reason, move_aside(path, reason))


def say_continuing(exc: CorruptFile, without: str) -> None:
    """The one line on stderr of a command that goes on without a corrupt file."""
    print(f"{exc}; continuing without {without}", file=sys.stderr)


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def read_parquet(path: str | os.PathLike, schema: pa.Schema | None = None) -> pa.Table:
    """A Parquet file (conformed to ``schema`` when given); CorruptFile if it is not one."""
    try:
        table = pq.read_table(path)
        return to_table(table, schema) if schema is not None else table
    except FileNotFoundError:
        raise
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise corrupt(path, f"unreadable Parquet ({_why(exc)})") from None


def read_json(path: str | os.PathLike) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text)
    except FileNotFoundError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt(path, f"unreadable JSON ({_why(exc)})") from None


def load_npy(path: str | os.PathLike) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise corrupt(path, f"unreadable .npy ({_why(exc)})") from None
