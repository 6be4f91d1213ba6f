"""Aggregates of results rows: bootstrap intervals, per-group summaries, the leaderboard and the
paired comparison with a reference method. Pure functions of data frames; the metrics and their
directions come from :data:`atdkit.bench.scoring.METRICS`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from atdkit.bench.scoring import BY_NAME, METRICS


def bootstrap_ci(values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN for no values)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return math.nan, math.nan
    if len(values) == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def finite(series: pd.Series, metric: str) -> np.ndarray:
    """The non-null values of a metric column, +inf counted as the metric's cap (PSNR: 100 dB)."""
    v = series.dropna().to_numpy(dtype=np.float64)
    cap = BY_NAME[metric].cap
    return np.minimum(v, cap) if cap is not None else v


def present_metrics(df: pd.DataFrame) -> list[str]:
    """The metrics of the table that have at least one value in ``df``, in table order."""
    return [m.name for m in METRICS if m.name in df and df[m.name].notna().any()]


def breakdown_metrics() -> list[str]:
    """The metrics shown per category and in paired comparisons."""
    return [m.name for m in METRICS if m.breakdown]


def summarize(df: pd.DataFrame, metric_names, n_boot: int, by: list[str]) -> pd.DataFrame:
    """Per group of ``by``: n and, per metric, mean / ci_lo / ci_hi."""
    rows = []
    for keys, g in df.groupby(by, sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys))
        row["n"] = int(g["psnr"].notna().sum())
        for m in metric_names:
            v = finite(g[m], m)
            row[m] = float(v.mean()) if len(v) else math.nan
            row[f"{m}_lo"], row[f"{m}_hi"] = bootstrap_ci(v, n_boot)
        rows.append(row)
    return pd.DataFrame(rows)


def leaderboard(df: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """One row per method, best whole-frame PSNR first."""
    table = summarize(df, present_metrics(df), n_boot, ["method"])
    extra = df.groupby("method").agg(failures=("error", lambda s: int(s.notna().sum())),
                                     seconds=("seconds", "median"), peak_mem_mb=("peak_mem_mb", "median"))
    table = table.merge(extra.reset_index(), on="method")
    return table.sort_values("psnr", ascending=False, na_position="last").reset_index(drop=True)


def paired(df: pd.DataFrame, reference: str, n_boot: int = 1000) -> pd.DataFrame:
    """Every other method against ``reference`` on the triplets both scored."""
    rows = []
    ref = df[df["method"] == reference].set_index("triplet_id")
    first = breakdown_metrics()[0]
    for method, g in df[df["method"] != reference].groupby("method"):
        g = g.set_index("triplet_id")
        row: dict = {"method": method, "reference": reference}
        for m in breakdown_metrics():
            both = pd.concat([g[m], ref[m]], axis=1, keys=["a", "b"], join="inner").dropna()
            a, b = finite(both["a"], m), finite(both["b"], m)
            d = a - b
            row["n"] = len(d)
            row[f"d_{m}"] = float(d.mean()) if len(d) else math.nan
            row[f"d_{m}_lo"], row[f"d_{m}_hi"] = bootstrap_ci(d, n_boot)
            better = d > 0 if BY_NAME[m].higher_is_better else d < 0
            row[f"better_{m}"] = float(better.mean()) if len(d) else math.nan
            if m == first:
                row[f"p_{m}"] = float(stats.wilcoxon(d).pvalue) if len(d) >= 2 and np.any(d != 0) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)
