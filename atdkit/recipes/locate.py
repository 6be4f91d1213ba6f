"""Finding a recipe's films among one's own files.

In order: a mapping file (``--map``: film id or title → path; for another encode or release of a film,
whose frames are then verified one by one), the file's sha256 (only files of the recorded size are
hashed), then the stream hash (a remux of the same encode). A film found nowhere is missing; when a file
bears its original name but matches neither hash, or cannot be read, the reason names that file.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from atdkit.errors import BadInput
from atdkit.hashing import sha256_file
from atdkit.recipes.fingerprint import stream_sha256


@dataclass
class Located:
    paths: dict[str, Path] = field(default_factory=dict)     # film id → the file to build it from
    how: dict[str, str] = field(default_factory=dict)        # film id → sha256 | stream | map
    missing: dict[str, str] = field(default_factory=dict)    # film id → why it was not found


def read_mapping(path: str | os.PathLike) -> dict[str, Path]:
    """A mapping file: JSON or TOML, an object of film id or title → film path (relative to the file)."""
    p = Path(path)
    try:
        text = p.read_text()
        data = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"{p}: unreadable film mapping ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadInput(f"{p}: a film mapping is an object of film id or title → film path")
    return {str(k): (p.parent / v) for k, v in data.items()}


def _files(dirs: Iterable[Path]) -> list[Path]:
    out = []
    for d in dirs:
        if not d.is_dir():
            raise BadInput(f"{d}: not a folder of films")
        out += sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))
    return out


def locate_films(films: pd.DataFrame, dirs: Iterable[str | os.PathLike],
                 mapping: dict[str, Path] | None = None) -> Located:
    """Find every film of a recipe's films table among the files under ``dirs`` (see the module doc)."""
    found = Located()
    mapping = mapping or {}
    wanted = films.to_dict("records")
    known = {f["film_id"] for f in wanted} | {f["title"] for f in wanted}
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise BadInput(f"film mapping names films the recipe does not list: {', '.join(unknown[:5])}")
    for film in wanted:
        target = mapping.get(film["film_id"]) or mapping.get(film["title"])
        if target is not None:
            if not target.is_file():
                raise BadInput(f"{target}: film {film['title']!r} ({film['film_id']}) mapped to a file that does not exist")
            found.paths[film["film_id"]], found.how[film["film_id"]] = target, "map"
    files = _files(Path(d) for d in dirs)
    todo = [f for f in wanted if f["film_id"] not in found.paths]
    sizes = {int(f["size_bytes"]) for f in todo if pd.notna(f["size_bytes"])}
    by_sha = {}
    for p in files:
        if p.stat().st_size in sizes:
            by_sha.setdefault(sha256_file(p), p)
    streams: dict[Path, str | BadInput] = {}

    def stream_of(p: Path) -> str | BadInput:
        if p not in streams:
            try:
                streams[p] = stream_sha256(p)
            except BadInput as exc:
                streams[p] = exc
        return streams[p]

    for film in todo:
        fid = film["film_id"]
        if film["sha256"] in by_sha:
            found.paths[fid], found.how[fid] = by_sha[film["sha256"]], "sha256"
            continue
        same_name = [p for p in files if p.name == film["file_name"]]
        # likeliest first: files of the same name, then any other
        for p in same_name + [p for p in files if p.name != film["file_name"]]:
            if stream_of(p) == film["stream_sha256"]:
                found.paths[fid], found.how[fid] = p, "stream"
                break
        else:
            found.missing[fid] = _why_missing(film, same_name, stream_of, dirs)
    return found


def _why_missing(film: dict, same_name: list[Path], stream_of, dirs) -> str:
    label = f"film {film['title']!r} ({film['film_id']})"
    for p in same_name:
        result = stream_of(p)
        if isinstance(result, BadInput):
            return f"{label}: {result}"
        return (f"{label}: {p} has its name but neither its file hash nor its stream hash "
                "(another encode or release? map it with --map to verify its frames)")
    return f"{label}: not found under {', '.join(str(d) for d in dirs)} (no file with its sha256 or stream hash)"
