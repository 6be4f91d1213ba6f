"""Machine labels for triplets mined from synthetic films, from the films' ground truth.

``label_from_truth(root)`` writes, for every triplet of the root whose film has
a ``.truth.json`` sidecar (see :mod:`atdkit.synth`), one vote (accept) and one
annotation under the reserved annotator ``synthetic-truth``:

- **RoI**: the union of the bounding boxes, in frame2 (full-size pixels), of the
  pieces whose pose differs between frame1 and frame3; the whole frame when
  nothing but the camera moves (a pan over a held drawing);
- **motion_type**: that of the dominant piece (largest motion amount); a pure
  camera pan is ``translation``;
- **behavior**: the dominant piece's behaviour, by the documented mapping of
  piece kinds (``atdkit.synth.plan.BEHAVIORS_BY_KIND``): walker (bobbing
  translation) → walking, fetcher (out-and-back translation) → fetching, talker
  (pulsing deformation) → speaking, prop → others; ``others`` for a pure pan;
- **difficulty**: from the motion amount, in pixels at a 960-pixel frame width:
  the largest over moving pieces of centre displacement + half the box size ×
  (|Δangle| in radians + |Δscale| + |Δsquash| + |Δwobble|), plus the camera's
  displacement: easy < 12, medium < 40, hard ≥ 40 (the thresholds of
  ``atdkit.motion``'s flow-based suggestion).

Beside the labels it records each triplet's timing in the root's timing table
(:mod:`atdkit.store.timing`): how far the true middle lies from the linear
midpoint (pixels of the film's frame) and the timing curve that produced it,
as the film's sidecar measured them (:mod:`atdkit.synth.timing`).

Triplets that already have a ``synthetic-truth`` annotation (and a timing row)
are skipped, so running it again writes nothing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from atdkit.motion import EASY_P95, HARD_P95, REFERENCE_WIDTH
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import add_annotations, add_votes, latest_annotations
from atdkit.store.timing import timing_truth
from atdkit.synth import load_truth

ANNOTATOR = "synthetic-truth"


def _amount(before: dict[str, Any], after: dict[str, Any]) -> float:
    """Motion amount (frame px) of one piece between two frames (see module doc)."""
    p0, p1 = before["pose"], after["pose"]
    box = after["bbox"] or before["bbox"] or [0, 0, 0, 0]
    half = max(box[2], box[3]) / 2
    shape = abs(math.radians(p1[2] - p0[2])) + sum(abs(p1[k] - p0[k]) for k in (3, 4, 5))
    return math.hypot(p1[0] - p0[0], p1[1] - p0[1]) + half * shape


def middle_timing(truth: dict[str, Any], f1: int, f2: int, f3: int) -> dict[str, Any] | None:
    """``{"offset_px", "curve"}`` of triplet (f1, f2, f3) from the sidecar; None when it has none (a sidecar
    written before timings were recorded, or a stride it does not record)."""
    if f2 - f1 != f3 - f2:
        return None
    return truth["frames"][f2].get("middle", {}).get(str(f2 - f1))


def truth_labels(truth: dict[str, Any], f1: int, f2: int, f3: int) -> dict[str, Any]:
    """RoI, motion type, behaviour and difficulty of triplet (f1, f2, f3) of a synthetic film."""
    frames = truth["frames"]
    a, b, c = frames[f1], frames[f2], frames[f3]
    width, height = truth["width"], truth["height"]
    first = {p["id"]: p for p in a["pieces"]}
    last = {p["id"]: p for p in c["pieces"]}
    moving = []
    for piece in b["pieces"]:
        pid = piece["id"]
        if pid in first and pid in last and first[pid]["pose"] != last[pid]["pose"]:
            moving.append((_amount(first[pid], last[pid]), piece))
    camera = math.hypot(c["camera"][0] - a["camera"][0], c["camera"][1] - a["camera"][1])
    boxes = [p["bbox"] for _, p in moving if p["bbox"]]
    if boxes:
        x0 = min(bx[0] for bx in boxes)
        y0 = min(bx[1] for bx in boxes)
        x1 = max(bx[0] + bx[2] for bx in boxes)
        y1 = max(bx[1] + bx[3] for bx in boxes)
        roi = (x0, y0, x1 - x0, y1 - y0)
    else:
        roi = (0.0, 0.0, float(width), float(height))
    if moving:
        amount, dominant = max(moving, key=lambda m: m[0])
        motion_type, behavior = dominant["motion"], dominant["behavior"]
    else:
        amount, motion_type, behavior = 0.0, "translation", "others"
    amount = (amount + camera) * REFERENCE_WIDTH / width
    difficulty = "easy" if amount < EASY_P95 else "medium" if amount < HARD_P95 else "hard"
    return {"roi_x": float(roi[0]), "roi_y": float(roi[1]), "roi_w": float(roi[2]), "roi_h": float(roi[3]),
            "motion_type": motion_type, "behavior": behavior, "difficulty": difficulty, "motion_amount": amount}


def label_from_truth(root: DatasetRoot | str | Path) -> int:
    """Write ``synthetic-truth`` votes and annotations for the root's synthetic triplets; returns rows written
    (annotations; one vote accompanies each)."""
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    triplets = root.triplets()
    films = root.films()
    if not len(triplets) or not len(films):
        return 0
    done = latest_annotations(root)
    done_ids = set(done.loc[done["annotator"] == ANNOTATOR, "triplet_id"]) if len(done) else set()
    timed_ids = set(timing_truth(root).read()["triplet_id"])
    truths: dict[str, dict | None] = {}
    annotations, votes, timings = [], [], []
    paths = dict(zip(films["film_id"], films["path"]))
    for t in triplets.itertuples():
        if ((t.triplet_id in done_ids and t.triplet_id in timed_ids) or t.film_id not in paths
                or not isinstance(paths[t.film_id], str)):
            continue
        if t.film_id not in truths:
            truths[t.film_id] = load_truth(paths[t.film_id]) if Path(paths[t.film_id]).exists() else None
        truth = truths[t.film_id]
        if truth is None:
            continue
        timing = middle_timing(truth, int(t.f1), int(t.f2), int(t.f3))
        if timing is not None and t.triplet_id not in timed_ids:
            timings.append({"triplet_id": t.triplet_id, "offset_px": timing["offset_px"], "width": truth["width"],
                            "curve": timing["curve"], "source": ANNOTATOR})
        if t.triplet_id in done_ids:
            continue
        labels = truth_labels(truth, int(t.f1), int(t.f2), int(t.f3))
        labels.pop("motion_amount")
        annotations.append({"triplet_id": t.triplet_id, "annotator": ANNOTATOR, **labels})
        votes.append({"triplet_id": t.triplet_id, "annotator": ANNOTATOR, "accept": True, "reason": None})
    if timings:
        timing_truth(root).append(pd.DataFrame(timings))
    if annotations:
        add_votes(root, votes)
        add_annotations(root, annotations)
    return len(annotations)
