"""Build the report of a run from what the run recorded: its results rows (with the labels,
RoI box, options, weights' sha256 and provenance each row was scored with) and run.json. The
dataset root is read for the triplets' facts (film, stride, timing: :mod:`.facts`) and the
gallery's frames; no method is run and no label is re-read. ``report.json`` beside the page
holds the provenance (devices, threads, versions, weights' sha256, label sources)."""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from atdkit.bench import metrics
from atdkit.bench.report import charts, statistics
from atdkit.bench.report.facts import FACTS, fact_order, triplet_facts, with_facts
from atdkit.bench.report.gallery import gallery_html, gallery_triplets
from atdkit.bench.report.html import chart_html, page, table_html
from atdkit.bench.report.tables import (CATEGORIES, Table, category_table, configuration_summary, configurations_table,
                                        failures_table, leaderboard_table, ordered, paired_table)
from atdkit.bench.runner import read_results, run_meta
from atdkit.errors import BadInput
from atdkit.labels.categories import UNLABELLED
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot

BLEND = "blend"  # the no-motion baseline every method is also compared with
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


def made_with(df: pd.DataFrame) -> dict[str, str]:
    """Per method, the one-line configuration of its rows (several, joined by " / ", if the run mixed them)."""
    cols = ["options", "weights_sha256", "provenance"]
    out = {}
    for method, g in df.groupby("method", sort=True):
        triples = sorted({tuple(r) for r in g.reindex(columns=cols).fillna("{}").itertuples(index=False)})
        out[method] = " / ".join(configuration_summary(*t) for t in triples)
    return out


def sessions_table(meta: dict) -> Table:
    keys = ("session", "started_at", "device", "workers", "threads_per_worker", "atdkit_version", "torch", "host")
    return Table(list(keys), [[str(s.get(k, "–")) for k in keys] for s in meta.get("sessions", [])],
                 empty="(not recorded by this run)")


def provenance(df: pd.DataFrame, meta: dict) -> dict:
    """Where and with what the run's rows were made: per session the device, threads and versions, per
    method the weights' sha256, and how many rows each label source labelled (also in ``report.json``)."""
    sessions = [{k: s.get(k) for k in ("session", "device", "workers", "threads_per_worker", "atdkit_version",
                                       "torch", "host")} for s in meta.get("sessions", [])]
    weights = {m: sorted(set(g["weights_sha256"].dropna())) for m, g in df.groupby("method")} \
        if "weights_sha256" in df else {}
    sources = df.drop_duplicates("triplet_id")["label_source"].fillna(UNLABELLED).value_counts().to_dict() \
        if "label_source" in df else {}
    return {"run_id": meta.get("run_id"), "sessions": sessions, "weights_sha256": weights,
            "label_sources": {str(k): int(v) for k, v in sources.items()}}


def provenance_html(prov: dict) -> str:
    described = [f"{s['device']}, {s['workers']} worker(s) × {s['threads_per_worker']} thread(s), atdkit "
                 f"{s['atdkit_version']}, torch {s['torch']} on {s['host']}" for s in prov["sessions"]]
    sessions = "; ".join(f"{d} ({described.count(d)} bench sessions)" if described.count(d) > 1 else d
                         for d in dict.fromkeys(described)) or "–"
    sources = ", ".join(f"{k}: {v} triplets" for k, v in prov["label_sources"].items()) or "–"
    weights = ", ".join(f"{m} {'; '.join(w)}" for m, w in prov["weights_sha256"].items() if w and w != ["{}"]) or "none"
    return (f"<p class='prov'><b>Provenance.</b> Ran on: {html.escape(sessions)}. Labels: {html.escape(sources)}. "
            f"Weights (sha256): {html.escape(weights)}.</p>")


def lpips_note(board: pd.DataFrame) -> str:
    """One line when the LPIPS column is absent, saying why."""
    if "lpips" in board and board["lpips"].notna().any():
        return ""
    return ("LPIPS: not computed in this run (its weights were absent when the run scored: "
            "`atdkit weights fetch lpips-alexnet-backbone lpips-alex-lin-v0.1`, then run the bench again).")


def references(board: pd.DataFrame, reference: str | None) -> list[str]:
    """The methods every other is compared with: ``reference`` (default: the top method), then ``blend``
    and the top method when they differ from it. The top method is the best by PSNR among those that
    scored the most triplets (a method scored on a subset, as the demo's slow ones, is not the yardstick)."""
    full = board[board["n"] == board["n"].max()] if len(board) else board
    top = full.iloc[0]["method"] if len(full) else None
    methods = set(board["method"])
    if reference is not None and reference not in methods:
        raise BadInput(f"reference method {reference!r} is not in this run (methods: {', '.join(sorted(methods))})")
    out = []
    for m in (reference or top, BLEND, top):
        if m is not None and m in methods and m not in out:
            out.append(m)
    return out


