"""Pieces shared by the admin pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotation_app.workspace import Workspace
from atdkit.labels.consensus import build_consensus


def current_consensus(ws: Workspace) -> pd.DataFrame:
    """Consensus of the labels as they are now (not necessarily written to disk)."""
    return build_consensus(list(ws.triplets()["triplet_id"]), ws.labels.votes(), ws.labels.annotations(),
                           ws.labels.adjudications())


def show_frames(ws: Workspace, tid: str) -> bool:
    """frame1–3 side by side; False (with an error shown) when they cannot be read."""
    from atdkit.errors import BadInput
    from annotation_app.text import md_escape

    try:
        view = ws.view(tid)
    except BadInput as exc:
        st.error(md_escape(exc))
        return False
    for i, col in enumerate(st.columns(3)):
        col.image(view.frames_png[i], caption=f"frame{i + 1}", width="stretch", output_format="PNG")
    st.image(view.flipbook_gif, caption="flipbook 1→2→3")
    return True
