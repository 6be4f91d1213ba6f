"""The frame gallery: inputs, truth (RoI boxed, and zoomed), every method's saved prediction, error
maps with their colour scale and a GIF flipbook for a few triplets: those where the learned methods
disagree most (spread of their PSNRs), then those hardest for the top method. A triplet whose truth
looks suspect — frame 2 is farther from one end than the two ends are from each other
(:func:`suspect_truth`) — is flagged. It shows only predictions the run saved (``bench
--save-predictions``) and says which methods it has none for; it never runs a method."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from atdkit.bench import metrics
from atdkit.bench.runner import prediction_path
from atdkit.ops.resize import resize_lanczos
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import read_rgb

GALLERY_WIDTH = 240
ERROR_SCALE = 64.0  # error maps saturate at this RGB distance (0–255 units)
TRAINING_FREE = ("repeat", "blend", "dis-flow")  # not learned: left out of the disagreement ranking
SUSPECT_RATIO = 1.25  # frame 2 this much farther from an end than the ends from each other: suspect


def _thumb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = GALLERY_WIDTH / w
    return cv2.resize(rgb, (GALLERY_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _img_b64(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _inferno(scaled_u8: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.applyColorMap(scaled_u8, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def error_image(pred_u8: np.ndarray, truth_u8: np.ndarray) -> np.ndarray:
    """Per-pixel RGB distance as a colour map (black = 0, bright = ≥ ERROR_SCALE in 0–255 units)."""
    err = metrics.error_map(pred_u8 / 255.0, truth_u8 / 255.0)
    return _inferno(np.clip(err / ERROR_SCALE * 255, 0, 255).astype(np.uint8))


def colour_scale() -> np.ndarray:
    """The error maps' colour scale as a labelled strip (RGB)."""
    strip = _inferno(np.tile(np.linspace(0, 255, GALLERY_WIDTH).astype(np.uint8), (14, 1)))
    band = np.full((18, GALLERY_WIDTH, 3), 255, np.uint8)
    for text, x in (("0", 2), (f"{ERROR_SCALE / 2:g}", GALLERY_WIDTH // 2 - 8), (f">={ERROR_SCALE:g}", GALLERY_WIDTH - 40)):
        cv2.putText(band, text, (x, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([strip, band])


def _labelled(rgb: np.ndarray, text: str) -> np.ndarray:
    """The picture under a band holding ``text`` (the label never covers the picture)."""
    band = np.zeros((18, rgb.shape[1], 3), np.uint8)
    cv2.putText(band, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([band, rgb])


def suspect_truth(f1: np.ndarray, f2: np.ndarray, f3: np.ndarray) -> str | None:
    """Why frame 2 does not look like a frame between frames 1 and 3, or None: its mean absolute
    difference to one end exceeds SUSPECT_RATIO × that between the ends."""
    def mad(a, b):
        return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())

    ends, d12, d23 = mad(f1, f3), mad(f1, f2), mad(f2, f3)
    if max(d12, d23) > SUSPECT_RATIO * max(ends, 0.5):
        return (f"suspect ground truth: frame 2 differs from frame {1 if d12 > d23 else 3} by "
                f"{max(d12, d23):.1f} (mean |Δ|, 0–255), more than the two ends differ ({ends:.1f})")
    return None


def _roi(df: pd.DataFrame, tid: str) -> tuple[int, int, int, int] | None:
    rows = df[(df["triplet_id"] == tid) & df["roi_w"].notna()] if "roi_w" in df else df.iloc[:0]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return int(r["roi_x"]), int(r["roi_y"]), int(r["roi_w"]), int(r["roi_h"])


def _boxed(rgb: np.ndarray, roi) -> np.ndarray:
    out = rgb.copy()
    x, y, w, h = roi
    cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), (0, 255, 255), max(2, rgb.shape[1] // 240))
    return out


def flipbook_b64(frames: list[tuple[str, np.ndarray]], ms: int = 600) -> str:
    """Labelled frames as an animated GIF → base64."""
    imgs = [Image.fromarray(_labelled(_thumb(f), label)) for label, f in frames]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=ms, loop=0)
    return base64.b64encode(buf.getvalue()).decode()


def gallery_triplets(df: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    """``n`` triplets where the learned methods disagree most (largest spread of whole-frame PSNR; all
    methods but repeat and blend when fewer than two are learned), then ``n`` hardest for the top method
    (first profile)."""
    prof = sorted(df["profile"].unique())[0]
    rows = df[(df["profile"] == prof) & df["psnr"].notna()]
    table = rows.pivot_table(index="triplet_id", columns="method", values="psnr", aggfunc="first")
    learned = [m for m in table.columns if m not in TRAINING_FREE]
    if len(learned) < 2:
        learned = [m for m in table.columns if m not in ("repeat", "blend")]
    out: list[tuple[str, str]] = []
    if len(learned) >= 2:
        spread = (table[learned].max(axis=1) - table[learned].min(axis=1)).dropna().sort_values(ascending=False)
        out += [(f"methods disagree ({', '.join(learned)} span {spread[t]:.2f} dB)", t) for t in spread.index[:n]]
    counts = table.count()
    full = table.columns[counts == counts.max()] if len(table.columns) else table.columns
    top = table[full].mean().sort_values(ascending=False).index[0] if len(full) else None  # scored on most
    if top is not None:
        hardest = table[top].dropna().sort_values()
        seen = {t for _, t in out}
        out += [(f"hard for {top} ({hardest[t]:.2f} dB)", t) for t in [t for t in hardest.index if t not in seen][:n]]
    return out


def gallery_html(run: Path, root: DatasetRoot, df: pd.DataFrame, tids: list[tuple[str, str]], meta: dict) -> str:
    size = tuple(meta["size"]) if meta.get("size") else None
    methods = list(df.groupby("method")["psnr"].mean().sort_values(ascending=False).index)  # best first
    unsaved = [m for m in methods if not any(prediction_path(run, m, tid).is_file() for _, tid in tids)]
    parts = []
    if unsaved:
        parts.append(f"<p class='note'>predictions not saved for {html.escape(', '.join(unsaved))} "
                     f"(run <code>atdkit bench --save-predictions</code> to show them here)</p>")
    for title, tid in tids:
        try:
            f1, f2, f3 = (resize_lanczos(f, size) for f in root.read_frames(tid))
        except Exception as exc:
            parts.append(f"<h3>{html.escape(title)}: {html.escape(tid)}</h3><p>frames unreadable: "
                         f"{html.escape(str(exc))}</p>")
            continue
        roi = _roi(df, tid)
        cells = [("frame1 (input)", f1), ("frame3 (input)", f3),
                 ("frame2 (truth, RoI boxed)" if roi else "frame2 (truth)", _boxed(f2, roi) if roi else f2)]
        if roi and roi[2] > 0 and roi[3] > 0:
            x, y, w, h = roi
            cells.append(("truth: RoI zoomed", f2[y:y + h, x:x + w]))
        errs, flips = [], [("frame1", f1), ("truth", f2), ("frame3", f3)]
        for m in methods:
            path = prediction_path(run, m, tid)
            pred = read_rgb(path) if path.is_file() else None
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
        scale = (f"<figure><img src='data:image/png;base64,{_img_b64(colour_scale())}'><figcaption>error colour scale "
                 f"(RGB distance, 0–255)</figcaption></figure>") if errs else ""
        suspect = suspect_truth(f1, f2, f3)
        flag = f"<p class='suspect'>⚠ {html.escape(suspect)}</p>" if suspect else ""
        parts.append(f"<h3>{html.escape(title)}: {html.escape(tid)}</h3>{flag}"
                     f"<div class='gallery'>{figs}{scale}{gif}</div>")
    return "\n".join(parts)
