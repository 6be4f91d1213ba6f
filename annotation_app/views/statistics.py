"""Statistics (admins): progress overall and per annotator, throughput, agreement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atdkit.annotation_app.views.common import current_consensus
from atdkit.annotation_app.workspace import Workspace
from atdkit.labels.agreement import MIN_SHARED_ITEMS, agreement_pairs, agreement_table
from atdkit.labels.annotators import Annotator
from atdkit.store.schema import is_machine_annotator


def per_annotator(latest: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """Per human annotator: triplets judged, accepted, rejected, submissions, last activity,
    judgements in the last hour of their own activity."""
    if not len(latest):
        return pd.DataFrame(columns=["annotator", "judged", "accepted", "rejected", "submissions", "last"])
    g = latest.groupby("annotator")
    table = pd.DataFrame({"judged": g.size(), "accepted": g["accept"].sum().astype(int)})
    table["rejected"] = table["judged"] - table["accepted"]
    subs = submissions[~submissions["annotator"].map(is_machine_annotator).astype(bool)].groupby("annotator")
    table["submissions"] = subs.size()
    table["last"] = subs["created_at"].max()
    return table.reset_index()


def throughput(submissions: pd.DataFrame, freq: str = "h") -> pd.Series:
    """Human submissions per time bin (``freq``, pandas offset alias)."""
    humans = submissions[~submissions["annotator"].map(is_machine_annotator).astype(bool)]
    if not len(humans):
        return pd.Series(dtype="int64")
    return humans.set_index("created_at").resample(freq).size()


def render(ws: Workspace, user: Annotator) -> None:
    if not user.is_admin:
        st.error("Admins only.")
        return
    st.header("Progress")
    cons = current_consensus(ws)
    counts = cons["status"].value_counts().reindex(["accepted", "rejected", "needs_adjudication", "pending"],
                                                   fill_value=0)
    cols = st.columns(4)
    for col, (status, n) in zip(cols, counts.items()):
        col.metric(status.replace("_", " "), int(n))
    st.bar_chart(counts)

    latest = ws.labels.votes(humans_only=True)
    submissions = ws.labels.all_votes()
    st.subheader("Per annotator")
    st.dataframe(per_annotator(latest, submissions), hide_index=True)
    st.subheader("Throughput (judgements per hour)")
    tp = throughput(submissions)
    if len(tp):
        st.bar_chart(tp)
    else:
        st.caption("No judgements yet.")

    st.subheader("Agreement")
    human_ann = ws.labels.annotations(humans_only=True)
    table = agreement_table(latest, human_ann)
    st.dataframe(table, hide_index=True)
    st.caption(f"Kappa counts annotator pairs that share at least {MIN_SHARED_ITEMS} judged triplets; "
               "every pair with its number of shared triplets (n):")
    st.dataframe(agreement_pairs(latest, human_ann), hide_index=True, key="agreement-pairs")
    valid = table.dropna(subset=["value"])
    if len(valid):
        st.bar_chart(valid.set_index("measure")["value"])
