"""Review and adjudicate (admins): triplets whose labels have no majority.

Judgements are shown anonymised (annotator 1, 2, …): the ruling is about labels, not people.
"""

from __future__ import annotations

import cv2
import numpy as np
import streamlit as st

from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.views.common import current_consensus, show_frames
from atdkit.annotation_app.workspace import Workspace
from atdkit.labels.annotators import Annotator
from atdkit.labels.consensus import ROI, merge_boxes
from atdkit.store.labels import add_adjudication
from atdkit.store.label_fields import LABEL_FIELDS, LABEL_NAMES


COLOURS = ((255, 75, 0), (0, 120, 255), (0, 170, 80), (200, 0, 200), (120, 120, 0))


def boxes_overlay(frame: np.ndarray, boxes: dict[str, tuple]) -> np.ndarray:
    """frame (H×W×3 uint8 RGB) with each (x, y, w, h) box outlined; the first box thick."""
    out = frame.copy()
    for i, (x, y, w, h) in enumerate(boxes.values()):
        cv2.rectangle(out, (round(x), round(y)), (round(x + w), round(y + h)), COLOURS[i % len(COLOURS)],
                      3 if i == 0 else 1)
    return out


def _judgements(ws: Workspace, tid: str):
    votes = ws.labels.votes(humans_only=True)
    votes = votes[votes["triplet_id"] == tid]
    ann = ws.labels.annotations(humans_only=True)
    ann = ann[ann["triplet_id"] == tid]
    table = votes[["annotator", "accept", "reason"]].merge(
        ann[["annotator", *ROI, *LABEL_NAMES]], on="annotator", how="left")
    table.loc[~table["accept"].astype(bool), [*ROI, *LABEL_NAMES]] = None
    table.insert(0, "who", [f"annotator {i + 1}" for i in range(len(table))])
    return table.drop(columns="annotator").reset_index(drop=True)


def _rule(ws: Workspace, user: Annotator, tid: str, boxes: dict) -> None:
    ss = st.session_state
    status = ss[f"adj-status-{tid}"]
    box = boxes.get(ss.get(f"adj-box-{tid}")) if status == "accepted" else None
    row = {"triplet_id": tid, "admin": user.name, "status": status, "note": ss.get(f"adj-note-{tid}") or None}
    if box is not None:
        row.update(zip(ROI, box))
    if status == "accepted":
        for field in LABEL_NAMES:
            row[field] = ss.get(f"adj-{field}-{tid}")
    add_adjudication(ws.root, row)
    ss["flash-review"] = f"Ruling saved for {md_escape(tid)}."


def render(ws: Workspace, user: Annotator) -> None:
    if not user.is_admin:
        st.error("Admins only.")
        return
    st.header("Adjudication queue")
    msg = st.session_state.pop("flash-review", None)
    if msg:
        st.success(msg)
    cons = current_consensus(ws)
    todo = cons[cons["status"] == "needs_adjudication"]
    st.caption(f"{len(todo)} triplet(s) need a ruling.")
    if not len(todo):
        st.success("Nothing to adjudicate.")
        return
    tid = st.selectbox("Triplet", list(todo["triplet_id"]), key="adj-tid")
    row = todo[todo["triplet_id"] == tid].iloc[0]
    st.markdown(f"Conflicts: **{md_escape(row['conflicts'])}**")
    show_frames(ws, tid)
    table = _judgements(ws, tid)
    st.dataframe(table, hide_index=True)

    boxes = {}
    accepted = table.dropna(subset=list(ROI))
    if len(accepted):
        boxes["median of accepting boxes"] = merge_boxes(list(accepted[list(ROI)].itertuples(index=False, name=None)))
        for r in accepted.itertuples(index=False):
            boxes[f"box of {r.who}"] = (r.roi_x, r.roi_y, r.roi_w, r.roi_h)
    if boxes:
        st.image(boxes_overlay(ws.frame(tid, 2), boxes), output_format="PNG",
                 caption="frame2 with the boxes (thick: median of accepting boxes)")
    st.radio("Ruling", ("accepted", "rejected"), horizontal=True, key=f"adj-status-{tid}")
    if boxes:
        st.selectbox("RoI", list(boxes), key=f"adj-box-{tid}")
    cols = st.columns(len(LABEL_FIELDS))
    for col, lf in zip(cols, LABEL_FIELDS):
        current = row[lf.name] if isinstance(row[lf.name], str) else None
        col.selectbox(lf.title, lf.values, key=f"adj-{lf.name}-{tid}",
                      index=lf.values.index(current) if current in lf.values else None)
    st.text_input("Note", key=f"adj-note-{tid}", max_chars=500)
    st.button("Save ruling", type="primary", on_click=_rule, args=(ws, user, tid, boxes))
