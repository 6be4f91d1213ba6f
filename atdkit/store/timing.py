"""Timing of triplets: how far frame 2 is from the linear midpoint of frames 1 and 3.

Two sources, one category per triplet (:func:`triplet_timing`):

- **synthetic truth** (``labels/timing/``, written with the machine labels of
  synthetic films, :mod:`atdkit.synth.truth`): the distance ``offset_px`` (pixels
  of the film's frame) between the true middle drawing and the linear midpoint,
  and the timing curve that produced it. Category by that distance at a
  960-pixel frame width (:data:`REFERENCE_WIDTH`): ``near-linear`` below
  :data:`NEAR_LINEAR_PX`, ``eased`` below :data:`STRONG_PX`, ``strongly
  non-linear`` from there;
- **the miner** (real films): ``balanced drawings`` when the two halves of the
  triplet hold the same number of drawing changes (``triplets.timing_balanced``),
  ``unbalanced drawings`` otherwise.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from atdkit.store.dataset import DatasetRoot
from atdkit.store.parts import PartTable

REFERENCE_WIDTH = 960
NEAR_LINEAR_PX = 3.0
STRONG_PX = 12.0
TRUTH_CLASSES = ("near-linear", "eased", "strongly non-linear")
MINER_CLASSES = ("balanced drawings", "unbalanced drawings")
TIMING_CLASSES = TRUTH_CLASSES + MINER_CLASSES  # display order

TIMING_TRUTH = pa.schema([
    pa.field("triplet_id", pa.string(), nullable=False),
    pa.field("offset_px", pa.float64()),    # true middle vs linear midpoint, pixels of the film's frame
    pa.field("width", pa.int32()),          # the film's frame width (offset_px's scale)
    pa.field("curve", pa.string()),         # the timing curve that produced the offset
    pa.field("source", pa.string()),        # who measured it (the synthetic truth's annotator name)
])


def timing_truth(root: DatasetRoot) -> PartTable:
    """The table of measured timings (one row per triplet; the last written wins)."""
    return PartTable(root.path / "labels" / "timing", TIMING_TRUTH, key=("triplet_id",))


def timing_class(offset_px: float, width: int) -> str:
    """The truth category of an offset measured on frames ``width`` pixels wide."""
    ref = offset_px * REFERENCE_WIDTH / width
    return TRUTH_CLASSES[0] if ref < NEAR_LINEAR_PX else TRUTH_CLASSES[1] if ref < STRONG_PX else TRUTH_CLASSES[2]


def triplet_timing(root: DatasetRoot) -> pd.DataFrame:
    """Per triplet of the root: ``timing`` (category), ``offset_px`` (NaN without truth), ``curve`` and
    ``timing_source`` (``synthetic truth`` or ``miner``)."""
    triplets = root.triplets()
    out = pd.DataFrame({"triplet_id": triplets["triplet_id"],
                        "timing": triplets["timing_balanced"].map({True: MINER_CLASSES[0], False: MINER_CLASSES[1]})
                        if "timing_balanced" in triplets else None,
                        "offset_px": float("nan"), "curve": None, "timing_source": "miner"})
    truth = timing_truth(root).read()
    if len(truth):
        t = truth.set_index("triplet_id")
        known = out["triplet_id"].isin(t.index)
        ids = out.loc[known, "triplet_id"]
        out.loc[known, "offset_px"] = ids.map(t["offset_px"]).to_numpy()
        out.loc[known, "curve"] = ids.map(t["curve"]).to_numpy()
        out.loc[known, "timing"] = [timing_class(o, w) for o, w in zip(ids.map(t["offset_px"]), ids.map(t["width"]))]
        out.loc[known, "timing_source"] = "synthetic truth"
    return out.reset_index(drop=True)
