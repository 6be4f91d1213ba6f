"""Build the report of a run from what the run recorded: its results rows (with the labels,
RoI box, options, weights' sha256 and provenance each row was scored with) and run.json. The
dataset root is read only for the gallery's frames; no method is run and no label is re-read."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from atdkit.bench import metrics
from atdkit.bench.report import charts, statistics
from atdkit.bench.report.gallery import gallery_html, gallery_triplets
from atdkit.bench.report.html import chart_html, page, table_html
from atdkit.bench.report.tables import (CATEGORIES, Table, category_table, configurations_table, failures_table,
                                        leaderboard_table, ordered, paired_table)
from atdkit.bench.runner import read_results, run_meta
from atdkit.errors import BadInput
from atdkit.labels.categories import UNLABELLED
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot

REFERENCE_DEFAULT = "animeinterp"
RECORD_HEADING = "## Run record"


@dataclass
class Report:
    directory: Path
    html: Path
    markdown: Path
    leaderboard_markdown: str
    csv: list[Path]


def _load_results(run: Path) -> pd.DataFrame:
    path = run / "results.parquet"
    df = pq.read_table(path).to_pandas() if path.is_file() else read_results(run)
    if not len(df):
        raise BadInput(f"{run}: no results to report (run `atdkit bench` first)")
    return df


def with_recorded_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Each row's category labels as the run recorded them (rows without any: ``unlabelled``)."""
    df = df.copy()
    for field, _ in CATEGORIES:
        if field not in df:
            df[field] = None
        df[field] = df[field].astype(object).where(df[field].notna(), UNLABELLED)
    return df


def configurations(df: pd.DataFrame) -> pd.DataFrame:
    """One row per method: the options, weights' sha256 and provenance its rows recorded, and the
    labels snapshots they were scored under."""
    rows = []
    for method, g in df.groupby("method", sort=True):
        def values(col):
            return sorted(set(g[col].dropna())) if col in g else []
        rows.append({"method": method, **{c: "; ".join(values(c)) or "–" for c in
                                          ("options", "weights_sha256", "provenance", "labels_snapshot")}})
    return pd.DataFrame(rows, columns=["method", "options", "weights_sha256", "provenance", "labels_snapshot"])


def sessions_table(meta: dict) -> Table:
    keys = ("session", "started_at", "device", "workers", "threads_per_worker", "atdkit_version", "torch", "host")
    return Table(list(keys), [[str(s.get(k, "–")) for k in keys] for s in meta.get("sessions", [])],
                 empty="(not recorded by this run)")


def write_report(run: str | os.PathLike, out: str | os.PathLike | None = None, *, reference: str | None = None,
                 n_gallery: int = 3, n_boot: int = 1000) -> Report:
    run = Path(run)
    meta = run_meta(run)
    out = Path(out) if out else run / "report"
    try:
        root = DatasetRoot.open(meta["root"])
    except BadInput:
        root = None
    df = with_recorded_labels(_load_results(run))
    methods = sorted(df["method"].unique())
    md: list[str] = [f"# Benchmark report: run {meta['run_id']}",
                     f"dataset root `{meta['root']}`, evaluation size {meta.get('size') or 'native'}, t = {meta.get('t')}"]
    body: list[str] = []
    csvs: list[Path] = []
    first_board = ""
    for profile in sorted(df["profile"].unique()):
        pdf = df[df["profile"] == profile]
        ok = pdf[pdf["psnr"].notna()]
        ref = reference or (REFERENCE_DEFAULT if REFERENCE_DEFAULT in methods else None)
        board = statistics.leaderboard(pdf, n_boot)
        if ref is None and len(board):
            ref = board.iloc[0]["method"]
        if ref not in methods:
            raise BadInput(f"reference method {ref!r} is not in this run (methods: {', '.join(methods)})")
        prof = metrics.PROFILES.get(profile)
        description = prof.description if prof else "(unknown profile)"
        board_table = leaderboard_table(board)
        md += [f"\n## Profile `{profile}`", description, "\n### Leaderboard (whole frame and RoI)",
               board_table.markdown()]
        first_board = first_board or f"profile {profile}\n" + board_table.markdown()
        csvs.append(_write_csv(out / f"leaderboard_{profile}.csv", board))
        section = [f"<h2>Profile <code>{html.escape(profile)}</code></h2><p>{html.escape(description)}</p>",
                   "<h3>Leaderboard</h3>", table_html(board_table),
                   chart_html(charts.bar_chart(board, None, "psnr", "whole-frame PSNR"))]
        if "roi_psnr" in board and board["roi_psnr"].notna().any():
            section.append(chart_html(charts.bar_chart(board, None, "roi_psnr", "RoI PSNR")))
        for field, title in CATEGORIES:
            cat = statistics.summarize(ok, statistics.breakdown_metrics(), n_boot, [field, "method"])
            groups = ordered(field, cat[field].astype(str).unique())
            order = {v: i for i, v in enumerate(groups)}
            cat = cat.sort_values([field, "method"], key=lambda c: c.map(order) if c.name == field else c)
            cat_table = category_table(cat, field)
            md += [f"\n### Per {title} (whole-frame values)", cat_table.markdown()]
            csvs.append(_write_csv(out / f"by_{field}_{profile}.csv", cat))
            section += [f"<h3>Per {html.escape(title)}</h3>", table_html(cat_table),
                        chart_html(charts.bar_chart(cat, field, "psnr", f"PSNR per {title}", groups))]
        pair = statistics.paired(ok, ref, n_boot)
        pair_table = paired_table(pair)
        md += [f"\n### Paired comparison with `{ref}` (method − reference)", pair_table.markdown()]
        csvs.append(_write_csv(out / f"paired_{profile}.csv", pair))
        section += [f"<h3>Paired comparison with {html.escape(ref)}</h3>", table_html(pair_table)]
        body += section
    failures = df[df["error"].notna()][["method", "triplet_id", "profile", "error"]]
    csvs.append(_write_csv(out / "failures.csv", failures))
    fail_table = failures_table(failures)
    md += ["\n## Failures", fail_table.markdown()]
    body += ["<h2>Failures</h2>", table_html(fail_table)]
    configs = configurations(df)
    csvs.append(_write_csv(out / "configurations.csv", configs))
    config_table, session_table = configurations_table(configs), sessions_table(meta)
    md += [f"\n{RECORD_HEADING}", "What made each method's rows, and where the run ran:",
           config_table.markdown(), session_table.markdown()]
    body += ["<h2>Run record</h2>", table_html(config_table), table_html(session_table)]
    if root is not None and n_gallery > 0:
        body += ["<h2>Frame gallery</h2>", gallery_html(run, root, df, gallery_triplets(df, n_gallery), meta)]
    markdown = atomic.write_text(out / "leaderboard.md", "\n\n".join(md) + "\n")
    html_path = atomic.write_text(out / "index.html", page(f"atdkit report {meta['run_id']}", "\n".join(body), meta))
    return Report(out, html_path, markdown, first_board, csvs)


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    return atomic.write_text(path, table.to_csv(index=False))
