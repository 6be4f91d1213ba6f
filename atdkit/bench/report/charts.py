"""Charts of summaries as base64 PNG: a leaderboard's bars (one per method, best first, labelled on the
axis) and a category breakdown (categories × methods, legend beside the plot, never over the bars).
Value axes start at zero, so bar lengths compare; the values are written on the bars. Error bars:
the 95% intervals of the summaries."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from atdkit.bench.scoring import BY_NAME  # noqa: E402


def png_b64(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _errors(rows: pd.DataFrame, metric: str) -> np.ndarray:
    means = rows[metric].to_numpy(dtype=float)
    return np.nan_to_num(np.vstack([means - rows[f"{metric}_lo"].to_numpy(dtype=float),
                                    rows[f"{metric}_hi"].to_numpy(dtype=float) - means]))


def ranked(table: pd.DataFrame, metric: str) -> list[str]:
    """Methods of ``table`` best first by ``metric`` (its direction from the metric table)."""
    means = table.groupby("method")[metric].mean()
    return list(means.sort_values(ascending=not BY_NAME[metric].higher_is_better, na_position="last").index)


def leaderboard_chart(board: pd.DataFrame, metric: str, title: str) -> str:
    """Horizontal bars, one per method, best at the top, method names on the axis."""
    order = ranked(board, metric)
    rows = board.set_index("method").loc[order].reset_index()
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(order) + 1.0))
    y = np.arange(len(order))[::-1]
    means = rows[metric].to_numpy(dtype=float)
    ax.barh(y, means, xerr=_errors(rows, metric), capsize=3, color="#4c78a8")
    ax.set_yticks(y)
    ax.set_yticklabels(order)
    for yi, v in zip(y, means):
        if np.isfinite(v):
            ax.text(v, yi + 0.28, f" {BY_NAME[metric].fmt(v)}", va="center", fontsize=8)
    ax.set_xlim(0, np.nanmax(rows[f"{metric}_hi"].to_numpy(dtype=float)) * 1.12 if len(rows) else 1)
    ax.set_xlabel(metric)
    ax.set_title(title)
    return png_b64(fig)


def category_chart(table: pd.DataFrame, group: str, metric: str, title: str, groups: list[str],
                   methods: list[str]) -> str:
    """Grouped bars: ``groups`` of ``group`` on the axis, one bar per method (``methods`` order), legend
    outside the plot."""
    fig, ax = plt.subplots(figsize=(max(5.0, 0.25 * len(groups) * len(methods) + 2), 3.4))
    width = 0.8 / max(1, len(methods))
    for i, m in enumerate(methods):
        sub = table[table["method"] == m]
        sub = sub.set_index(sub[group].astype(str)).reindex(groups)
        ax.bar(np.arange(len(groups)) + i * width, sub[metric].to_numpy(dtype=float), width,
               yerr=_errors(sub, metric), capsize=2, label=m)
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2)
    ax.set_xticklabels(groups, rotation=20 if max(map(len, groups), default=0) > 12 else 0, ha="right"
                       if max(map(len, groups), default=0) > 12 else "center")
    ax.set_ylabel(metric)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return png_b64(fig)


def paired_chart(pair: pd.DataFrame, metric: str, title: str) -> str:
    """Paired differences (method − reference) with their 95% intervals, one row per comparison; the zero
    line marks no difference."""
    labels = [f"{r.method} − {r.reference}" for r in pair.itertuples()]
    d = pair[f"d_{metric}"].to_numpy(dtype=float)
    err = np.nan_to_num(np.vstack([d - pair[f"d_{metric}_lo"].to_numpy(dtype=float),
                                   pair[f"d_{metric}_hi"].to_numpy(dtype=float) - d]))
    fig, ax = plt.subplots(figsize=(6.5, 0.4 * len(labels) + 1.0))
    y = np.arange(len(labels))[::-1]
    ax.errorbar(d, y, xerr=err, fmt="o", capsize=3, color="#4c78a8")
    ax.axvline(0, color="#888", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel(f"Δ{metric} (95% CI)")
    ax.set_title(title)
    return png_b64(fig)
