"""A dataset root → a recipe (``atdkit recipe export ROOT OUT_DIR``).

Film hashes come from the films themselves (their paths in ``films.parquet``; each must still be the
file that was mined), frame hashes from the stored frames (PNG is lossless: their pixels are the
decoded pixels), labels from the consensus of the root's votes (:mod:`atdkit.labels.consensus`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from atdkit.errors import BadInput
from atdkit.hashing import sha256_file
from atdkit.labels.consensus import compute as compute_consensus
from atdkit.recipes.fingerprint import frame_hash, frame_phash, stream_sha256
from atdkit.recipes.recipe import write_recipe
from atdkit.store.dataset import DatasetRoot
from atdkit.store.timing import timing_truth


def _film_rows(films: pd.DataFrame, titles: Mapping[str, str]) -> pd.DataFrame:
    rows = []
    for film in films.to_dict("records"):
        path = Path(str(film["path"]))
        if not path.is_file():
            raise BadInput(f"{path}: film {film['film_id']} not found (export hashes the films that were mined)")
        if film.get("sha256") and sha256_file(path) != film["sha256"]:
            raise BadInput(f"{path}: not the file that was mined as film {film['film_id']} (its sha256 changed)")
        rows.append({**film, "title": titles.get(film["film_id"], titles.get(path.name, path.stem)),
                     "file_name": path.name, "size_bytes": path.stat().st_size,
                     "stream_sha256": stream_sha256(path)})
    return pd.DataFrame(rows)


def _triplet_rows(root: DatasetRoot, triplets: pd.DataFrame) -> pd.DataFrame:
    hashes, phashes = [], []
    for tid in triplets["triplet_id"]:
        frames = root.read_frames(tid)
        hashes.append([frame_hash(f) for f in frames])
        phashes.append([frame_phash(f) for f in frames])
    out = triplets.drop(columns=["frame_sha256"]).copy()
    out["frame_hash"], out["frame_phash"] = hashes, phashes
    return out


def export_recipe(root_path: str | os.PathLike, out_dir: str | os.PathLike,
                  titles: Mapping[str, str] | None = None, with_candidates: bool = False) -> Path:
    """Write the recipe of the dataset root into ``out_dir``; returns it. ``titles``: film id (or file
    name) → title. Only mined films that succeeded and their triplets are listed; the rejected
    candidates only ``with_candidates``."""
    root = DatasetRoot.open(root_path)
    films = root.films()
    films = films[films["status"] == "ok"]
    triplets = root.triplets()
    triplets = triplets[triplets["film_id"].isin(films["film_id"])]
    if not len(triplets):
        raise BadInput(f"{root.path}: no mined triplet to put in a recipe")
    imported = sorted(set(triplets["source"].dropna()) - {"mined"})
    if imported:
        raise BadInput(f"{root.path}: holds {', '.join(imported)} triplets; a recipe lists mined films only")
    labels = compute_consensus(root)
    tables = {"films": _film_rows(films, titles or {}), "triplets": _triplet_rows(root, triplets),
              "labels": labels[labels["triplet_id"].isin(triplets["triplet_id"])]}
    if with_candidates:
        candidates = root.candidates()
        tables["candidates"] = candidates[candidates["film_id"].isin(films["film_id"])]
    timing = timing_truth(root).read()
    if len(timing):
        tables["timing"] = timing[timing["triplet_id"].isin(triplets["triplet_id"])]
    return write_recipe(out_dir, root.meta(), tables)
