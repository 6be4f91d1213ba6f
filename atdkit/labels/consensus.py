"""Votes and annotations → ``consensus.parquet`` (schema ``CONSENSUS``).

Rules, per triplet, over the latest human vote of each annotator (machine
machine annotators (``schema.is_machine_annotator``) never count as humans):

- **status**: ``accepted`` when at least two annotators accepted and accepts
  outnumber rejects; ``rejected`` when at least two rejected and rejects outnumber
  accepts; ``needs_adjudication`` on a tie of two or more each; otherwise
  ``pending``. A triplet with no human vote but a machine vote takes the machine's
  decision and labels (``source`` = that machine annotator).
- **RoI** (accepted only): the coordinate-wise median of the accepting annotators'
  box corners (x0, y0, x1, y1), so one outlier among three cannot drag the box
  (human boxes are in stored frame2 pixels; a machine label's ``roi_image_w/h`` is
  carried over);
  ``roi_iou`` is the mean pairwise IoU of those boxes and ``roi_flag`` is set when
  it is below 0.5.
- **difficulty, motion type, behaviour** (accepted only): the value chosen by a
  strict majority of the accepting annotators who gave one; a field without a
  majority is left null, named in ``conflicts``, and the triplet becomes
  ``needs_adjudication``.
- **adjudication**: an admin's latest ruling for the triplet (``labels/adjudications``)
  overrides: its status, box and non-null fields replace the computed ones and
  remove those fields from ``conflicts``; a ruled triplet without remaining
  conflicts is ``accepted`` or ``rejected`` as ruled, and ``adjudicated`` is true.
- **carried labels**: a triplet nobody has voted on or ruled keeps the consensus row it was
  built with (``DatasetRoot.carried_labels``: a recipe's labels, whose votes stayed behind), so
  recomputing never erases them; the first vote or ruling on it starts its consensus afresh.
- **roi_image_w/h**: the frame size a box refers to; for human boxes and rulings the
  stored frame2 size (``frame_sizes``, from ``triplets.parquet``), for a machine label its own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from atdkit.labels.agreement import mean_pairwise_iou
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.label_fields import LABEL_NAMES
from atdkit.store.labels import latest_adjudications, latest_annotations, latest_votes
from atdkit.store.parts import to_table
from atdkit.store.schema import CONSENSUS, is_machine_annotator

FIELDS = LABEL_NAMES  # every label field takes the majority
ROI = ("roi_x", "roi_y", "roi_w", "roi_h")
IOU_FLAG_BELOW = 0.5


def merge_boxes(boxes: Sequence[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """Coordinate-wise median of the corners of (x, y, w, h) boxes → (x, y, w, h)."""
    arr = np.asarray(boxes, dtype=np.float64)
    corners = np.stack([arr[:, 0], arr[:, 1], arr[:, 0] + arr[:, 2], arr[:, 1] + arr[:, 3]], axis=1)
    x0, y0, x1, y1 = np.median(corners, axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def majority(values: Sequence[str]) -> str | None:
    """The value held by more than half of ``values`` (None when there is none)."""
    if not values:
        return None
    value, count = Counter(values).most_common(1)[0]
    return value if count * 2 > len(values) else None


def _decide(n_accept: int, n_reject: int) -> str:
    if n_accept >= 2 and n_accept > n_reject:
        return "accepted"
    if n_reject >= 2 and n_reject > n_accept:
        return "rejected"
    if n_accept >= 2 and n_accept == n_reject:
        return "needs_adjudication"
    return "pending"


def _labels(row: dict, ann: pd.DataFrame) -> list[str]:
    """Fill the merged box and fields of ``row`` from accepting annotations; returns conflicts."""
    boxes = [tuple(b) for b in ann[list(ROI)].dropna().itertuples(index=False, name=None)]
    if boxes:
        row.update(zip(ROI, merge_boxes(boxes)))
        sizes = {(_size(r.get("roi_image_w")), _size(r.get("roi_image_h"))) for r in ann.to_dict("records")
                 if _present(r.get("roi_w"))}
        if len(sizes) == 1:  # boxes of machine labels may refer to another frame size (ATD-12K originals)
            row["roi_image_w"], row["roi_image_h"] = sizes.pop()
        iou = mean_pairwise_iou(boxes)
        row["roi_iou"] = None if math.isnan(iou) else iou
        row["roi_flag"] = (not math.isnan(iou)) and iou < IOU_FLAG_BELOW
    conflicts = []
    for field in FIELDS:
        values = [v for v in ann[field] if isinstance(v, str)]
        row[field] = majority(values)
        if values and row[field] is None:
            conflicts.append(field)
    return conflicts


def _apply_ruling(row: dict, conflicts: list[str], ruling: dict) -> list[str]:
    if all(_present(ruling.get(c)) for c in ROI):
        row.update({c: float(ruling[c]) for c in ROI})
        row["roi_image_w"] = row["roi_image_h"] = None  # rulings use the stored frame2 size
        row["roi_flag"] = False
    for field in FIELDS:
        if _present(ruling.get(field)):
            row[field] = ruling[field]
            conflicts = [c for c in conflicts if c != field]
    if ruling.get("status") == "rejected":
        row.update({c: None for c in (*ROI, *FIELDS, "roi_image_w", "roi_image_h", "roi_iou", "roi_flag")})
        row["status"] = "rejected"
        return []
    if ruling.get("status") == "accepted":
        conflicts = [c for c in conflicts if c != "decision"]
        row["status"] = "accepted"
    return conflicts


def _size(value) -> int | None:
    return int(value) if _present(value) else None


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def build_consensus(triplet_ids: Sequence[str], votes: pd.DataFrame, annotations: pd.DataFrame,
                    adjudications: pd.DataFrame | None = None,
                    frame_sizes: Mapping[str, tuple[int, int]] | None = None,
                    carried: pd.DataFrame | None = None) -> pd.DataFrame:
    """The consensus table (``CONSENSUS`` columns), one row per id in ``triplet_ids``.

    ``votes`` / ``annotations``: latest per (triplet, annotator), machine annotators
    included (they are separated here); ``adjudications``: latest per triplet;
    ``frame_sizes``: triplet id → stored frame2 (width, height), for ``roi_image_w/h``;
    ``carried``: consensus rows that stand for triplets without any vote or ruling."""
    frame_sizes = frame_sizes or {}
    carried_rows = {} if carried is None or not len(carried) else \
        {r["triplet_id"]: r for r in carried.to_dict("records")}
    known = set(triplet_ids)
    votes = votes[votes["triplet_id"].isin(known)] if len(votes) else votes
    by_tid_votes = dict(tuple(votes.groupby("triplet_id"))) if len(votes) else {}
    by_tid_ann = dict(tuple(annotations.groupby("triplet_id"))) if len(annotations) else {}
    rulings = {} if adjudications is None or not len(adjudications) else \
        {r["triplet_id"]: r for r in adjudications.to_dict("records")}
    rows = []
    for tid in triplet_ids:
        if tid in carried_rows and tid not in by_tid_votes and tid not in rulings:
            rows.append(carried_rows[tid])
            continue
        v = by_tid_votes.get(tid, votes.iloc[0:0] if len(votes) else pd.DataFrame(columns=["annotator", "accept"]))
        human = v[~v["annotator"].map(is_machine_annotator).astype(bool)]
        n_accept = int(human["accept"].astype(bool).sum())
        row = {"triplet_id": tid, "n_votes": len(human), "n_accept": n_accept, "source": "human",
               "status": _decide(n_accept, len(human) - n_accept)}
        deciders = human
        if row["status"] == "pending" and not len(human):
            machine = v[v["annotator"].map(is_machine_annotator).astype(bool)]
            if len(machine):
                m = machine.sort_values("created_at").iloc[-1]
                row["status"], row["source"] = ("accepted" if m["accept"] else "rejected"), m["annotator"]
                deciders = machine[machine["annotator"] == m["annotator"]]
        conflicts = ["decision"] if row["status"] == "needs_adjudication" else []
        if row["status"] in ("accepted", "needs_adjudication"):
            accepting = set(deciders.loc[deciders["accept"].astype(bool), "annotator"])
            ann = by_tid_ann.get(tid)
            if ann is not None:
                conflicts += _labels(row, ann[ann["annotator"].isin(accepting)])
        row["adjudicated"] = tid in rulings
        if tid in rulings:
            conflicts = _apply_ruling(row, conflicts, rulings[tid])
        if _present(row.get("roi_w")) and not _present(row.get("roi_image_w")) and tid in frame_sizes:
            row["roi_image_w"], row["roi_image_h"] = frame_sizes[tid]
        if conflicts:
            row["status"] = "needs_adjudication"
        elif row["status"] == "needs_adjudication":
            row["status"] = "accepted"
        row["conflicts"] = ",".join(conflicts) or None
        rows.append(row)
    return to_table(pd.DataFrame(rows, columns=[f.name for f in CONSENSUS]), CONSENSUS).to_pandas()


def consensus_path(root: DatasetRoot) -> Path:
    return root.path / "consensus.parquet"


def frame_sizes(triplets: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """triplet id → stored (width, height) from a triplets table (rows without a size left out)."""
    if not {"width", "height"} <= set(triplets.columns):
        return {}
    ok = triplets.dropna(subset=["width", "height"])
    return {t: (int(w), int(h)) for t, w, h in zip(ok["triplet_id"], ok["width"], ok["height"])}


def compute(root: DatasetRoot, on_error: str = "raise") -> pd.DataFrame:
    """Consensus for every triplet of ``root``. A corrupt label part is always moved aside into the
    root's quarantine (as the app's reader does); with ``on_error='raise'`` the CorruptFile is raised,
    so ``atdkit consensus`` stops once rather than write a consensus silently lacking a submission,
    and the next run goes on without the part; ``'skip'`` goes on at once and says so on stderr."""
    triplets = root.triplets()
    return build_consensus(list(triplets["triplet_id"]), latest_votes(root, on_error=on_error),
                           latest_annotations(root, on_error=on_error),
                           latest_adjudications(root, on_error=on_error), frame_sizes(triplets),
                           root.carried_labels())


def write_consensus(root: DatasetRoot, table: pd.DataFrame | None = None) -> Path:
    """Compute (unless given) and write ``consensus.parquet`` atomically."""
    table = compute(root) if table is None else table
    return atomic.write_table(consensus_path(root), to_table(table, CONSENSUS))