def _categories(ok: pd.DataFrame, facts_known: bool) -> list[tuple[str, str, list[str] | None]]:
    """(column, title, value order or None when the run has no value for it) of every breakdown."""
    out = []
    for field, title in (*CATEGORIES, *FACTS):
        values = ok[field].astype(str).unique()
        known = [v for v in values if v != UNLABELLED]
        if field in dict(FACTS) and not facts_known:
            out.append((field, title, None))
            continue
        order = fact_order(field, values) if field in dict(FACTS) else ordered(field, values)
        out.append((field, title, order if known else None))
    return out


def write_report(run: str | os.PathLike, out: str | os.PathLike | None = None, *, reference: str | None = None,
                 n_gallery: int = 3, n_boot: int = 1000) -> Report:
    run = Path(run)
    meta = run_meta(run)
    out = Path(out) if out else run / "report"
    try:
        root = DatasetRoot.open(meta["root"])
    except BadInput:
        root = None
    facts = triplet_facts(root) if root is not None else None
    df = with_facts(with_recorded_labels(_load_results(run)), facts)
    prov = provenance(df, meta)
    md: list[str] = [f"# Benchmark report: run {meta['run_id']}",
                     f"dataset root `{meta['root']}`, evaluation size {meta.get('size') or 'native'}, t = {meta.get('t')}"]
    body: list[str] = [provenance_html(prov)]
    csvs: list[Path] = []
    first_board = ""
    summaries = made_with(df)
    for profile in sorted(df["profile"].unique()):
        pdf = df[df["profile"] == profile]
        ok = pdf[pdf["psnr"].notna()]
        board = statistics.leaderboard(pdf, n_boot)
        refs = references(board, reference)
        methods = list(board["method"])
        prof = metrics.PROFILES.get(profile)
        description = prof.description if prof else "(unknown profile)"
        board_table = leaderboard_table(board, summaries)
        note = lpips_note(board)
        md += [f"\n## Profile `{profile}`", description, "\n### Leaderboard (whole frame and RoI)",
               board_table.markdown(), *([note] if note else [])]
        first_board = first_board or f"profile {profile}\n" + board_table.markdown()
        csvs.append(_write_csv(out / f"leaderboard_{profile}.csv", board))
        section = [f"<h2>Profile <code>{html.escape(profile)}</code></h2><p>{html.escape(description)}</p>",
                   "<h3>Leaderboard</h3>", table_html(board_table), *([f"<p class='note'>{html.escape(note)}</p>"]
                                                                      if note else []),
                   chart_html(charts.leaderboard_chart(board, "psnr", "whole-frame PSNR (dB), best first"))]
        if "roi_psnr" in board and board["roi_psnr"].notna().any():
            section.append(chart_html(charts.leaderboard_chart(board, "roi_psnr", "RoI PSNR (dB), best first")))
        pairs = []
        for i, ref in enumerate(refs):
            pair = statistics.paired(ok, ref, n_boot)
            name = f"paired_{profile}.csv" if i == 0 else f"paired_vs_{_safe(ref)}_{profile}.csv"
            csvs.append(_write_csv(out / name, pair))
            pair_table = paired_table(pair)
            md += [f"\n### Paired comparison with `{ref}` (method − reference, per triplet)", pair_table.markdown()]
            section += [f"<h3>Paired comparison with {html.escape(ref)} (method − {html.escape(ref)}, per "
                        f"triplet)</h3>", table_html(pair_table)]
            pairs.append(pair)
        both = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame()
        if len(both):
            section.append(chart_html(charts.paired_chart(both, "psnr", "paired ΔPSNR (dB): above zero = better "
                                                                         "than the reference")))
        empty = []
        for field, title, groups in _categories(ok, facts is not None):
            if groups is None:
                empty.append(title)
                continue
            cat = statistics.summarize(ok, statistics.breakdown_metrics(), n_boot, [field, "method"])
            csvs.append(_write_csv(out / f"by_{field}_{profile}.csv", cat))
            cat_table = category_table(cat, field, groups, methods)
            md += [f"\n### PSNR per {title} (whole-frame values)", cat_table.markdown()]
            section += [f"<h3>PSNR per {html.escape(title)}</h3>", table_html(cat_table),
                        chart_html(charts.category_chart(cat, field, "psnr", f"PSNR per {title}", groups, methods))]
        if empty:
            line = (f"No breakdown by {', '.join(empty)}: no triplet of this run has "
                    f"{'that' if len(empty) == 1 else 'any of these'}" +
                    (" (the dataset root could not be read)" if facts is None else "") + ".")
            md.append(line)
            section.append(f"<p class='note'>{html.escape(line)}</p>")
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
    atomic.write_text(out / "report.json", json.dumps(prov, indent=2) + "\n")
    markdown = atomic.write_text(out / "leaderboard.md", "\n\n".join(md) + "\n")
    html_path = atomic.write_text(out / "index.html", page(f"atdkit report {meta['run_id']}", "\n".join(body), meta))
    return Report(out, html_path, markdown, first_board, csvs)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    return atomic.write_text(path, table.to_csv(index=False))
