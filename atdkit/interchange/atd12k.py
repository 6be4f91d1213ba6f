"""ATD-12K's released folder layout in and out of a dataset root (SPEC §1.3–1.4).

Layout read and written::

    test_2k_540p/<t>/frame1.png frame2.png frame3.png        960×540 PNG test triplets
    train_10k/<t>/frame1.jpg frame2.jpg frame3.jpg           original-size JPEG training triplets
    test_2k_annotations/<t>/<t>.json                         labels of test triplets
    test_2k_pre_calc_sgm_flows/<t>/guide_flo13.npy guide_flo31.npy   SGM flows (optional)

Annotation JSON: ``level`` 0/1/2 (easy/medium/hard), ``motion_RoI`` {x, y,
width, height} in pixels of the *original* frame, ``image_size`` [W, H] of that
original frame, ``general_motion_type``, ``behavior``. Imported labels are
stored as annotations (and accepting votes) of the machine annotator
``imported:<name>`` (the name the user gives, by default the folder's; roots imported
before this rule hold ``atd12k-official``), with ``roi_image_w/h`` = ``image_size``, so the official
RoI rescale can be applied at any evaluation size.

Imported triplets get ids ``atd12k-<split>-<folder name>``; ``name`` keeps the
folder name. PNG files are copied byte for byte; JPEG frames are decoded and
stored as PNG (export writes JPEG again at quality 95, so JPEG training frames
do not round-trip bit-exactly; PNG test frames and labels do). A triplet with a
missing or unreadable frame is skipped, a missing or malformed JSON leaves it
unlabelled; both are recorded (returned, printed by the CLI, and kept in
``dataset.json`` under ``imports``) while the rest goes on.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from atdkit.errors import BadArgument, BadInput
from atdkit.hashing import sha256_file
from atdkit.labels.annotators import NAME_PATTERN
from atdkit.labels.categories import category_labels
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import read_rgb, write_png
from atdkit.store.label_fields import LABEL_FIELDS, LabelField
from atdkit.store.schema import IMPORTED_PREFIX


def credited_annotator(src: Path, annotator: str | None) -> str:
    """``imported:<name>``: the annotator the user names, by default the imported folder's name."""
    name = annotator if annotator is not None else re.sub(r"[^A-Za-z0-9_.-]+", "-", src.resolve().name).strip("-._")
    if not NAME_PATTERN.match(name or ""):
        raise BadArgument(f"annotator {name!r} for {src}'s labels: use 1-64 letters, digits, '_', '.', '-'")
    return IMPORTED_PREFIX + name

SPLITS = (("test_2k_540p", "test", ".png"), ("train_10k", "train", ".jpg"))
ANNOTATIONS_DIR = "test_2k_annotations"
FLOWS_DIR = "test_2k_pre_calc_sgm_flows"
FLOW_FILES = ("guide_flo13.npy", "guide_flo31.npy")
JPEG_QUALITY = 95


@dataclass
class ImportSummary:
    root: DatasetRoot
    n_triplets: int = 0
    n_labelled: int = 0
    n_flows: int = 0
    errors: list[str] = field(default_factory=list)


def triplet_id_for(split: str, name: str) -> str:
    return f"atd12k-{split}-{name}"


