"""Pieces shared by the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit import config

from atdkit.annotation_app import task_panel
from atdkit.annotation_app.frame_route import frame_url
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.workspace import TripletView, Workspace
from atdkit.errors import BadInput
from atdkit.labels.consensus import build_consensus, frame_sizes


def current_consensus(ws: Workspace) -> pd.DataFrame:
    """Consensus of the labels as they are now (not necessarily written to disk)."""
    triplets = ws.triplets()
    return build_consensus(list(triplets["triplet_id"]), ws.labels.votes(), ws.labels.annotations(),
                           ws.labels.adjudications(), frame_sizes(triplets))


def frame_urls(tid: str, versions: tuple[int | None, ...]) -> list[str]:
    """The URLs of frame1–3 of ``tid`` on the session-gated frame route (a version per file)."""
    base = config.get_option("server.baseUrlPath") or ""
    return [frame_url(base, tid, i + 1, v or 0) for i, v in enumerate(versions)]


def frames_data(view: TripletView) -> dict:
    """The panel's data about a triplet's frames: id, URLs, full-resolution size."""
    return {"tid": view.triplet_id, "frames": frame_urls(view.triplet_id, view.versions),
            "size": [view.width, view.height]}


def show_frames(ws: Workspace, tid: str) -> bool:
    """The frame row and the player (the task panel without judging); False (with an error
    shown) when the frames cannot be read."""
    try:
        view = ws.view(tid)
    except BadInput as exc:
        st.error(md_escape(exc))
        return False
    task_panel.show("review-frames", {**task_panel.layout(judging=False), **frames_data(view)})
    return True
