"""Facts of the scored triplets that are not labels: the source film, the stride and the timing
(:mod:`atdkit.store.timing`: synthetic truth where the film has it, else the miner's balance flag).
They are read from the dataset root at report time (triplets never change once mined; a root that
cannot be read leaves the three breakdowns out, and the report says so)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atdkit.labels.categories import UNLABELLED
from atdkit.store.dataset import DatasetRoot
from atdkit.store.timing import TIMING_CLASSES, triplet_timing

FACTS = (("timing", "timing"), ("film", "source film"), ("stride", "stride"))  # (column, title)
UNKNOWN = UNLABELLED  # a triplet the root does not describe (e.g. removed since the run)


def triplet_facts(root: DatasetRoot) -> pd.DataFrame:
    """Per triplet of the root: ``film`` (file name), ``stride`` (text), ``timing`` (category),
    ``offset_px`` and ``curve``."""
    triplets = root.triplets()
    films = root.films()
    names = dict(zip(films["film_id"], films["path"].map(lambda p: Path(p).name if isinstance(p, str) else "?")))
    facts = pd.DataFrame({"triplet_id": triplets["triplet_id"],
                          "film": triplets["film_id"].map(lambda f: names.get(f, f)),
                          "stride": triplets["stride"].map(lambda s: str(int(s)) if pd.notna(s) else UNKNOWN)})
    timing = triplet_timing(root)[["triplet_id", "timing", "offset_px", "curve"]]
    return facts.merge(timing, on="triplet_id", how="left")


def with_facts(df: pd.DataFrame, facts: pd.DataFrame | None) -> pd.DataFrame:
    """``df`` with the fact columns (``unlabelled`` where a triplet has none; all of them without facts)."""
    df = df.drop(columns=[c for c, _ in FACTS if c in df] + ["offset_px", "curve"], errors="ignore")
    if facts is not None:
        df = df.merge(facts, on="triplet_id", how="left")
    for column, _ in FACTS:
        if column not in df:
            df[column] = None
        df[column] = df[column].astype(object).where(df[column].notna(), UNKNOWN)
    return df


def fact_order(column: str, values) -> list[str]:
    """Display order of a fact's values: timing classes in their order, strides numerically, films by name,
    ``unlabelled`` last."""
    values = list(values)
    unknown = [UNKNOWN] if UNKNOWN in values else []
    values = [v for v in values if v != UNKNOWN]
    if column == "timing":
        rank = {v: i for i, v in enumerate(TIMING_CLASSES)}
        values = sorted(values, key=lambda v: (rank.get(v, len(rank)), v))
    elif column == "stride":
        values = sorted(values, key=lambda v: (len(v), v))
    else:
        values = sorted(values)
    return values + unknown
