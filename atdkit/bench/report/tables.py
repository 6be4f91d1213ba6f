"""The report's table model: a :class:`Table` is a header and rows of already formatted cells,
built once from an aggregate and rendered to Markdown here and to HTML by :mod:`.html`.
Column sets and number formats come from :data:`atdkit.bench.scoring.METRICS`."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from atdkit.bench.report.statistics import breakdown_metrics
from atdkit.bench.scoring import BY_NAME, METRICS
from atdkit.labels.categories import UNLABELLED
from atdkit.store.label_fields import LABEL_FIELDS


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    empty: str = ""  # shown instead of the table when it has no rows (and ``empty`` is set)

    def markdown(self) -> str:
        if not self.rows and self.empty:
            return self.empty
        lines = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def _fmt(value, metric: str) -> str:
    return BY_NAME[metric].fmt(value)


def _cell(row, m: str) -> str:
    return f"{_fmt(row[m], m)} [{_fmt(row[m + '_lo'], m)}, {_fmt(row[m + '_hi'], m)}]"


SHA256_SHOWN = 8  # hex digits of a sha256 shown beside a method's name


def _short(value) -> str:
    """A value for the one-line configuration: sha256 digests cut to their first hex digits."""
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:SHA256_SHOWN]
    return text


def configuration_summary(options: str, weights_sha256: str, provenance: str) -> str:
    """One line of what made a method's rows, from the JSON its rows record: ``key=value`` options,
    ``name sha256[:8]`` per weights file, and ``key=value`` provenance (e.g. AnimeInterp's SGM settings:
    the descriptor, its weights' sha256, line style, size, code version); ``–`` when all are empty."""
    parts = [", ".join(f"{k}={_short(v)}" for k, v in json.loads(options or "{}").items()),
             ", ".join(f"{k} {_short(v)}" for k, v in json.loads(weights_sha256 or "{}").items()),
             ", ".join(f"{k}={_short(v)}" for k, v in json.loads(provenance or "{}").items())]
    return "; ".join(p for p in parts if p) or "–"


def _method_cell(method: str, made_with: str) -> str:
    return method if made_with in ("", "–") else f"{method} ({made_with.replace('|', '/')})"


def leaderboard_table(board: pd.DataFrame, made_with: dict[str, str] | None = None) -> Table:
    """``made_with``: per method, the :func:`configuration_summary` of its rows, shown in brackets beside
    its name so that a leaderboard never mixes configurations (e.g. official and fallback SGM flows) unnoticed."""
    made_with = made_with or {}
    ms = [m.name for m in METRICS if m.name in board]
    header = ["method", "n", *[f"{m} [95% CI]" for m in ms], "failures", "s/call", "peak MiB"]
    rows = [[_method_cell(r["method"], made_with.get(r["method"], "")), str(r["n"]), *[_cell(r, m) for m in ms], str(r["failures"]),
             f"{r['seconds']:.3f}" if pd.notna(r["seconds"]) else "–",
             f"{r['peak_mem_mb']:.1f}" if pd.notna(r["peak_mem_mb"]) else "–"] for _, r in board.iterrows()]
    return Table(header, rows)


def category_table(cat: pd.DataFrame, field: str, groups: list[str], methods: list[str], metric: str = "psnr") -> Table:
    """Wide: one row per method (``methods`` order), one column per category value (``groups``) with
    ``metric``'s mean [95% CI]; each header says how many triplets the value has."""
    by = {(str(r[field]), r["method"]): r for _, r in cat.iterrows()}
    counts = cat.groupby(cat[field].astype(str))["n"].max()
    header = ["method", *[f"{g} (n={int(counts.get(g, 0))})" for g in groups]]
    rows = [[m, *[_cell(by[(g, m)], metric) if (g, m) in by else "–" for g in groups]] for m in methods]
    return Table(header, rows)


def paired_table(pair: pd.DataFrame) -> Table:
    first, *rest = breakdown_metrics()

    def delta(r, m):
        return f"{_fmt(r[f'd_{m}'], m)} [{_fmt(r[f'd_{m}_lo'], m)}, {_fmt(r[f'd_{m}_hi'], m)}]"

    header = ["method", "vs", "n", f"Δ{first} [95% CI]", f"better ({first})", "Wilcoxon p",
              *[f"Δ{m} [95% CI]" for m in rest]]
    rows = [[r["method"], r["reference"], str(r["n"]), delta(r, first), _fmt(100 * r[f"better_{first}"], first) + "%",
             f"{r[f'p_{first}']:.3g}" if pd.notna(r[f"p_{first}"]) else "–", *[delta(r, m) for m in rest]]
            for _, r in pair.iterrows()]
    return Table(header, rows, empty="(no other method to compare)")


def failures_table(failures: pd.DataFrame) -> Table:
    return Table(["method", "triplet", "profile", "error"],
                 [[r.method, r.triplet_id, r.profile, r.error] for r in failures.itertuples()], empty="none")


def configurations_table(configs: pd.DataFrame) -> Table:
    """What made each method's rows: options, weights' sha256, provenance, the labels snapshots scored."""
    return Table(["method", "options", "weights sha256", "provenance", "labels snapshot"],
                 [[r.method, r.options, r.weights_sha256, r.provenance, r.labels_snapshot]
                  for r in configs.itertuples()], empty="(not recorded by this run)")


CATEGORIES = tuple((lf.name, lf.title.lower()) for lf in LABEL_FIELDS)  # the label fields, declared once
VOCABULARY = {lf.name: lf.values for lf in LABEL_FIELDS}


def ordered(field: str, values) -> list[str]:
    """Category values in vocabulary order (unknown values after, ``unlabelled`` last)."""
    vocab = VOCABULARY.get(field, ())
    rank = {v: i for i, v in enumerate(vocab)}
    return sorted(values, key=lambda v: (v == UNLABELLED, rank.get(v, len(vocab)), v))
