"""The task panel: one page component (``task_panel.js``, ``task_panel.css``) with everything
an annotator looks at and does for one triplet: frame1–3, the RoI box on frame2, the frame
player (steps, speed, full-resolution zoom), the labels, the reject reason and the buttons,
with a key for each (``keys``).

Why one component: picking a label, drawing the box, resetting it to the proposal and playing
the frames happen in the browser and cost the server nothing; a submission, a skip or "edit my
last" is one message (the trigger value ``action``) that names the triplet the panel showed,
and the panel's next data replaces what changed in place (the page's elements stay mounted).
Frames come from the session-gated, cacheable frame route (``frame_route``), and the panel
fetches and decodes the next triplet's frames while the current one is looked at.

The same panel shows frames for review (``judging=False``): frame row and player only.

Contract with the script: ``data["shown"]`` changes when the panel is to start afresh (another
triplet, or the same one again after a submission): the labels and the box go back to
``data["start"]`` and ``data["box"]``; otherwise what the annotator picked stays (a refused
submission keeps it). ``data["ack"]`` is the ``seq`` of the last action the server handled: the
panel ignores judging keys from sending an action until that action is acknowledged.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from atdkit.annotation_app import keys
from atdkit.errors import BadInput
from atdkit.labels.judgements import MAX_TEXT, Box
from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS

MIN_BOX_PX = 4        # screen px: a drag narrower or lower than this is a click (the box stays)
ROI_WIDTH_PX = 640    # the RoI view of frame2 is at most this wide on screen
SPEEDS_MS = (50, 1000, 250)  # the player: fastest and slowest frame time, and the default (ms per frame)
ZOOMS = (("fit", 0), ("100 % (full resolution)", 1), ("200 %", 2), ("400 %", 4))
ACTIONS = ("accept", "reject", "skip", "edit")  # what the panel sends to the server
BUTTONS = {"accept": "Accept & submit", "reject": "Reject & submit", "skip": "Skip", "edit": "Edit my last",
           "proposal": "Box = proposal", "back": "Back", "play": "Play/Pause", "forward": "Forward"}

_HERE = Path(__file__).resolve().parent


@functools.cache
def _component():
    """Registered once per process, on first use inside a running app."""
    return st.components.v2.component(
        "atdkit.task_panel", js=(_HERE / "task_panel.js").read_text(), css=(_HERE / "task_panel.css").read_text(),
        isolate_styles=False)


def layout(judging: bool) -> dict:
    """The parts of the panel's data that never change for a server: button texts, label fields
    and their keys, reject reasons, the player's speeds and zooms."""
    return {
        "mode": "task" if judging else "view",
        "labels": {a: keys.label(text, a) for a, text in BUTTONS.items()},
        "fields": [{"name": lf.name, "title": keys.radio_title(lf.title, lf.keys), "values": list(lf.values)}
                   for lf in LABEL_FIELDS],
        "reasons": {"title": keys.radio_title(keys.REASON_TITLE, keys.REASON_KEYS), "values": list(REJECT_REASONS)},
        "keys": keys.key_map(judging),
        "player": {"speeds": list(SPEEDS_MS), "zooms": [list(z) for z in ZOOMS]},
        "min_box": MIN_BOX_PX, "roi_width": ROI_WIDTH_PX, "note_max": MAX_TEXT,
    }


def show(key: str, data: dict, on_action=None) -> None:
    """Mount (or update) the panel under ``key``; ``on_action`` runs (before the script, as
    Streamlit callbacks do) when the panel sent an action, which it finds in
    ``st.session_state[key]["action"]`` (check it with :func:`read_action`)."""
    _component()(key=key, data=data, width="stretch", on_action_change=on_action or (lambda: None))


@dataclass(frozen=True)
class Action:
    """What the panel sent: ``action`` (one of ``ACTIONS``) for ``tid`` (the triplet it showed;
    None only for "edit"), numbered ``seq``; an accept or reject carries the labels, reason,
    note and box (frame2 full-resolution px) picked on screen."""

    action: str
    tid: str | None
    seq: int
    labels: dict[str, str | None]
    reason: str | None = None
    note: str | None = None
    box: Box | None = None


def _text(value, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise BadInput(f"the page sent a {what} that is not text ({type(value).__name__})")


def read_action(value) -> Action:
    """The panel's ``action`` message as an :class:`Action`; BadInput (one line) for anything
    else. Vocabularies and the box's extent are checked later, with the judgement."""
    if not isinstance(value, dict) or value.get("action") not in ACTIONS:
        raise BadInput(f"the page sent an unknown action {str(value)[:80]!r}")
    seq = value.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise BadInput("the page sent an action without a number")
    tid = _text(value.get("tid"), "triplet id")
    if tid is None and value["action"] != "edit":
        raise BadInput(f"the page sent {value['action']} without a triplet id")
    labels = value.get("labels") or {}
    if not isinstance(labels, dict):
        raise BadInput("the page sent labels that are not a mapping")
    box = value.get("box")
    if box is not None:
        if not (isinstance(box, list) and len(box) == 4 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in box)):
            raise BadInput(f"the page sent a box that is not four finite numbers: {str(box)[:80]}")
        box = Box(*map(float, box))
    return Action(value["action"], tid, seq,
                  {lf.name: _text(labels.get(lf.name), lf.title) for lf in LABEL_FIELDS},
                  _text(value.get("reason"), "reason"), _text(value.get("note"), "note"), box)
