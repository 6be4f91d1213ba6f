"""The task view: the progress bar and the task panel (``task_panel``: frames, player, RoI on
frame2, labels, accept/reject, skip, "edit my last", each with a key).

The triplet on screen is pinned in the session (``current``): only a submission, a skip,
"edit my last" or ``?t=`` changes it, never a rerun (another annotator's submission, a
reconnect). The panel's every message names the triplet it showed, and the queue takes a
judgement only if that triplet is still the annotator's (``Queue.submit``).

What a submission costs: one script run of the page. Labels, the box and the player never
reach the server; the panel's action is handled in its callback (:func:`act`, before the
script runs), and the run draws the next triplet into the same, still mounted, panel.

The session logic (:func:`current`, :func:`act`, :func:`panel_data`) takes the session state
and the query parameters as plain mappings, so it is tested without a browser.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import astuple

import pandas as pd
import streamlit as st

from atdkit.annotation_app import task_panel
from atdkit.annotation_app.views.common import frame_urls, frames_data
from atdkit.annotation_app.workspace import Workspace
from atdkit.errors import BadInput
from atdkit.labels import judgements
from atdkit.labels.annotators import Annotator
from atdkit.labels.judgements import Judgement
from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS

PANEL_KEY = "atdkit-task"
Session = MutableMapping  # st.session_state, or a dict in tests
Query = MutableMapping    # st.query_params, or a dict in tests


def _own_previous(ws: Workspace, user: Annotator, tid: str) -> tuple[dict | None, dict | None]:
    """This annotator's own latest vote and annotation for ``tid`` (never anyone else's)."""
    votes = ws.labels.votes()
    mine = votes[(votes["triplet_id"] == tid) & (votes["annotator"] == user.name)] if len(votes) else votes
    if not len(mine):
        return None, None
    ann = ws.labels.annotations()
    own = ann[(ann["triplet_id"] == tid) & (ann["annotator"] == user.name)] if len(ann) else ann
    return mine.iloc[-1].to_dict(), (own.iloc[-1].to_dict() if len(own) else None)


def _last_submitted(ws: Workspace, user: Annotator) -> str | None:
    votes = ws.labels.votes()
    mine = votes[votes["annotator"] == user.name] if len(votes) else votes
    if not len(mine):
        return None
    return str(mine.loc[mine["created_at"].idxmax(), "triplet_id"])


def _done_with(ss: Session, query: Query, tid: str) -> None:
    """Leave ``tid`` (submitted or skipped): the queue serves the next, and the panel starts afresh."""
    if ss.get("explicit") == tid:
        ss.pop("explicit", None)
        if query.get("t") == tid:
            del query["t"]
    elif ss.get("current") == tid:
        ss.pop("current", None)
    ss["afresh"] = True


def _submit(ws: Workspace, user: Annotator, ss: Session, query: Query, a: task_panel.Action) -> None:
    """Judge ``a.tid``, the triplet the panel showed when A or X was pressed."""
    try:
        view = ws.view(a.tid)
        accept = a.action == "accept"
        j = judgements.validate(Judgement(
            triplet_id=a.tid, annotator=user.name, accept=accept, reason=a.reason, note=a.note or None,
            roi=(a.box or view.proposal) if accept else None, labels=a.labels,
        ), frame_size=(view.width, view.height))
        ws.queue.submit(user.name, a.tid, lambda: judgements.write(ws.root, j))
    except BadInput as exc:  # includes NotYours: the triplet was no longer this annotator's
        ss["error"] = f"Not saved ({a.tid}): {exc}"
        return
    _done_with(ss, query, a.tid)
    ss["saved"] = "Saved " + ("accept" if accept else "reject") + f" for {a.tid}."


def act(ws: Workspace, user: Annotator, ss: Session, query: Query, value) -> None:
    """Handle what the panel sent (its raw ``action`` value): submit, skip or "edit my last".
    An action already handled (its ``seq`` not above the last one's) is ignored."""
    ss.pop("error", None)
    ss.pop("saved", None)
    ss.pop("notice", None)
    try:
        a = task_panel.read_action(value)
    except BadInput as exc:
        ss["error"] = f"Not saved: {exc}"
        return
    if a.seq <= ss.get("ack", 0):
        return
    ss["ack"] = a.seq
    if a.action in ("accept", "reject"):
        _submit(ws, user, ss, query, a)
    elif a.action == "skip":
        ss.setdefault("skipped", set()).add(a.tid)
        _done_with(ss, query, a.tid)
    else:
        last = _last_submitted(ws, user)
        if last is None:
            ss["notice"] = "You have not submitted anything yet."
        else:
            ss["explicit"] = last
            ss["afresh"] = True


def current(ws: Workspace, user: Annotator, ss: Session, query: Query) -> str | None:
    """The triplet on this annotator's screen: ``?t=`` when newly asked for, else the pinned one,
    else the queue's next (then pinned)."""
    requested = query.get("t")
    if requested is not None and ss.get("requested") != requested:
        ss["requested"] = requested
        if ws.triplet(requested) is None:
            ss["notice"] = f"Unknown triplet id {requested}: it is not in this dataset."
        else:
            ss["explicit"] = requested
    explicit = ss.get("explicit")
    if explicit and ws.triplet(explicit) is not None:
        return explicit
    pinned = ss.get("current")
    if pinned and ws.triplet(pinned) is not None:
        return pinned
    ss["current"] = ws.queue.next_for(user.name, ss.get("skipped", set()))
    return ss["current"]


def _start(ws: Workspace, tid: str, prev_vote: dict | None, prev_ann: dict | None) -> tuple[dict, str]:
    """Where the labels start: own earlier value, else the miner's guess (``prefill_from``), else
    none; the reject reason from the own earlier vote (no reason is ever pre-selected otherwise)."""
    prev, row = prev_ann or {}, ws.triplet(tid) or {}
    start = {}
    for lf in LABEL_FIELDS:
        value = prev.get(lf.name) if isinstance(prev.get(lf.name), str) else \
            (row.get(lf.prefill_from) if lf.prefill_from else None)
        start[lf.name] = value if value in lf.values else None
    old = (prev_vote or {}).get("reason")
    old = old if isinstance(old, str) else ""
    reason = "other" if old.startswith("other: ") else old
    start["reason"] = reason if reason in REJECT_REASONS else None
    return start, old.removeprefix("other: ") if reason == "other" else ""


def panel_data(ws: Workspace, user: Annotator, ss: Session, tid: str | None) -> dict:
    """Everything the panel shows for ``tid`` (None: nothing left). Renews the lease on ``tid``."""
    if tid != ss.get("shown-tid") or ss.pop("afresh", False):
        ss["shown"], ss["shown-tid"] = ss.get("shown", 0) + 1, tid
    data = {**task_panel.layout(judging=True), "tid": tid, "shown": ss["shown"], "ack": ss.get("ack", 0),
            "can_edit": _last_submitted(ws, user) is not None, "saved": ss.get("saved"),
            "error": ss.get("error"), "warning": ss.get("notice")}
    if tid is None:
        return data
    if not ws.queue.hold(user.name, tid) and ss.get("explicit") != tid:  # still shown; a submission will be refused
        data["warning"] = (f"Triplet {tid} is no longer yours to judge (your lease ran out and others "
                           "judged it). Press S for the next one.")
    try:
        view = ws.view(tid)
    except BadInput as exc:
        data["error"] = f"Triplet {tid} cannot be shown: {exc}. Skip it; an admin has to fix the files."
        return data
    prev_vote, prev_ann = _own_previous(ws, user, tid)
    box = view.proposal
    if prev_ann is not None and pd.notna(prev_ann.get("roi_w")):
        box = judgements.Box(prev_ann["roi_x"], prev_ann["roi_y"], prev_ann["roi_w"], prev_ann["roi_h"])
    start, note = _start(ws, tid, prev_vote, prev_ann)
    data.update(frames_data(view), editing=prev_vote is not None, start=start, note=note,
                box=list(astuple(box)), proposal=list(astuple(view.proposal)))
    return data


def _progress(ws: Workspace, user: Annotator) -> None:
    p = ws.queue.progress(user.name)
    st.progress(p.done / p.total if p.total else 1.0,
                text=f"{p.done}/{p.total} triplets complete · judged by you: {p.judged_by_you} · "
                     f"left for you: {p.left_for_you} · judgements still needed: {p.needed_total}")


def render(ws: Workspace, user: Annotator) -> None:
    ss, query = st.session_state, st.query_params
    _progress(ws, user)
    tid = current(ws, user, ss, query)
    data = panel_data(ws, user, ss, tid)
    upcoming = ws.queue.peek_for(user.name, ss.get("skipped", set()) | {tid}) if tid else None
    if upcoming is not None:
        data["next"] = frame_urls(upcoming, ws.frame_versions(upcoming))
    task_panel.show(PANEL_KEY, data, on_action=lambda: act(ws, user, ss, query, ss[PANEL_KEY].get("action")))
    ws.prefetch(upcoming)
