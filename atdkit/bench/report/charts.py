"""Bar charts of summaries (categories × methods, 95% CI error bars) as base64 PNG."""

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


def bar_chart(table: pd.DataFrame, group: str | None, metric: str, title: str, groups: list[str] | None = None) -> str:
    """Grouped bar chart (``groups`` of ``group`` × methods) of ``metric`` with 95% CI error bars → base64 PNG."""
    methods = sorted(table["method"].unique())
    groups = groups if group else [""]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(groups) * max(1, len(methods)) * 0.5 + 2), 3.2))
    width = 0.8 / max(1, len(methods))
    for i, m in enumerate(methods):
        sub = table[table["method"] == m]
        if group:
            sub = sub.set_index(sub[group].astype(str)).reindex(groups)
        means = sub[metric].to_numpy(dtype=float)
        err = np.vstack([means - sub[f"{metric}_lo"].to_numpy(dtype=float),
                         sub[f"{metric}_hi"].to_numpy(dtype=float) - means])
        ax.bar(np.arange(len(groups)) + i * width, means, width, yerr=np.nan_to_num(err), capsize=3, label=m)
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2)
    ax.set_xticklabels(groups)
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    finite = table[metric].replace([np.inf, -np.inf], np.nan).dropna()
    if len(finite) and BY_NAME[metric].cap is not None:  # dB scales: zoom to the bars
        ax.set_ylim(max(0.0, finite.min() - 3), finite.max() + 2)
    return png_b64(fig)
