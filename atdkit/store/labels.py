"""Votes and annotations: append one part per submission; the latest submission
of an annotator for a triplet wins (by ``created_at``, then by part order)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

import pandas as pd

from atdkit.store.dataset import DatasetRoot
from atdkit.store.schema import MACHINE_ANNOTATORS


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


def _latest(df: pd.DataFrame) -> pd.DataFrame:
    if not len(df):
        return df
    df = df.reset_index(drop=True)
    df["_order"] = range(len(df))
    df = df.sort_values(["created_at", "_order"], kind="stable")
    df = df.drop_duplicates(subset=["triplet_id", "annotator"], keep="last")
    return df.drop(columns="_order").sort_values(["triplet_id", "annotator"]).reset_index(drop=True)


def latest_votes(root: DatasetRoot, humans_only: bool = False, on_error: str = "raise") -> pd.DataFrame:
    df = _latest(root.votes.read(on_error=on_error))
    if humans_only and len(df):
        df = df[~df["annotator"].isin(MACHINE_ANNOTATORS)].reset_index(drop=True)
    return df


def latest_annotations(root: DatasetRoot, humans_only: bool = False, on_error: str = "raise") -> pd.DataFrame:
    df = _latest(root.annotations.read(on_error=on_error))
    if humans_only and len(df):
        df = df[~df["annotator"].isin(MACHINE_ANNOTATORS)].reset_index(drop=True)
    return df
