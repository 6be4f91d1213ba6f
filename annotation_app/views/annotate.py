"""The task view: frames, the frame player (steps, speed, full-resolution zoom), RoI on frame2,
accept/reject with labels.

Keyboard (``atdkit.annotation_app.keys``): A accept & submit · X reject & submit · S skip · U edit my
last · P box = proposal · a key per label value (digits and letters, shown beside each group)
· Z C V B N reject reasons. Widget keys carry the triplet id, so each triplet starts from its
own defaults, and a key clicks the widget of the triplet on screen when it was pressed.

The triplet on screen is pinned in the session (``current``): only a submission, a skip,
"edit my last" or ``?t=`` changes it, never a rerun (a label click, another annotator's
submission). Buttons carry the id of the triplet they were drawn for, and the queue takes
the judgement only if that triplet is still the annotator's (``Queue.submit``).

What a submission costs: the RoI box (``roi.draw_box``, which sends nothing until a box is
drawn) and the decision panel (labels, reason, submit buttons, the error) are fragments
(``st.fragment``), and the labels a form, so drawing a box reruns only the box's part of the
page and a label click reruns nothing; a submission, a skip or "edit my last" reruns (and
re-sends) the whole page, once.
"""

from __future__ import annotations

from dataclasses import astuple

import pandas as pd
import streamlit as st

from atdkit.annotation_app import keys, player, timings
from atdkit.annotation_app.roi import draw_box
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.views.common import frame_row
from atdkit.annotation_app.workspace import TripletView, Workspace

from atdkit.errors import BadInput
from atdkit.labels import judgements
from atdkit.labels.annotators import Annotator
from atdkit.labels.judgements import Box, Judgement
from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS


BUTTONS = {"accept": keys.label("Accept & submit", "accept"), "reject": keys.label("Reject & submit", "reject"),
           "skip": keys.label("Skip", "skip"), "edit": keys.label("Edit my last", "edit"),
           "proposal": keys.label("Box = proposal", "proposal")}
TRIPLET_BUTTONS = ("accept", "reject", "skip", "proposal")  # keyed "<action>-<triplet id>"


def _flash(kind: str, text: str) -> None:
    st.session_state["flash"] = (kind, text)


def _show_flash() -> str | None:
    """The message of the last action: a success is returned (the page shows it beside the
    triplet id, a line that does not move the page or animate); anything else is shown here."""
    kind, text = st.session_state.pop("flash", (None, None))
    if kind and kind != "success":
        getattr(st, kind)(text)
    return text if kind == "success" else None


def _show_error() -> None:
    """The error of the last submission, beside the buttons, until the next submit/skip/edit."""
    text = st.session_state.get("error")
    if text:
        st.error(text)


def _done_with(tid: str) -> None:
    """Leave the current triplet (submitted or skipped): the queue serves the next."""
    ss = st.session_state
    if ss.get("explicit") == tid:
        ss.pop("explicit", None)
        if st.query_params.get("t") == tid:
            del st.query_params["t"]
    elif ss.get("current") == tid:
        ss.pop("current", None)


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


def _submit(ws: Workspace, user: Annotator, tid: str, accept: bool) -> None:
    """Judge ``tid``, the triplet the pressed button was drawn for."""
    ss = st.session_state
    ss.pop("error", None)
    try:
        view = ws.view(tid)
        shown = ss.get(f"box-{tid}")  # canvas pixels, set whenever the canvas was shown
        roi = None
        if accept:
            sx, sy = view.width / view.canvas_size[0], view.height / view.canvas_size[1]
            roi = Box(*shown).scaled(sx, sy) if shown else view.proposal
        j = judgements.validate(Judgement(
            triplet_id=tid, annotator=user.name, accept=accept,
            reason=ss.get(f"reason-{tid}"), note=ss.get(f"note-{tid}"), roi=roi,
            labels={lf.name: ss.get(f"{lf.name}-{tid}") for lf in LABEL_FIELDS},
        ), frame_size=(view.width, view.height))
        ws.queue.submit(user.name, tid, lambda: judgements.write(ws.root, j))
    except BadInput as exc:  # includes NotYours: the triplet was no longer this annotator's
        ss["error"] = f"Not saved ({md_escape(tid)}): {md_escape(exc)}"
        return
    ss["last"] = tid
    _done_with(tid)
    _flash("success", "Saved " + ("accept" if accept else "reject") + f" for {md_escape(tid)}.")
    st.rerun()  # the whole page (the next triplet), not just the decision panel the button is in


