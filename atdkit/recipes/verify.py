"""Checking a dataset root against a recipe (``atdkit recipe verify ROOT RECIPE``): every difference as
one line. Compared: the dataset's config, the films (all recipe columns a root holds; not their paths),
the triplets (every column; which are missing or extra), the pixels of every stored frame against the
recipe's frame hashes, the rejected candidates (when the recipe lists them) and the consensus labels."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from atdkit.errors import BadInput
from atdkit.labels.consensus import compute as compute_consensus
from atdkit.labels.consensus import consensus_path
from atdkit.recipes.fingerprint import frame_hash, frame_phash, hamming
from atdkit.recipes.recipe import read_recipe
from atdkit.store import quarantine
from atdkit.store.dataset import FRAME_NAMES, DatasetRoot
from atdkit.store.frames import read_rgb
from atdkit.store.schema import CONSENSUS
from atdkit.store.timing import timing_truth

SHOWN = 5  # ids named per difference


@dataclass
class Verification:
    differences: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return not self.differences


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality of two aligned columns, nulls equal to nulls, lists compared as lists."""
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        if isinstance(x, (list, np.ndarray)) or isinstance(y, (list, np.ndarray)):
            out.append(x is not None and y is not None and list(x) == list(y))
        elif (x is None or (isinstance(x, float) and np.isnan(x))) and (y is None or (isinstance(y, float) and np.isnan(y))):
            out.append(True)
        else:
            out.append(x == y)
    return np.asarray(out, dtype=bool)


def _ids(values) -> str:
    values = sorted(map(str, values))
    return ", ".join(values[:SHOWN]) + (f" … ({len(values)} in all)" if len(values) > SHOWN else "")


def compare_tables(name: str, root: pd.DataFrame, recipe: pd.DataFrame, key: list[str],
                   skip: tuple[str, ...] = ()) -> list[str]:
    """Lines saying which rows one side lacks and which columns differ in the rows both hold."""
    lines = []
    a, b = root.set_index(key), recipe.set_index(key)
    missing, extra = b.index.difference(a.index), a.index.difference(b.index)
    if len(missing):
        lines.append(f"{name}: {len(missing)} row(s) of the recipe missing from the root: {_ids(missing)}")
    if len(extra):
        lines.append(f"{name}: {len(extra)} row(s) in the root the recipe does not list: {_ids(extra)}")
    common = b.index.intersection(a.index)
    a, b = a.loc[common], b.loc[common]
    for column in b.columns:
        if column in skip:
            continue
        if column not in a.columns:
            lines.append(f"{name}: column {column} missing from the root")
            continue
        differ = ~_same(a[column], b[column])
        if differ.any():
            lines.append(f"{name}: column {column} differs in {int(differ.sum())} row(s): {_ids(common[differ])}")
    return lines


def compare_rows(name: str, root: pd.DataFrame, recipe: pd.DataFrame) -> list[str]:
    """For a table without a key (candidates): rows one side holds more often than the other."""
    def rows(df: pd.DataFrame) -> Counter:
        return Counter(tuple("null" if pd.isna(v) else repr(v) for v in r)
                       for r in df[list(recipe.columns)].itertuples(index=False, name=None))
    a, b = rows(root), rows(recipe)
    lines = []
    if b - a:
        lines.append(f"{name}: {sum((b - a).values())} row(s) of the recipe missing from the root")
    if a - b:
        lines.append(f"{name}: {sum((a - b).values())} row(s) in the root the recipe does not list")
    return lines


def _frame_lines(root: DatasetRoot, triplets: pd.DataFrame) -> tuple[list[str], int]:
    differ: dict[str, list[str]] = {}
    checked = 0
    for t in triplets.itertuples():
        for k, name in enumerate(FRAME_NAMES):
            path = root.frames_dir(t.triplet_id) / name
            try:
                rgb = read_rgb(path) if path.is_file() else None
            except (BadInput, quarantine.CorruptFile) as exc:
                differ.setdefault("unreadable", []).append(f"{t.triplet_id}/{name} ({exc})")
                continue
            if rgb is None:
                differ.setdefault("missing", []).append(f"{t.triplet_id}/{name}")
                continue
            checked += 1
            if frame_hash(rgb) != t.frame_hash[k]:
                bits = hamming(frame_phash(rgb), t.frame_phash[k])
                differ.setdefault("different", []).append(f"{t.triplet_id}/{name} (pHash {bits} bits away)")
    return [f"frames: {len(v)} {kind}: {_ids(v)}" for kind, v in differ.items()], checked


def verify_root(root_path: str | os.PathLike, recipe_path: str | os.PathLike) -> Verification:
    recipe = read_recipe(recipe_path)
    root = DatasetRoot.open(root_path)
    result = Verification()
    if root.meta().get("config", {}) != recipe.dataset_meta.get("config", {}):
        result.differences.append(f"{root.meta_path}: the config differs from the recipe's")
    films = root.films()
    result.differences += compare_tables("films", films, recipe.films, ["film_id"],
                                         skip=("title", "file_name", "size_bytes", "stream_sha256"))
    triplets = root.triplets()
    result.differences += compare_tables("triplets", triplets, recipe.triplets, ["triplet_id"],
                                         skip=("frame_hash", "frame_phash"))
    held = recipe.triplets[recipe.triplets["triplet_id"].isin(triplets["triplet_id"])]
    lines, checked = _frame_lines(root, held)
    result.differences += lines
    if recipe.has_candidates:
        result.differences += compare_rows("candidates", root.candidates(), recipe.candidates)
    path = consensus_path(root)
    # consensus.parquet is derived from the votes: a root that has votes but no consensus written yet
    # is compared by its computed consensus (a rebuilt root has the consensus and no votes)
    labels = quarantine.read_parquet(path, CONSENSUS).to_pandas() if path.is_file() else compute_consensus(root)
    result.differences += compare_tables("labels", labels, recipe.labels, ["triplet_id"])
    if len(recipe.timing):
        result.differences += compare_tables("timing", timing_truth(root).read(), recipe.timing, ["triplet_id"])
    result.counts = {"films": len(films), "triplets": len(triplets), "frames": checked, "labels": len(labels)}
    return result
