"""A recipe folder on disk: ``recipe.json`` and four Parquet tables.

```
<recipe>/
  recipe.json        format, schema_version, the dataset's metadata (name, mining config),
                     the hash kinds, and per table its file, row count and sha256
  films.parquet      RECIPE_FILMS: per film its hashes, duration, fps, size, title
  triplets.parquet   RECIPE_TRIPLETS: per triplet its film, frames, timestamps, stride, frame hashes
  candidates.parquet CANDIDATES, optional (export --with-candidates): the rejected candidates and
                     why, the miner's record (about 20 rows per kept triplet: it would make a
                     recipe several times larger)
  labels.parquet     CONSENSUS: the consensus labels (RoI, difficulty, motion type, behaviour, votes)
  timing.parquet     TIMING_TRUTH, optional (written when the root has it, e.g. synthetic films): the
                     measured distance of each middle frame from the linear midpoint
```

Versioning: ``schema_version`` grows when a table or the header changes incompatibly; a reader refuses
a newer version with one line (upgrade atdkit) and reads older ones it knows. Reading checks every
table against the sha256 the header records, so a tampered or damaged recipe is refused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atdkit import __version__
from atdkit.errors import BadInput
from atdkit.hashing import sha256_file
from atdkit.store import atomic
from atdkit.store.schema import CANDIDATES, CONSENSUS, RECIPE_FILMS, RECIPE_TRIPLETS, to_table
from atdkit.store.timing import TIMING_TRUTH

FORMAT = "atdkit-recipe"
SCHEMA_VERSION = 1
HEADER = "recipe.json"
TABLES: dict[str, pa.Schema] = {"films": RECIPE_FILMS, "triplets": RECIPE_TRIPLETS,
                                "candidates": CANDIDATES, "labels": CONSENSUS, "timing": TIMING_TRUTH}
OPTIONAL = ("candidates", "timing")
SORT_KEYS = {"films": ["film_id"], "triplets": ["triplet_id"], "candidates": ["film_id", "f1", "stride", "f3"],
             "labels": ["triplet_id"], "timing": ["triplet_id"]}
HASH_KINDS = {
    "frame_hash": "blake2b-128 of the decoded frame as HxWx3 uint8 RGB, row-major, after the text 'HxWx3'",
    "frame_phash": "64-bit DCT pHash of the full-size frame (atdkit.mining.dedup.phash)",
    "stream_sha256": "sha256 over the first video stream's packet payloads in file order",
    "sha256": "sha256 of the film file",
}


@dataclass
class Recipe:
    path: Path
    header: dict[str, Any]
    films: pd.DataFrame
    triplets: pd.DataFrame
    candidates: pd.DataFrame
    labels: pd.DataFrame
    timing: pd.DataFrame

    @property
    def has_candidates(self) -> bool:
        return "candidates" in self.header.get("tables", {})

    @property
    def dataset_meta(self) -> dict[str, Any]:
        return self.header.get("dataset", {})


def write_recipe(out_dir: str | os.PathLike, dataset_meta: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Path:
    """Write the tables (sorted, zstd) then ``recipe.json`` (last, atomically: a recipe without its
    header is not a recipe). Returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    listed = {}
    for name, schema in TABLES.items():
        frame = tables.get(name)
        if frame is None and name in OPTIONAL:
            (out / f"{name}.parquet").unlink(missing_ok=True)
            continue
        if len(frame):
            frame = frame.sort_values(SORT_KEYS[name], kind="stable")
        table = to_table(frame, schema)
        path = out / f"{name}.parquet"
        with atomic.atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd", compression_level=9)
        listed[name] = {"file": path.name, "rows": table.num_rows, "sha256": sha256_file(path)}
    header = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "atdkit_version": __version__,
              "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "dataset": dataset_meta, "hashes": HASH_KINDS, "tables": listed}
    atomic.write_text(out / HEADER, json.dumps(header, indent=2, sort_keys=True, default=str) + "\n")
    return out


def read_recipe(path: str | os.PathLike) -> Recipe:
    """Read and check a recipe folder (or its recipe.json); BadInput, one line naming the file, for a
    missing or unreadable header, another format, a newer schema version, a missing table or one whose
    sha256 is not the header's."""
    p = Path(path)
    folder = p.parent if p.name == HEADER else p
    head_path = folder / HEADER
    if not head_path.is_file():
        raise BadInput(f"{folder}: not a recipe (no {HEADER})")
    try:
        header = json.loads(head_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{head_path}: unreadable recipe header ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BadInput(f"{head_path}: not an atdkit recipe (format is not {FORMAT!r})")
    version = header.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise BadInput(f"{head_path}: invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise BadInput(f"{head_path}: schema version {version} is newer than this atdkit reads "
                       f"({SCHEMA_VERSION}); upgrade atdkit (it has {__version__})")
    frames = {}
    for name, schema in TABLES.items():
        entry = (header.get("tables") or {}).get(name)
        if entry is None and name in OPTIONAL:
            frames[name] = schema.empty_table().to_pandas()
            continue
        if not isinstance(entry, dict) or "sha256" not in entry:
            raise BadInput(f"{head_path}: lists no {name} table")
        table_path = folder / str(entry.get("file", f"{name}.parquet"))
        if table_path.parent != folder:
            raise BadInput(f"{head_path}: table {name} lies outside the recipe folder")
        if not table_path.is_file():
            raise BadInput(f"{table_path}: missing (listed in {HEADER})")
        if sha256_file(table_path) != entry["sha256"]:
            raise BadInput(f"{table_path}: sha256 differs from the one {HEADER} records "
                           "(the recipe was altered or damaged)")
        try:
            frames[name] = to_table(pq.read_table(table_path), schema).to_pandas()
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise BadInput(f"{table_path}: not a {name} table of schema version {version} ({exc})") from exc
    return Recipe(folder, header, **{name: frames[name] for name in TABLES})


def recipe_size(path: str | os.PathLike) -> int:
    """Bytes of a recipe folder's files."""
    return sum(p.stat().st_size for p in Path(path).iterdir() if p.is_file() and not p.name.startswith("."))