def _skip(tid: str) -> None:
    st.session_state.pop("error", None)
    st.session_state.setdefault("skipped", set()).add(tid)
    _done_with(tid)


def _edit_last(ws: Workspace, user: Annotator) -> None:
    st.session_state.pop("error", None)
    tid = _last_submitted(ws, user)
    if tid is None:
        _flash("info", "You have not submitted anything yet.")
    else:
        st.session_state["explicit"] = tid


def _reset_box(tid: str) -> None:
    """Back to the proposal: forget the drawn box and remount the canvas."""
    st.session_state.pop(f"box-{tid}", None)
    st.session_state[f"nonce-{tid}"] = st.session_state.get(f"nonce-{tid}", 0) + 1


def _current(ws: Workspace, user: Annotator) -> str | None:
    ss = st.session_state
    requested = st.query_params.get("t")
    if requested is not None and ss.get("requested") != requested:
        ss["requested"] = requested
        if ws.triplet(requested) is None:
            st.error(f"Unknown triplet id {md_escape(requested)}: it is not in this dataset.")
        else:
            ss["explicit"] = requested
    explicit = ss.get("explicit")
    if explicit and ws.triplet(explicit) is not None:
        return explicit                 # (its lease is renewed by the decision panel, _decision)
    pinned = ss.get("current")
    if pinned and ws.triplet(pinned) is not None:
        return pinned
    ss["current"] = ws.queue.next_for(user.name, ss.get("skipped", set()))
    return ss["current"]


def _progress(ws: Workspace, user: Annotator) -> None:
    p = ws.queue.progress(user.name)
    st.progress(p.done / p.total if p.total else 1.0,
                text=f"{p.done}/{p.total} triplets complete · judged by you: {p.judged_by_you} · "
                     f"left for you: {p.left_for_you} · judgements still needed: {p.needed_total}")


@st.fragment
@timings.timed("canvas fragment")
def _canvas(view: TripletView, tid: str, prev_ann: dict | None) -> None:
    """frame2 with the RoI box, and "Box = proposal" (a fragment: drawing reruns only this).
    ``box-<tid>`` in the session holds the box in canvas pixels; a newly drawn box replaces it."""
    ss = st.session_state
    cw, ch = view.canvas_size
    sx, sy = cw / view.width, ch / view.height
    if f"box-{tid}" not in ss:
        start = view.proposal
        if prev_ann is not None and pd.notna(prev_ann.get("roi_w")) and not ss.get(f"nonce-{tid}"):
            start = Box(prev_ann["roi_x"], prev_ann["roi_y"], prev_ann["roi_w"], prev_ann["roi_h"])
        ss[f"box-{tid}"] = astuple(start.scaled(sx, sy))
    nonce = ss.get(f"nonce-{tid}", 0)
    drawn = draw_box(f"roi-{tid}-{nonce}", view.canvas_jpeg, view.canvas_size, Box(*ss[f"box-{tid}"]))
    if drawn is not None:
        ss[f"box-{tid}"] = astuple(drawn)
    full = Box(*ss[f"box-{tid}"]).scaled(1 / sx, 1 / sy).clipped(view.width, view.height)
    st.caption(f"RoI on frame2 (full-resolution px): x={full.x:.0f} y={full.y:.0f} "
               f"w={full.w:.0f} h={full.h:.0f} · frame {view.width}×{view.height}")
    st.button(BUTTONS["proposal"], on_click=_reset_box, args=(tid,), key=f"proposal-{tid}")


