"""Inter-annotator agreement: Cohen's kappa and RoI IoU (pure functions).

Several annotators label overlapping subsets, so kappa for a field is computed
for every pair of annotators over the triplets both labelled, and combined as the
mean of the pair kappas weighted by the number of shared triplets. Pairs sharing
fewer than ``MIN_SHARED_ITEMS`` (10) triplets, and pairs whose kappa is undefined,
are left out; ``agreement_pairs`` lists every pair with its n.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Hashable, Sequence

import pandas as pd

from atdkit.store.label_fields import LABEL_FIELDS

Box = tuple[float, float, float, float]  # x, y, w, h in pixels

# A pair of annotators enters a kappa only when they share at least this many labelled triplets:
# with fewer, one disagreement moves the pair's kappa by 0.2 or more, and such pairs would add noise.
MIN_SHARED_ITEMS = 10


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two raters' labels for the same items, in [-1, 1].

    kappa = (p_o − p_e) / (1 − p_e), with p_o the observed agreement and p_e the
    agreement expected from each rater's label frequencies. NaN when there are no
    items or p_e = 1 (both raters used one and the same label throughout)."""
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: {len(a)} labels vs {len(b)}")
    n = len(a)
    if n == 0:
        return math.nan
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if p_e >= 1.0:
        return math.nan
    return (p_o - p_e) / (1.0 - p_e)


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes, in [0, 1] (0 for empty boxes)."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def mean_pairwise_iou(boxes: Sequence[Box]) -> float:
    """Mean IoU over all pairs of ``boxes``; NaN for fewer than two boxes."""
    pairs = list(itertools.combinations(boxes, 2))
    if not pairs:
        return math.nan
    return sum(box_iou(p, q) for p, q in pairs) / len(pairs)


def pairwise_kappa(labels: pd.DataFrame, field: str,
                   min_shared: int = MIN_SHARED_ITEMS) -> tuple[float, int, pd.DataFrame]:
    """Kappa of ``field`` over annotator pairs.

    ``labels``: columns triplet_id, annotator, ``field`` (one row per triplet and
    annotator; null labels are ignored). A pair enters the mean only when it shares at
    least ``min_shared`` items and its kappa is defined. Returns (weighted mean kappa,
    shared items used, per-pair table with columns a, b, n, kappa, used)."""
    df = labels.dropna(subset=[field])
    wide = df.pivot_table(index="triplet_id", columns="annotator", values=field, aggfunc="last")
    rows = []
    for a, b in itertools.combinations(sorted(wide.columns), 2):
        both = wide[[a, b]].dropna()
        if len(both):
            k = cohen_kappa(list(both[a]), list(both[b]))
            rows.append({"a": a, "b": b, "n": len(both), "kappa": k,
                         "used": len(both) >= min_shared and not math.isnan(k)})
    pairs = pd.DataFrame(rows, columns=["a", "b", "n", "kappa", "used"])
    valid = pairs[pairs["used"].astype(bool)]
    if not len(valid):
        return math.nan, 0, pairs
    n = int(valid["n"].sum())
    return float((valid["kappa"] * valid["n"]).sum() / n), n, pairs


def roi_agreement(boxes: pd.DataFrame) -> tuple[float, int]:
    """Mean over triplets of the mean pairwise IoU of their boxes (columns triplet_id,
    roi_x, roi_y, roi_w, roi_h); returns (mean IoU, triplets with ≥ 2 boxes)."""
    ious = []
    for _, g in boxes.dropna(subset=["roi_x", "roi_y", "roi_w", "roi_h"]).groupby("triplet_id"):
        v = mean_pairwise_iou(list(g[["roi_x", "roi_y", "roi_w", "roi_h"]].itertuples(index=False, name=None)))
        if not math.isnan(v):
            ious.append(v)
    return (sum(ious) / len(ious) if ious else math.nan), len(ious)


def _kappa_measures(votes: pd.DataFrame, annotations: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str]]:
    """(measure, labels, field) of every kappa: accept/reject over the votes, then each label
    field over the annotations of annotators whose latest vote accepted."""
    accepted = accepting_annotations(votes, annotations)
    out = [("kappa accept/reject", votes[["triplet_id", "annotator", "accept"]] if len(votes) else votes, "accept")]
    out += [(f"kappa {lf.title.lower()}", accepted, lf.name) for lf in LABEL_FIELDS]
    return out


def agreement_pairs(votes: pd.DataFrame, annotations: pd.DataFrame,
                    min_shared: int = MIN_SHARED_ITEMS) -> pd.DataFrame:
    """Every annotator pair of every kappa: measure, a, b, n (shared items), kappa, used
    (False: fewer than ``min_shared`` shared items or kappa undefined)."""
    tables = []
    for measure, labels, field in _kappa_measures(votes, annotations):
        if len(labels):
            pairs = pairwise_kappa(labels, field, min_shared)[2]
            tables.append(pairs.assign(measure=measure))
    cols = ["measure", "a", "b", "n", "kappa", "used"]
    return pd.concat(tables, ignore_index=True)[cols] if tables else pd.DataFrame(columns=cols)


def agreement_table(votes: pd.DataFrame, annotations: pd.DataFrame,
                    min_shared: int = MIN_SHARED_ITEMS) -> pd.DataFrame:
    """Agreement of human labels: one row per measure (accept/reject, difficulty,
    motion type, behaviour kappas; mean RoI IoU) with columns measure, value, n (items
    used), pairs (annotator pairs used), pairs_left_out (pairs with fewer than
    ``min_shared`` shared items or an undefined kappa). Labels count only from
    annotators whose latest vote accepted the triplet."""
    rows = []
    for measure, labels, field in _kappa_measures(votes, annotations):
        k, n, pairs = pairwise_kappa(labels, field, min_shared) if len(labels) else (math.nan, 0, None)
        used = int(pairs["used"].astype(bool).sum()) if pairs is not None else 0
        rows.append({"measure": measure, "value": k, "n": n, "pairs": used,
                     "pairs_left_out": (len(pairs) - used) if pairs is not None else 0})
    accepted = accepting_annotations(votes, annotations)
    iou, n = roi_agreement(accepted) if len(accepted) else (math.nan, 0)
    rows.append({"measure": "mean RoI IoU", "value": iou, "n": n, "pairs": None, "pairs_left_out": None})
    return pd.DataFrame(rows)


def accepting_annotations(votes: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Annotations whose author's latest vote on that triplet is an accept."""
    if not len(votes) or not len(annotations):
        return annotations.iloc[0:0]
    acc = votes.loc[votes["accept"].astype(bool), ["triplet_id", "annotator"]]
    return annotations.merge(acc, on=["triplet_id", "annotator"], how="inner")
