"""Admin (admins): annotators, rebuilding consensus.parquet, export to the ATD-12K layout.

Exports go to ``<root>/exports/<name>/`` only: the name typed in the form is checked
against a strict pattern and never used as a path of its own.
"""

from __future__ import annotations

import re

import streamlit as st

from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.views.common import current_consensus
from atdkit.annotation_app.workspace import Workspace
from atdkit.errors import AtdkitError
from atdkit.labels.annotators import Annotator, list_annotators
from atdkit.labels.consensus import consensus_path, write_consensus

EXPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _write(ws: Workspace) -> None:
    table = current_consensus(ws)
    path = write_consensus(ws.root, table)
    st.session_state["flash-admin"] = (f"Wrote {md_escape(path.name)}: {int((table['status'] == 'accepted').sum())} "
                                       f"accepted of {len(table)} triplets.")


def _export(ws: Workspace) -> None:
    from atdkit.interchange.atd12k import export_atd

    name = (st.session_state.get("export-name") or "").strip()
    if not EXPORT_NAME.match(name) or name in (".", ".."):
        st.session_state["flash-admin-error"] = "Export name: 1-64 letters, digits, '_', '.', '-'."
        return
    try:
        write_consensus(ws.root, current_consensus(ws))
        counts = export_atd(ws.root, ws.root.path / "exports" / name, progress=False,
                            include_unaccepted=bool(st.session_state.get("export-all")))
    except AtdkitError as exc:
        st.session_state["flash-admin-error"] = f"Export failed: {md_escape(exc)}"
        return
    st.session_state["flash-admin"] = (f"Exported to exports/{md_escape(name)}: {counts['triplets']} triplets, "
                                       f"{counts['annotations']} annotation files; "
                                       f"{counts['left_out']} not accepted left out.")


def render(ws: Workspace, user: Annotator) -> None:
    if not user.is_admin:
        st.error("Admins only.")
        return
    msg = st.session_state.pop("flash-admin", None)
    if msg:
        st.success(msg)
    err = st.session_state.pop("flash-admin-error", None)
    if err:
        st.error(err)
    st.header("Annotators")
    st.caption("Add or revoke with `atdkit annotators add ROOT NAME [--admin]` / `atdkit annotators remove ROOT NAME`.")
    st.dataframe(list_annotators(ws.root), hide_index=True)

    st.header("Consensus and export")
    st.button("Write consensus.parquet", type="primary", on_click=_write, args=(ws,))
    path = consensus_path(ws.root)
    if path.is_file():
        st.download_button("Download consensus.parquet", path.read_bytes(), file_name="consensus.parquet",
                           mime="application/octet-stream")
    st.text_input("Export folder name (under ROOT/exports/)", value="atd12k", key="export-name", max_chars=64)
    st.checkbox("Also export rejected, pending and unresolved triplets", key="export-all")
    st.button("Export ATD-12K layout", on_click=_export, args=(ws,))
    st.caption("The same as `atdkit export-atd ROOT --out DIR [--include-unaccepted]`: frames plus JSON "
               "labels from consensus.parquet, accepted triplets only unless asked.")