def parse_annotation(path: Path) -> dict:
    """One ATD-12K annotation JSON → annotation fields (BadInput naming the file and the problem)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"{path}: annotation JSON missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: malformed annotation JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadInput(f"{path}: annotation JSON is not an object")
    required = [lf.atd12k_key for lf in LABEL_FIELDS if lf.required_in_atd12k]
    try:
        missing = [k for k in required if k not in data]
        if missing:
            raise KeyError(missing[0])
        roi = data["motion_RoI"]
        width, height = (int(v) for v in data["image_size"])
        box = [float(roi[k]) for k in ("x", "y", "width", "height")]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{path}: annotation lacks or mangles {'/'.join([*required, 'motion_RoI', 'image_size'])} "
                       f"({exc!r})") from None
    if width <= 0 or height <= 0 or box[2] <= 0 or box[3] <= 0:
        raise BadInput(f"{path}: image_size {data['image_size']!r} or RoI size is not positive")
    labels = {lf.name: _label_from_json(path, lf, data.get(lf.atd12k_key)) for lf in LABEL_FIELDS}
    return {"roi_x": box[0], "roi_y": box[1], "roi_w": box[2], "roi_h": box[3],
            "roi_image_w": width, "roi_image_h": height, **labels}


def _label_from_json(path: Path, lf: LabelField, raw) -> str | None:
    """The value of label field ``lf`` from its ATD-12K JSON entry ``raw`` (None when absent)."""
    if raw is None:
        return None
    if lf.atd12k_index:
        n = len(lf.values)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < n:
            raise BadInput(f"{path}: {lf.atd12k_key} {raw!r} is not {', '.join(map(str, range(n - 1)))} or {n - 1}")
        return lf.values[raw]
    if raw not in lf.values:
        raise BadInput(f"{path}: {lf.atd12k_key} {raw!r} not in {', '.join(lf.values)}")
    return raw


def _import_frames(src: Path, ext: str, root: DatasetRoot, tid: str) -> tuple[int, int]:
    """Copy (PNG) or convert (JPEG) frame1..3; returns (width, height). BadInput on a bad frame."""
    images = []
    for k in (1, 2, 3):
        path = src / f"frame{k}{ext}"
        images.append((path, read_rgb(path)))
    shapes = {img.shape for _, img in images}
    if len(shapes) != 1:
        raise BadInput(f"{src}: frames differ in size {sorted(shapes)}")
    for k, (path, img) in enumerate(images, start=1):
        dest = root.frames_dir(tid) / f"frame{k}.png"
        if ext == ".png":
            atomic.write_bytes(dest, path.read_bytes())
        else:
            write_png(dest, img)
    h, w = images[0][1].shape[:2]
    return w, h


def import_atd(src: str | os.PathLike, out: str | os.PathLike, progress: bool = True,
               annotator: str | None = None) -> ImportSummary:
    """Read the ATD-12K layout under ``src`` into the dataset root ``out`` (created when absent); its labels
    are credited to :func:`credited_annotator` (machine-made labels, never human votes)."""
    src = Path(src)
    if not src.is_dir():
        raise BadInput(f"{src}: not a folder")
    credit = credited_annotator(src, annotator)
    present = [(d, split, ext) for d, split, ext in SPLITS if (src / d).is_dir()]
    if not present:
        raise BadInput(f"{src}: no ATD-12K folders ({' or '.join(d for d, _, _ in SPLITS)}) found")
    root = DatasetRoot.create(out, name="atd12k")
    summary = ImportSummary(root)
    now = datetime.now(timezone.utc)
    for folder, split, ext in present:
        names = sorted(p.name for p in (src / folder).iterdir() if p.is_dir())
        triplets, annotations = [], []
        for name in tqdm(names, desc=f"import {folder}", disable=not progress):
            tid = triplet_id_for(split, name)
            try:
                width, height = _import_frames(src / folder / name, ext, root, tid)
            except BadInput as exc:
                summary.errors.append(f"skipped {name}: {exc}")
                continue
            triplets.append({"triplet_id": tid, "film_id": f"atd12k-{split}", "split": split, "source": "atd12k",
                             "name": name, "width": width, "height": height,
                             "frame_sha256": [sha256_file(p) for p in root.frame_paths(tid)]})
            if split == "test":
                try:
                    labels = parse_annotation(src / ANNOTATIONS_DIR / name / f"{name}.json")
                    annotations.append({"triplet_id": tid, "annotator": credit, "created_at": now, **labels})
                except BadInput as exc:
                    summary.errors.append(f"unlabelled {name}: {exc}")
            flows = [src / FLOWS_DIR / name / f for f in FLOW_FILES]
            if all(p.is_file() for p in flows):
                for p in flows:
                    atomic.write_bytes(root.flows_dir(tid) / p.name, p.read_bytes())
                summary.n_flows += 1
        film = {"film_id": f"atd12k-{split}", "path": str((src / folder).resolve()), "n_triplets": len(triplets),
                "split": split, "status": "ok", "style": "ATD-12K", "mined_at": now}
        # Unnamed (time-ordered) parts: importing again, e.g. after fixing a JSON file, supersedes
        # the earlier rows (latest part / latest created_at wins) instead of being ignored.
        root.film_parts.append(pd.DataFrame([film]))
        root.triplet_parts.append(pd.DataFrame(triplets))
        if annotations:
            root.annotations.append(pd.DataFrame(annotations))
            votes = [{"triplet_id": a["triplet_id"], "annotator": credit, "accept": True, "created_at": now}
                     for a in annotations]
            root.votes.append(pd.DataFrame(votes))
        summary.n_triplets += len(triplets)
        summary.n_labelled += len(annotations)
    root.materialize()
    meta = root.meta()
    meta.setdefault("imports", []).append({"source": str(src.resolve()), "at": now.isoformat(),
                                           "n_triplets": summary.n_triplets, "errors": summary.errors})
    root.write_meta(meta)
    return summary


# ---- export ---------------------------------------------------------------------------------------

def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def annotation_json(labels: dict, stored_size: tuple[int, int]) -> dict | None:
    """Category labels of one triplet → the ATD-12K JSON object (None when it has no labels)."""
    out: dict = {}
    if pd.notna(labels.get("roi_w")):
        out["motion_RoI"] = {"x": _number(labels["roi_x"]), "y": _number(labels["roi_y"]),
                             "width": _number(labels["roi_w"]), "height": _number(labels["roi_h"])}
        iw, ih = labels.get("roi_image_w"), labels.get("roi_image_h")
        out["image_size"] = [int(iw), int(ih)] if pd.notna(iw) and pd.notna(ih) else list(stored_size)
    for lf in LABEL_FIELDS:
        if pd.notna(labels.get(lf.name)):
            out[lf.atd12k_key] = _label_to_json(lf, labels[lf.name])
    return out or None


def _label_to_json(lf: LabelField, value: str) -> str | int:
    return lf.values.index(value) if lf.atd12k_index else value


def export_atd(root: str | os.PathLike | DatasetRoot, out: str | os.PathLike, progress: bool = True,
               include_unaccepted: bool = False) -> dict:
    """Write the ATD-12K layout of the accepted triplets of ``root`` under ``out`` (labels from
    consensus where it exists, else machine labels; "accepted" as ``category_labels``' status).
    ``include_unaccepted`` also writes rejected, pending and unresolved triplets. Triplets of
    split ``train`` go to ``train_10k`` as JPEG, all others to ``test_2k_540p`` as PNG. Returns
    counts (``left_out``: triplets not written because they are not accepted)."""
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    out = Path(out)
    triplets = root.triplets()
    labels = {r["triplet_id"]: r for r in category_labels(root).to_dict("records")}
    counts = {"triplets": 0, "annotations": 0, "flows": 0, "left_out": 0}
    for r in tqdm(triplets.to_dict("records"), desc="export", disable=not progress):
        tid = r["triplet_id"]
        if not include_unaccepted and labels.get(tid, {}).get("status") != "accepted":
            counts["left_out"] += 1
            continue
        name = r["name"] if isinstance(r.get("name"), str) and r["name"] else tid
        train = r.get("split") == "train"
        folder = out / ("train_10k" if train else "test_2k_540p") / name
        for k, path in enumerate(root.frame_paths(tid), start=1):
            if train:
                atomic.write_bytes(folder / f"frame{k}.jpg", _jpeg_bytes(read_rgb(path)))
            elif path.is_file():
                atomic.write_bytes(folder / f"frame{k}.png", path.read_bytes())
            else:
                raise BadInput(f"{path}: frame file not found")
        if pd.notna(r.get("width")) and pd.notna(r.get("height")):
            stored_size = (int(r["width"]), int(r["height"]))
        else:
            h, w = read_rgb(root.frame_paths(tid)[1]).shape[:2]
            stored_size = (w, h)
        counts["triplets"] += 1
        ann = annotation_json(labels.get(tid, {}), stored_size)
        if ann is not None and not train:
            atomic.write_text(out / ANNOTATIONS_DIR / name / f"{name}.json", json.dumps(ann, indent=1) + "\n")
            counts["annotations"] += 1
        flow_dir = root.flows_dir(tid)
        if all((flow_dir / f).is_file() for f in FLOW_FILES):
            for f in FLOW_FILES:
                atomic.write_bytes(out / FLOWS_DIR / name / f, (flow_dir / f).read_bytes())
            counts["flows"] += 1
    return counts


def _jpeg_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()
