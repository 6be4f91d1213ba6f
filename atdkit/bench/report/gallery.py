"""The frame gallery: inputs, truth, every method's saved prediction, error maps and a GIF flipbook
for a few triplets. It shows only predictions the run saved (``bench --save-predictions``) and says
which methods it has none for; it never runs a method."""

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


def gallery_triplets(df: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    """Best and worst triplets by mean whole-frame PSNR over methods (first profile)."""
    prof = sorted(df["profile"].unique())[0]
    means = df[(df["profile"] == prof)].groupby("triplet_id")["psnr"].mean().dropna().sort_values()
    worst = list(means.index[:n])
    best = [t for t in means.index[::-1][:n] if t not in worst]
    return [("best", t) for t in best] + [("worst", t) for t in worst]


def gallery_html(run: Path, root: DatasetRoot, df: pd.DataFrame, tids: list[tuple[str, str]], meta: dict) -> str:
    size = tuple(meta["size"]) if meta.get("size") else None
    methods = sorted(df["method"].unique())
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
        cells = [("frame1 (input)", f1), ("frame3 (input)", f3), ("frame2 (truth)", f2)]
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
        parts.append(f"<h3>{html.escape(title)}: {html.escape(tid)}</h3><div class='gallery'>{figs}{gif}</div>")
    return "\n".join(parts)
