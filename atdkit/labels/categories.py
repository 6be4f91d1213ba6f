"""The category labels a benchmark report groups by, one row per triplet.

Per triplet, the first source that has any label wins:
1. human consensus from ``consensus.parquet`` (accepted or needing adjudication;
   its ``source`` column says ``human`` or the machine annotator it came from);
2. machine labels: the latest annotation of an annotator in
   ``schema.is_machine_annotator`` (``synthetic-truth`` from the demo films,
   ``imported:<name>`` from ``import-atd``, ``atd12k-official`` in older roots);
3. otherwise the triplet is ``unlabelled`` (all label fields null).

``status`` is the triplet's decision: the consensus status when consensus.parquet decided
it (anything but ``pending``), else the latest machine vote's (``accepted``/``rejected``),
else ``pending``. ``roi_image_w/h`` is always filled where there is a box (the stored
frame2 size unless the label says otherwise).
"""

from __future__ import annotations

import pandas as pd

from atdkit.labels.consensus import frame_sizes
from atdkit.store import quarantine
from atdkit.store.dataset import DatasetRoot
from atdkit.store.label_fields import LABEL_NAMES
from atdkit.store.labels import latest_annotations, latest_votes
from atdkit.store.schema import CONSENSUS, is_machine_annotator

LABEL_FIELDS = LABEL_NAMES
ROI_FIELDS = ("roi_x", "roi_y", "roi_w", "roi_h", "roi_image_w", "roi_image_h")
COLUMNS = ("triplet_id", *LABEL_FIELDS, *ROI_FIELDS, "source", "status")
UNLABELLED = "unlabelled"


def _has_labels(row: dict) -> bool:
    return any(pd.notna(row.get(k)) for k in (*LABEL_FIELDS, "roi_w"))


def _read_consensus(root: DatasetRoot) -> pd.DataFrame:
    path = root.path / "consensus.parquet"
    if not path.is_file():
        return pd.DataFrame(columns=[f.name for f in CONSENSUS])
    try:
        return quarantine.read_parquet(path, CONSENSUS).to_pandas()
    except quarantine.CorruptFile as exc:  # derived: moved aside, `atdkit consensus` rebuilds it from the parts
        quarantine.say_continuing(exc, "consensus labels until `atdkit consensus` rebuilds it")
        return pd.DataFrame(columns=[f.name for f in CONSENSUS])


def _machine_labels(root: DatasetRoot) -> dict[str, dict]:
    ann = latest_annotations(root, on_error="skip")
    if not len(ann):
        return {}
    ann = ann[ann["annotator"].map(is_machine_annotator).astype(bool)].sort_values("created_at", kind="stable")
    return {r["triplet_id"]: r for r in ann.to_dict("records")}  # latest per triplet wins


def _machine_decisions(root: DatasetRoot) -> dict[str, str]:
    votes = latest_votes(root, on_error="skip")
    if not len(votes):
        return {}
    votes = votes[votes["annotator"].map(is_machine_annotator).astype(bool)].sort_values("created_at", kind="stable")
    return {t: ("accepted" if a else "rejected") for t, a in zip(votes["triplet_id"], votes["accept"])}


def category_labels(root: DatasetRoot | str) -> pd.DataFrame:
    """One row per triplet of ``root``: triplet_id, difficulty, motion_type, behavior,
    roi_x/y/w/h, roi_image_w/h (null = the stored frame2 size), source
    (``human``, a machine annotator name, or ``unlabelled``), status (see the module)."""
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    triplets = root.triplets()
    tids = list(triplets["triplet_id"])
    decided = {r["triplet_id"]: r for r in _read_consensus(root).to_dict("records")}
    consensus = {t: r for t, r in decided.items() if r.get("status") in ("accepted", "needs_adjudication")}
    machine = _machine_labels(root)
    machine_decisions = _machine_decisions(root)
    sizes = frame_sizes(triplets)
    rows = []
    for tid in tids:
        status = (decided.get(tid) or {}).get("status")
        if status in (None, "pending"):
            status = machine_decisions.get(tid, "pending")
        row = {"triplet_id": tid, "source": UNLABELLED, "status": status}
        c = consensus.get(tid)
        if c is not None and _has_labels(c):
            row.update({k: c.get(k) for k in (*LABEL_FIELDS, *ROI_FIELDS)})
            row["source"] = c.get("source") or "human"
            m = machine.get(tid)
            if pd.isna(row.get("roi_image_w")) and m is not None and m["annotator"] == row["source"]:
                row["roi_image_w"], row["roi_image_h"] = m.get("roi_image_w"), m.get("roi_image_h")
        elif tid in machine and _has_labels(machine[tid]):
            m = machine[tid]
            row.update({k: m.get(k) for k in (*LABEL_FIELDS, *ROI_FIELDS)})
            row["source"] = m["annotator"]
        if pd.notna(row.get("roi_w")) and pd.isna(row.get("roi_image_w")) and tid in sizes:
            row["roi_image_w"], row["roi_image_h"] = sizes[tid]
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for k in ("roi_image_w", "roi_image_h"):
        df[k] = df[k].astype("Int32")
    for k in ("roi_x", "roi_y", "roi_w", "roi_h"):
        df[k] = df[k].astype("float64")
    return df
