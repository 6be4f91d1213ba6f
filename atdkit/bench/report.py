"""Leaderboards and the HTML report of a benchmark run.

For each metric profile separately (a table never mixes profiles):
- the leaderboard over whole frame and RoI (PSNR, SSIM, IE; chamfer and LPIPS
  when present), with the count of scored triplets, means and percentile
  bootstrap 95% confidence intervals of the mean, median seconds and memory;
- the same per difficulty, per general motion type and per behaviour, using
  whole-frame values (as the official script's per-level means do); triplets
  without labels form the group ``unlabelled``;
- a paired comparison of every method with the reference method on the
  triplets both scored: mean difference (method − reference) with a bootstrap
  95% interval, the share of triplets where the method is better, and the
  Wilcoxon signed-rank p-value.

Aggregation note: a perfect prediction has PSNR +inf; in means it counts as
:data:`PSNR_CAP` dB (the stored per-row values keep +inf).

Outputs in the report folder: ``leaderboard.md``, CSV files, and
``index.html`` — one self-contained page (charts and images embedded as
base64 PNG/GIF) with bar charts per category, a frame gallery of the best and
worst triplets (inputs, truth, every method's prediction, error maps, and a
GIF flipbook), and the list of failures. The gallery uses the predictions saved
with ``--save-predictions``; without them it recomputes the few it shows with
each installed method, and leaves out methods it cannot run.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import stats  # noqa: E402

from atdkit.bench import metrics  # noqa: E402
from atdkit.bench.runner import prediction_path, read_results, run_meta  # noqa: E402
from atdkit.errors import BadInput  # noqa: E402
from atdkit.labels.categories import UNLABELLED, category_labels  # noqa: E402
from atdkit.ops.resize import resize_lanczos  # noqa: E402
from atdkit.store import atomic, quarantine  # noqa: E402
from atdkit.store.dataset import DatasetRoot  # noqa: E402
from atdkit.store.schema import BEHAVIORS, DIFFICULTIES, MOTION_TYPES  # noqa: E402

PSNR_CAP = 100.0
REFERENCE_DEFAULT = "animeinterp"
CATEGORIES = (("difficulty", "difficulty"), ("motion_type", "general motion type"), ("behavior", "behaviour"))
VOCABULARY = {"difficulty": DIFFICULTIES, "motion_type": MOTION_TYPES, "behavior": BEHAVIORS}
LEADER_METRICS = ("psnr", "ssim", "ie", "roi_psnr", "roi_ssim", "roi_ie", "chamfer", "lpips")
HIGHER_IS_BETTER = {"psnr": True, "ssim": True, "roi_psnr": True, "roi_ssim": True,
                    "ie": False, "roi_ie": False, "chamfer": False, "lpips": False}
GALLERY_WIDTH = 240


# ---- statistics -----------------------------------------------------------------------------------

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


def _finite(series: pd.Series, metric: str) -> np.ndarray:
    v = series.dropna().to_numpy(dtype=np.float64)
    if metric in ("psnr", "roi_psnr"):
        v = np.minimum(v, PSNR_CAP)
    return v


def summarize(df: pd.DataFrame, metric_names, n_boot: int, by: list[str]) -> pd.DataFrame:
    """Per group of ``by``: n and, per metric, mean / ci_lo / ci_hi."""
    rows = []
    for keys, g in df.groupby(by, sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys))
        row["n"] = int(g["psnr"].notna().sum())
        for m in metric_names:
            v = _finite(g[m], m)
            row[m] = float(v.mean()) if len(v) else math.nan
            row[f"{m}_lo"], row[f"{m}_hi"] = bootstrap_ci(v, n_boot)
        rows.append(row)
    return pd.DataFrame(rows)


def leaderboard(df: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """One row per method, best whole-frame PSNR first."""
    present = [m for m in LEADER_METRICS if m in df and df[m].notna().any()]
    table = summarize(df, present, n_boot, ["method"])
    extra = df.groupby("method").agg(failures=("error", lambda s: int(s.notna().sum())),
                                     seconds=("seconds", "median"), peak_mem_mb=("peak_mem_mb", "median"))
    table = table.merge(extra.reset_index(), on="method")
    return table.sort_values("psnr", ascending=False, na_position="last").reset_index(drop=True)


def paired(df: pd.DataFrame, reference: str, n_boot: int = 1000) -> pd.DataFrame:
    """Every other method against ``reference`` on the triplets both scored."""
    rows = []
    ref = df[df["method"] == reference].set_index("triplet_id")
    for method, g in df[df["method"] != reference].groupby("method"):
        g = g.set_index("triplet_id")
        row: dict = {"method": method, "reference": reference}
        for m in ("psnr", "ssim", "ie"):
            both = pd.concat([g[m], ref[m]], axis=1, keys=["a", "b"], join="inner").dropna()
            a, b = _finite(both["a"], m), _finite(both["b"], m)
            d = a - b
            row["n"] = len(d)
            row[f"d_{m}"] = float(d.mean()) if len(d) else math.nan
            row[f"d_{m}_lo"], row[f"d_{m}_hi"] = bootstrap_ci(d, n_boot)
            better = d > 0 if HIGHER_IS_BETTER[m] else d < 0
            row[f"better_{m}"] = float(better.mean()) if len(d) else math.nan
            if m == "psnr":
                row["p_psnr"] = float(stats.wilcoxon(d).pvalue) if len(d) >= 2 and np.any(d != 0) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


# ---- formatting ---------------------------------------------------------------------------------

def _fmt(v: float, m: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    digits = 4 if m in ("ssim", "roi_ssim", "lpips") else 2
    return f"{v:.{digits}f}"


def _cell(row, m: str) -> str:
    return f"{_fmt(row[m], m)} [{_fmt(row[m + '_lo'], m)}, {_fmt(row[m + '_hi'], m)}]"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def leaderboard_md(table: pd.DataFrame) -> str:
    ms = [m for m in LEADER_METRICS if m in table]
    header = ["method", "n", *[f"{m} [95% CI]" for m in ms], "failures", "s/call", "peak MiB"]
    rows = [[r["method"], str(r["n"]), *[_cell(r, m) for m in ms], str(r["failures"]),
             f"{r['seconds']:.3f}" if pd.notna(r["seconds"]) else "–",
             f"{r['peak_mem_mb']:.1f}" if pd.notna(r["peak_mem_mb"]) else "–"] for _, r in table.iterrows()]
    return _md_table(header, rows)


def category_md(table: pd.DataFrame, field: str) -> str:
    header = [field, "method", "n", "psnr [95% CI]", "ssim [95% CI]", "ie [95% CI]"]
    rows = [[str(r[field]), r["method"], str(r["n"]), _cell(r, "psnr"), _cell(r, "ssim"), _cell(r, "ie")]
            for _, r in table.iterrows()]
    return _md_table(header, rows)


def paired_md(table: pd.DataFrame) -> str:
    if not len(table):
        return "(only the reference method in this run)"
    header = ["method", "vs", "n", "Δpsnr [95% CI]", "better (psnr)", "Wilcoxon p", "Δssim [95% CI]", "Δie [95% CI]"]
    rows = [[r["method"], r["reference"], str(r["n"]),
             f"{_fmt(r['d_psnr'], 'psnr')} [{_fmt(r['d_psnr_lo'], 'psnr')}, {_fmt(r['d_psnr_hi'], 'psnr')}]",
             _fmt(100 * r["better_psnr"], "psnr") + "%", f"{r['p_psnr']:.3g}" if pd.notna(r["p_psnr"]) else "–",
             f"{_fmt(r['d_ssim'], 'ssim')} [{_fmt(r['d_ssim_lo'], 'ssim')}, {_fmt(r['d_ssim_hi'], 'ssim')}]",
             f"{_fmt(r['d_ie'], 'ie')} [{_fmt(r['d_ie_lo'], 'ie')}, {_fmt(r['d_ie_hi'], 'ie')}]"]
            for _, r in table.iterrows()]
    return _md_table(header, rows)


# ---- pictures -----------------------------------------------------------------------------------

def _png_b64(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def bar_chart(table: pd.DataFrame, group: str | None, metric: str, title: str) -> str:
    """Grouped bar chart (categories × methods) of ``metric`` with 95% CI error bars → base64 PNG."""
    methods = sorted(table["method"].unique())
    groups = _ordered(group, table[group].astype(str).unique()) if group else [""]
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
    if len(finite) and metric in ("psnr", "roi_psnr"):
        ax.set_ylim(max(0.0, finite.min() - 3), finite.max() + 2)
    return _png_b64(fig)


def _ordered(field: str, values) -> list[str]:
    """Category values in vocabulary order (unknown values after, ``unlabelled`` last)."""
    vocab = VOCABULARY.get(field, ())
    rank = {v: i for i, v in enumerate(vocab)}
    return sorted(values, key=lambda v: (v == UNLABELLED, rank.get(v, len(vocab)), v))


def _thumb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = GALLERY_WIDTH / w
    return cv2.resize(rgb, (GALLERY_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _img_b64(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def error_image(pred_u8: np.ndarray, truth_u8: np.ndarray) -> np.ndarray:
    """Per-pixel RGB distance as a colour map (black = 0, bright = ≥ 64 in 0–255 units)."""
    err = metrics.error_map(pred_u8 / 255.0, truth_u8 / 255.0)
    scaled = np.clip(err / 64.0 * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def _labelled(rgb: np.ndarray, text: str) -> np.ndarray:
    out = rgb.copy()
    cv2.rectangle(out, (0, 0), (min(out.shape[1], 8 * len(text) + 8), 18), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def flipbook_b64(frames: list[tuple[str, np.ndarray]], ms: int = 600) -> str:
    """Labelled frames as an animated GIF → base64."""
    imgs = [Image.fromarray(_labelled(_thumb(f), label)) for label, f in frames]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=ms, loop=0)
    return base64.b64encode(buf.getvalue()).decode()


def _prediction(run: Path, method: str, tid: str, f1, f3, t: float, root: DatasetRoot) -> np.ndarray | None:
    """The saved prediction, else a fresh one from the installed method, else None."""
    path = prediction_path(run, method, tid)
    if path.is_file():
        from atdkit.store.frames import read_rgb

        return read_rgb(path)
    try:
        from atdkit.methods import base

        pred = base.load(method).interpolate(f1, f3, t, context=base.TripletContext(root.path, tid))
    except Exception:
        return None
    return np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8)


def gallery_html(run: Path, root: DatasetRoot, df: pd.DataFrame, tids: list[tuple[str, str]], meta: dict) -> str:
    size = tuple(meta["size"]) if meta.get("size") else None
    methods = sorted(df["method"].unique())
    parts = []
    for title, tid in tids:
        try:
            f1, f2, f3 = (resize_lanczos(f, size) for f in root.read_frames(tid))
        except Exception as exc:
            parts.append(f"<h3>{html.escape(title)}: {html.escape(tid)}</h3><p>frames unreadable: "
                         f"{html.escape(str(exc))}</p>")
            continue
        cells = [("frame1 (input)", f1), ("frame3 (input)", f3), ("frame2 (truth)", f2)]
        errs, flips = [], [("frame1", f1), ("truth", f2), ("frame3", f3)]
        for m in methods:
            pred = _prediction(run, m, tid, f1, f3, meta.get("t", 0.5), root)
            if pred is None or pred.shape != f2.shape:
                continue
            psnr = df[(df["method"] == m) & (df["triplet_id"] == tid)]["psnr"]
            label = f"{m} ({psnr.iloc[0]:.2f} dB)" if len(psnr) and pd.notna(psnr.iloc[0]) else m
            cells.append((label, pred))
            errs.append((f"error {m}", error_image(pred, f2)))
            flips.append((m, pred))
        figs = "".join(f"<figure><img src='data:image/png;base64,{_img_b64(_thumb(img))}'>"
                       f"<figcaption>{html.escape(label)}</figcaption></figure>" for label, img in cells + errs)
        gif = f"<figure><img src='data:image/gif;base64,{flipbook_b64(flips)}'><figcaption>flipbook</figcaption></figure>"
        parts.append(f"<h3>{html.escape(title)}: {html.escape(tid)}</h3><div class='gallery'>{figs}{gif}</div>")
    return "\n".join(parts)


# ---- the report ---------------------------------------------------------------------------------

@dataclass
class Report:
    directory: Path
    html: Path
    markdown: Path
    leaderboard_markdown: str
    csv: list[Path]


def _load_results(run: Path) -> pd.DataFrame:
    path = run / "results.parquet"
    try:
        df = quarantine.read_parquet(path).to_pandas()
    except FileNotFoundError:
        df = read_results(run)
    except quarantine.CorruptFile as exc:  # derived from the run's parts: read those instead
        quarantine.say_continuing(exc, "it (reading the run's parts instead)")
        df = read_results(run)
    if not len(df):
        raise BadInput(f"{run}: no results to report (run `atdkit bench` first)")
    return df


def _with_labels(df: pd.DataFrame, root: DatasetRoot | None) -> pd.DataFrame:
    if root is not None:
        labels = category_labels(root)[["triplet_id", "difficulty", "motion_type", "behavior", "source"]]
        df = df.merge(labels.rename(columns={"source": "label_source"}), on="triplet_id", how="left")
    for field, _ in CATEGORIES:
        if field not in df:
            df[field] = None
        df[field] = df[field].astype(object).where(df[field].notna(), UNLABELLED)
    return df


def write_report(run: str | os.PathLike, out: str | os.PathLike | None = None, *, reference: str | None = None,
                 n_gallery: int = 3, n_boot: int = 1000) -> Report:
    run = Path(run)
    meta = run_meta(run)
    out = Path(out) if out else run / "report"
    try:
        root = DatasetRoot.open(meta["root"])
    except BadInput:
        root = None
    df = _with_labels(_load_results(run), root)
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
        board = leaderboard(pdf, n_boot)
        if ref is None and len(board):
            ref = board.iloc[0]["method"]
        if ref not in methods:
            raise BadInput(f"reference method {ref!r} is not in this run (methods: {', '.join(methods)})")
        prof = metrics.PROFILES.get(profile)
        description = prof.description if prof else "(unknown profile)"
        md += [f"\n## Profile `{profile}`", description, "\n### Leaderboard (whole frame and RoI)",
               leaderboard_md(board)]
        first_board = first_board or f"profile {profile}\n" + leaderboard_md(board)
        csvs.append(_write_csv(out / f"leaderboard_{profile}.csv", board))
        section = [f"<h2>Profile <code>{html.escape(profile)}</code></h2><p>{html.escape(description)}</p>",
                   "<h3>Leaderboard</h3>", _md_to_html(leaderboard_md(board)),
                   f"<img src='data:image/png;base64,{bar_chart(board, None, 'psnr', 'whole-frame PSNR')}'>"]
        if "roi_psnr" in board and board["roi_psnr"].notna().any():
            section.append(f"<img src='data:image/png;base64,{bar_chart(board, None, 'roi_psnr', 'RoI PSNR')}'>")
        for field, title in CATEGORIES:
            cat = summarize(ok, ["psnr", "ssim", "ie"], n_boot, [field, "method"])
            order = {v: i for i, v in enumerate(_ordered(field, cat[field].unique()))}
            cat = cat.sort_values([field, "method"], key=lambda c: c.map(order) if c.name == field else c)
            md += [f"\n### Per {title} (whole-frame values)", category_md(cat, field)]
            csvs.append(_write_csv(out / f"by_{field}_{profile}.csv", cat))
            section += [f"<h3>Per {html.escape(title)}</h3>", _md_to_html(category_md(cat, field)),
                        f"<img src='data:image/png;base64,{bar_chart(cat, field, 'psnr', f'PSNR per {title}')}'>"]
        pair = paired(ok, ref, n_boot)
        md += [f"\n### Paired comparison with `{ref}` (method − reference)", paired_md(pair)]
        csvs.append(_write_csv(out / f"paired_{profile}.csv", pair))
        section += [f"<h3>Paired comparison with {html.escape(ref)}</h3>", _md_to_html(paired_md(pair))]
        body += section
    failures = df[df["error"].notna()][["method", "triplet_id", "profile", "error"]]
    csvs.append(_write_csv(out / "failures.csv", failures))
    fail_md = _md_table(["method", "triplet", "profile", "error"],
                        [[r.method, r.triplet_id, r.profile, r.error] for r in failures.itertuples()]) \
        if len(failures) else "none"
    md += ["\n## Failures", fail_md]
    body += ["<h2>Failures</h2>", _md_to_html(fail_md) if len(failures) else "<p>none</p>"]
    if root is not None and n_gallery > 0:
        body += ["<h2>Frame gallery</h2>", gallery_html(run, root, df, _gallery_triplets(df, n_gallery), meta)]
    markdown = atomic.write_text(out / "leaderboard.md", "\n\n".join(md) + "\n")
    page = _page(f"atdkit report {meta['run_id']}", "\n".join(body), meta)
    html_path = atomic.write_text(out / "index.html", page)
    return Report(out, html_path, markdown, first_board, csvs)


def _gallery_triplets(df: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    """Best and worst triplets by mean whole-frame PSNR over methods (first profile)."""
    prof = sorted(df["profile"].unique())[0]
    means = df[(df["profile"] == prof)].groupby("triplet_id")["psnr"].mean().dropna().sort_values()
    worst = list(means.index[:n])
    best = [t for t in means.index[::-1][:n] if t not in worst]
    return [("best", t) for t in best] + [("worst", t) for t in worst]


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    return atomic.write_text(path, table.to_csv(index=False))


def _md_to_html(table_md: str) -> str:
    lines = [ln for ln in table_md.splitlines() if ln.startswith("|")]
    if not lines:
        return f"<p>{html.escape(table_md)}</p>"
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cells[0])
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in cells[2:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _page(title: str, body: str, meta: dict) -> str:
    style = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;"
             "font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}"
             "td:first-child,td:nth-child(2){text-align:left}.gallery{display:flex;flex-wrap:wrap;gap:6px}"
             "figure{margin:0}figcaption{font-size:12px;text-align:center}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>dataset root <code>{html.escape(str(meta['root']))}</code>, evaluation size "
            f"{html.escape(str(meta.get('size') or 'native'))}. Intervals: percentile bootstrap 95% of the mean. "
            f"PSNR +inf counts as {PSNR_CAP:g} dB in means.</p>{body}</body></html>\n")
