"""Pieces shared by the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atdkit.annotation_app import player
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.workspace import TripletView, Workspace
from atdkit.errors import BadInput
from atdkit.labels.consensus import build_consensus, frame_sizes


def current_consensus(ws: Workspace) -> pd.DataFrame:
    """Consensus of the labels as they are now (not necessarily written to disk)."""
    triplets = ws.triplets()
    return build_consensus(list(triplets["triplet_id"]), ws.labels.votes(), ws.labels.annotations(),
                           ws.labels.adjudications(), frame_sizes(triplets))


def frame_row(view: TripletView) -> None:
    """frame1, frame2, frame3 side by side (lossless PNG as encoded by the workspace)."""
    for i, col in enumerate(st.columns(3)):
        col.image(view.frames_png[i], caption=f"frame{i + 1}", width="stretch", output_format="PNG")


def show_frames(ws: Workspace, tid: str) -> bool:
    """The frame row and the player; False (with an error shown) when the frames cannot be read."""
    try:
        view = ws.view(tid)
    except BadInput as exc:
        st.error(md_escape(exc))
        return False
    frame_row(view)
    st.html(player.html(view.width, view.height), unsafe_allow_javascript=True)
    return True