@st.fragment
@timings.timed("decision fragment")
def _decision(ws: Workspace, user: Annotator, tid: str, prev_vote: dict | None, prev_ann: dict | None) -> None:
    """Labels, reject reason and the submit buttons, and the last submission's error. The labels
    are a form: picking one reruns nothing (the browser keeps it until a submit button sends
    them all); a submission reruns this fragment, then the page. Each run renews the
    annotator's lease on ``tid``."""
    ss = st.session_state
    if not ws.queue.hold(user.name, tid) and ss.get("explicit") != tid:  # still shown; a submission will be refused
        st.warning(f"Triplet {md_escape(tid)} is no longer yours to judge (your lease ran out and "
                   "others judged it). Press S for the next one.")
    with st.form(f"decision-{tid}", border=False, enter_to_submit=False):
        acc, rej = st.columns([3, 2])
        with acc:
            prev, row = prev_ann or {}, ws.triplet(tid) or {}
            for lf in LABEL_FIELDS:  # own earlier value, else the miner's guess (prefill_from), else none
                start = prev.get(lf.name) if isinstance(prev.get(lf.name), str) else \
                    (row.get(lf.prefill_from) if lf.prefill_from else None)
                st.radio(keys.radio_title(lf.title, lf.keys), lf.values, horizontal=True,
                         key=f"{lf.name}-{tid}", index=lf.values.index(start) if start in lf.values else None)
            st.form_submit_button(BUTTONS["accept"], type="primary", on_click=_submit,
                                  args=(ws, user, tid, True), key=f"accept-{tid}")
        with rej:
            old_reason = (prev_vote or {}).get("reason")
            old_reason = old_reason if isinstance(old_reason, str) else ""
            reason = "other" if old_reason.startswith("other: ") else old_reason
            st.radio(keys.radio_title(keys.REASON_TITLE, keys.REASON_KEYS), REJECT_REASONS, key=f"reason-{tid}",
                     index=REJECT_REASONS.index(reason) if reason in REJECT_REASONS else None)
            st.text_input("Other: explain", key=f"note-{tid}", max_chars=judgements.MAX_TEXT,
                          value=old_reason.removeprefix("other: ") if reason == "other" else "")
            st.form_submit_button(BUTTONS["reject"], on_click=_submit,
                                  args=(ws, user, tid, False), key=f"reject-{tid}")
    _show_error()


def render(ws: Workspace, user: Annotator) -> None:
    ss = st.session_state
    saved = _show_flash()
    _progress(ws, user)
    tid = _current(ws, user)
    bar = st.columns([1, 1, 4])
    own = {a: f"{a}-{tid}" for a in TRIPLET_BUTTONS} if tid else {}  # this triplet's buttons, by key
    st.html(keys.script({"back": player.BACK, "play": player.PLAY, "forward": player.FORWARD},
                        {"edit": "edit", **own}, tid), unsafe_allow_javascript=True)
    bar[0].button(BUTTONS["edit"], on_click=_edit_last, args=(ws, user), key="edit",
                  disabled=_last_submitted(ws, user) is None)
    if tid is None:
        st.success(("✓ " + saved + " " if saved else "") + "Nothing left for you to judge. Thank you!")
        return
    bar[1].button(BUTTONS["skip"], on_click=_skip, args=(tid,), key=f"skip-{tid}")
    try:
        view = ws.view(tid)
    except BadInput as exc:
        st.error(f"Triplet {md_escape(tid)} cannot be shown: {md_escape(exc)}. Skip it; an admin has to fix the files.")
        return
    prev_vote, prev_ann = _own_previous(ws, user, tid)
    bar[2].markdown(f"Triplet **{md_escape(tid)}**" + (" · editing your earlier judgement" if prev_vote else "")
                    + (f"  \n:green[✓ {saved}]" if saved else ""))

    frame_row(view)

    left, right = st.columns([3, 2])
    with left:
        st.markdown("**RoI on frame2** (drag to redraw; the box starts at the proposed moving region)")
        _canvas(view, tid, prev_ann)
    with right:  # beside the canvas: the motion stays in view while the box is drawn
        st.html(player.html(view.width, view.height), unsafe_allow_javascript=True)
    _decision(ws, user, tid, prev_vote, prev_ann)

    ws.prefetch(ws.queue.peek_for(user.name, ss.get("skipped", set()) | {tid}))
