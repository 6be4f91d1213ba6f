"""One annotator's judgement of one triplet: validated, then written as parts.

A judgement is a vote (accept/reject + reason) and, when accepted, an annotation
(RoI in full-resolution frame2 pixels and a value for every field of
``store.label_fields.LABEL_FIELDS``: difficulty, motion type, behaviour). The
annotation part is written first and the vote part last: the vote commits the
submission, and consensus only reads annotations of annotators whose latest vote
accepts, so a crash between the two writes never yields a half judgement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from atdkit.errors import BadInput
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import add_annotations, add_votes, now_utc
from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS

MAX_TEXT = 500
MIN_ROI_PX = 4  # an accepted box is at least this wide and high (frame2 pixels): a click is not a box


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels: top-left (x, y), width w, height h (all ≥ 0)."""

    x: float
    y: float
    w: float
    h: float

    def clipped(self, width: int, height: int) -> Box:
        """This box clipped to a width×height image."""
        x0, y0 = min(max(self.x, 0.0), width), min(max(self.y, 0.0), height)
        x1, y1 = min(max(self.x + self.w, 0.0), width), min(max(self.y + self.h, 0.0), height)
        return Box(x0, y0, x1 - x0, y1 - y0)

    def scaled(self, sx: float, sy: float) -> Box:
        return Box(self.x * sx, self.y * sy, self.w * sx, self.h * sy)


@dataclass(frozen=True)
class Judgement:
    triplet_id: str
    annotator: str
    accept: bool
    reason: str | None = None          # reject: one of REJECT_REASONS; "other" needs ``note``
    note: str | None = None            # free text for "other"
    roi: Box | None = None             # accept: full-resolution frame2 pixels
    labels: Mapping[str, str | None] = field(default_factory=dict)  # accept: label field name → value
    image_size: tuple[int, int] | None = None  # (width, height) of the frame2 the RoI was drawn on


def validate(j: Judgement, frame_size: tuple[int, int] | None = None) -> Judgement:
    """Check vocabularies and the box; returns the judgement with the box clipped to
    ``frame_size`` = (width, height). Raises BadInput with a one-line reason."""
    if j.accept:
        if j.roi is None:
            raise BadInput("an accepted triplet needs an RoI box on frame2")
        values = (j.roi.x, j.roi.y, j.roi.w, j.roi.h)
        if not all(math.isfinite(v) for v in values):
            raise BadInput(f"RoI box has non-finite coordinates {values}")
        roi = j.roi.clipped(*frame_size) if frame_size else j.roi
        if roi.w < MIN_ROI_PX or roi.h < MIN_ROI_PX:
            raise BadInput(f"RoI box {roi.w:.0f}×{roi.h:.0f} px is smaller than {MIN_ROI_PX}×{MIN_ROI_PX} px "
                           "(drag a box on frame2)")
        for lf in LABEL_FIELDS:
            value = j.labels.get(lf.name)
            if value not in lf.values:
                raise BadInput(f"{lf.title.lower()} must be one of {', '.join(lf.values)} (got {value!r})")
        return Judgement(j.triplet_id, j.annotator, True, None, None, roi,
                         {lf.name: j.labels[lf.name] for lf in LABEL_FIELDS},
                         tuple(frame_size) if frame_size else j.image_size)
    if j.reason not in REJECT_REASONS:
        raise BadInput(f"reject reason must be one of {', '.join(REJECT_REASONS)} (got {j.reason!r})")
    note = (j.note or "").strip()
    if j.reason == "other" and not note:
        raise BadInput("reason 'other' needs a short explanation")
    if len(note) > MAX_TEXT:
        raise BadInput(f"explanation too long ({len(note)} > {MAX_TEXT} characters)")
    return Judgement(j.triplet_id, j.annotator, False, j.reason, note or None)


def reason_text(j: Judgement) -> str | None:
    """The ``reason`` column: the listed reason, ``other: <text>`` for free text."""
    if j.accept:
        return None
    return f"other: {j.note}" if j.reason == "other" else j.reason


def write(root: DatasetRoot, j: Judgement, created_at: datetime | None = None) -> None:
    """Append a validated judgement: annotation part (if accepted), then the vote part."""
    ts = created_at or now_utc()
    if j.accept:
        add_annotations(root, [{
            "triplet_id": j.triplet_id, "annotator": j.annotator,
            "roi_x": j.roi.x, "roi_y": j.roi.y, "roi_w": j.roi.w, "roi_h": j.roi.h,
            "roi_image_w": j.image_size[0] if j.image_size else None,
            "roi_image_h": j.image_size[1] if j.image_size else None,
            **{lf.name: j.labels.get(lf.name) for lf in LABEL_FIELDS},
            "created_at": ts,
        }])
    add_votes(root, [{"triplet_id": j.triplet_id, "annotator": j.annotator, "accept": j.accept,
                      "reason": reason_text(j), "created_at": ts}])
