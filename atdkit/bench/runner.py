"""The resumable benchmark runner: every method on every triplet of a dataset root.

Run root layout::

    RUN/run.json                    run id, dataset root, evaluation size, t, profiles
    RUN/parts/<method>--<hash>.parquet   one part per (method, shard of triplets), written atomically
    RUN/results.parquet             all parts, deduplicated (materialised after every run)
    RUN/predictions/<method>/<triplet_id>.png   with --save-predictions (8-bit, rounded)

Frame1 and frame3 go in, frame2 is the truth. Frames are resized to the
evaluation size (default 960×540, as ATD-12K's test set) with PIL's Lanczos
filter, as the official script does; ``size=None`` keeps the stored size.

Resuming: the work still to do is every (method, triplet) pair without a row
for every requested profile; it is split into shards whose part name is a hash
of their content, so a shard that was written is never written again. A killed
run loses at most the shards in flight. Rows whose ``error`` is set count as
done unless ``retry_errors`` is given (a retried row supersedes the old one).

Per row: ``seconds`` is the wall time of the ``interpolate`` call alone;
``peak_mem_mb`` is its peak additional resident memory (see
:mod:`atdkit.bench.memory`). A failure (unreadable frame, frames of different
sizes, RoI outside the frame, a method raising) is recorded in ``error`` and
the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from atdkit import distributed
from atdkit.bench import metrics
from atdkit.bench.memory import PeakMemory
from atdkit.errors import AtdkitError, BadInput, WeightsMissing
from atdkit.labels.categories import category_labels
from atdkit.methods import base
from atdkit.ops.resize import resize_lanczos
from atdkit.store import atomic, quarantine, schema
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png
from atdkit.store.parts import PartTable, to_table

DEFAULT_SIZE = (960, 540)
RESULT_KEY = ("method", "triplet_id", "profile")


@dataclass(frozen=True)
class Shard:
    """One unit of work: one method on a few triplets. Picklable (sent to workers)."""

    root: str
    run: str
    run_id: str
    method: str | base.Interpolator
    method_name: str
    triplet_ids: tuple[str, ...]
    rois: dict = field(default_factory=dict)  # triplet_id -> (x, y, w, h, image_w or None, image_h or None)
    profiles: tuple[str, ...] = (metrics.DEFAULT_PROFILE,)
    size: tuple[int, int] | None = DEFAULT_SIZE
    t: float = 0.5
    device: str = "cpu"
    save_predictions: bool = False
    chamfer: bool = True
    attempt: str = ""  # set when retrying errors, so the new part does not collide with the old one

    @property
    def part_name(self) -> str:
        content = [*sorted(self.triplet_ids), *self.profiles, self.attempt]
        digest = hashlib.sha1("\n".join(content).encode()).hexdigest()[:16]
        return f"{_safe_name(self.method_name)}--{digest}"


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


# ---- one shard (runs in a worker) -------------------------------------------------------------------

_METHODS: dict[tuple[str, str], base.Interpolator] = {}


def _method(shard: Shard) -> base.Interpolator:
    if isinstance(shard.method, base.Interpolator):
        return shard.method
    key = (shard.method, shard.device)
    if key not in _METHODS:
        _METHODS[key] = base.load(shard.method, device=shard.device)
    return _METHODS[key]


def _load_triplet(root: DatasetRoot, tid: str, size) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    f1, f2, f3 = root.read_frames(tid)
    if not (f1.shape == f2.shape == f3.shape):
        raise BadInput(f"{root.frames_dir(tid)}: frames differ in size "
                       f"({f1.shape[1]}x{f1.shape[0]}, {f2.shape[1]}x{f2.shape[0]}, {f3.shape[1]}x{f3.shape[0]})")
    stored = (f2.shape[1], f2.shape[0])
    return resize_lanczos(f1, size), resize_lanczos(f2, size), resize_lanczos(f3, size), stored


def _roi_box(roi, stored: tuple[int, int], evaluated: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if roi is None:
        return None
    x, y, w, h, iw, ih = roi
    iw = stored[0] if iw is None else iw
    ih = stored[1] if ih is None else ih
    return metrics.official_roi(x, y, w, h, iw, ih, evaluated[0], evaluated[1])


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, AtdkitError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _score_rows(shard: Shard, tid: str, pred, truth, box, lpips_model) -> list[dict]:
    rows = []
    for profile_name in shard.profiles:
        profile = metrics.get_profile(profile_name)
        row = {"profile": profile_name}
        try:
            try:
                row.update(metrics.score(pred, truth, profile, roi=box, with_chamfer=shard.chamfer))
            except BadInput as exc:
                if box is None:
                    raise
                # keep the whole-frame scores when only the RoI is bad
                row.update(metrics.score(pred, truth, profile, roi=None, with_chamfer=shard.chamfer))
                row["error"] = f"{tid}: {_error_text(exc)}"
            if lpips_model is not None:
                row["lpips"] = lpips_model.distance(metrics.prepare_prediction(pred, profile),
                                                    metrics.truth_to_float(truth))
        except Exception as exc:
            row["error"] = f"{tid}: {_error_text(exc)}"
        rows.append(row)
    return rows


def run_shard(shard: Shard) -> tuple[str, int, int]:
    """Run one shard and write its part atomically; returns (part name, rows, errors)."""
    table = PartTable(Path(shard.run) / "parts", schema.RESULTS, key=RESULT_KEY)
    if table.has_part(shard.part_name):
        return shard.part_name, 0, 0
    root = DatasetRoot.open(shard.root)
    method = _method(shard)
    lpips_model = None
    from atdkit.bench.lpips import load_lpips

    lpips_model = load_lpips(shard.device)
    rows: list[dict] = []
    for tid in shard.triplet_ids:
        base_row = {"run_id": shard.run_id, "method": shard.method_name, "triplet_id": tid}
        try:
            f1, f2, f3, stored = _load_triplet(root, tid, shard.size)
            box = _roi_box(shard.rois.get(tid), stored, (f2.shape[1], f2.shape[0]))
        except Exception as exc:
            rows += [{**base_row, "profile": p, "error": f"{tid}: {_error_text(exc)}"} for p in shard.profiles]
            continue
        try:
            with PeakMemory() as mem:
                start = time.perf_counter()
                pred = method.interpolate(f1, f3, shard.t, context=base.TripletContext(root.path, tid))
                seconds = time.perf_counter() - start
            pred = np.asarray(pred)
        except Exception as exc:
            rows += [{**base_row, "profile": p, "error": f"{tid}: method {shard.method_name} raised "
                      f"{_error_text(exc)}"} for p in shard.profiles]
            continue
        timing = {"seconds": seconds, "peak_mem_mb": mem.peak_mb}
        if shard.save_predictions and pred.shape == f2.shape:
            write_png(prediction_path(shard.run, shard.method_name, tid),
                      np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8) if pred.dtype != np.uint8 else pred)
        rows += [{**base_row, **timing, **r} for r in _score_rows(shard, tid, pred, f2, box, lpips_model)]
    now = datetime.now(timezone.utc)
    df = pd.DataFrame([{**r, "created_at": now} for r in rows])
    table.append(df, name=shard.part_name)
    return shard.part_name, len(rows), int(df["error"].notna().sum()) if "error" in df else 0


def prediction_path(run: str | os.PathLike, method: str, triplet_id: str) -> Path:
    return Path(run) / "predictions" / _safe_name(method) / f"{triplet_id}.png"


# ---- planning and the whole run -----------------------------------------------------------------------

def read_results(run: str | os.PathLike) -> pd.DataFrame:
    """All result rows of a run, latest row per (method, triplet, profile)."""
    df = PartTable(Path(run) / "parts", schema.RESULTS).read(on_error="skip")
    if not len(df):
        return df
    df = df.reset_index(drop=True)
    df["_order"] = range(len(df))
    df = df.sort_values(["created_at", "_order"], kind="stable").drop_duplicates(list(RESULT_KEY), keep="last")
    return df.drop(columns="_order").sort_values(list(RESULT_KEY)).reset_index(drop=True)


def materialize(run: str | os.PathLike) -> Path:
    """Rewrite RUN/results.parquet from the parts (atomically)."""
    path = Path(run) / "results.parquet"
    atomic.write_table(path, to_table(read_results(run), schema.RESULTS))
    return path


def _run_meta(run: Path, root: DatasetRoot, size, t, profiles) -> dict:
    path = run / "run.json"
    wanted = {"root": str(root.path.resolve()), "size": list(size) if size else None, "t": t}
    if path.is_file():
        meta = quarantine.read_json(path)  # corrupt: moved aside, the run stops (one line)
        for k, v in wanted.items():
            if meta.get(k) != v:
                raise BadInput(f"{path}: this run was made with {k}={meta.get(k)!r}, not {v!r}; use another --out")
        meta["profiles"] = sorted(set(meta.get("profiles", [])) | set(profiles))
    else:
        meta = {"run_id": f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}", **wanted,
                "profiles": sorted(profiles), "created_at": datetime.now(timezone.utc).isoformat()}
    atomic.write_text(path, json.dumps(meta, indent=2) + "\n")
    return meta


def run_meta(run: str | os.PathLike) -> dict:
    path = Path(run) / "run.json"
    if not path.is_file():
        raise BadInput(f"{run}: not a benchmark run (no run.json)")
    return quarantine.read_json(path)


def check_methods(names: list[str]) -> None:
    """Fail at once (one line) for an unknown method or one whose weights are absent."""
    for name in names:
        cls = base.method_class(name)
        missing = [w for w, p in cls.weights_status().items() if p is None]
        if missing:
            raise WeightsMissing(f"method {name!r} needs weights {', '.join(missing)}: run `atdkit weights fetch "
                                 f"{' '.join(missing)}` or put the files in $ATDKIT_WEIGHTS_DIR")


def _rois(root: DatasetRoot) -> dict:
    labels = category_labels(root)
    out = {}
    for r in labels.to_dict("records"):
        if pd.notna(r["roi_w"]) and pd.notna(r["roi_h"]):
            iw = None if pd.isna(r["roi_image_w"]) else int(r["roi_image_w"])
            ih = None if pd.isna(r["roi_image_h"]) else int(r["roi_image_h"])
            out[r["triplet_id"]] = (r["roi_x"], r["roi_y"], r["roi_w"], r["roi_h"], iw, ih)
    return out


@dataclass
class RunSummary:
    run: Path
    rows_written: int
    errors: int
    shards_done: int
    shards_failed: list[str]
    skipped_pairs: int


def run_benchmark(root: str | os.PathLike | DatasetRoot, out: str | os.PathLike,
                  methods: list[str | base.Interpolator], *, profiles: tuple[str, ...] = (metrics.DEFAULT_PROFILE,),
                  size: tuple[int, int] | None = DEFAULT_SIZE, t: float = 0.5, workers: int = 1,
                  scheduler: str | None = None, shard_size: int = 8, save_predictions: bool = False,
                  retry_errors: bool = False, chamfer: bool = True, device: str = "cpu",
                  triplet_ids: list[str] | None = None, progress: bool = True) -> RunSummary:
    """Score every method on every triplet (or ``triplet_ids``) of ``root`` into the run folder ``out``.

    ``methods``: registered names (checked at once) or Interpolator objects
    (run in-process unless picklable). Returns a summary; results are in
    ``out/results.parquet``.
    """
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    for p in profiles:
        metrics.get_profile(p)
    check_methods([m for m in methods if isinstance(m, str)])
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    atomic.remove_stale_temps(run)
    meta = _run_meta(run, root, size, t, profiles)
    tids = list(root.triplets()["triplet_id"]) if triplet_ids is None else list(triplet_ids)
    rois = _rois(root)
    done = read_results(run)
    shards = []
    skipped = 0
    for m in methods:
        name = m if isinstance(m, str) else (m.name or type(m).__name__)
        finished: set[str] = set(tids)
        for p in profiles:
            have = done[(done["method"] == name) & (done["profile"] == p)] if len(done) else done
            if len(have) and not retry_errors:
                ok = set(have["triplet_id"])
            elif len(have):
                ok = set(have.loc[have["error"].isna(), "triplet_id"])
            else:
                ok = set()
            finished &= ok
        pending = [tid for tid in tids if tid not in finished]
        skipped += len(tids) - len(pending)
        for i in range(0, len(pending), shard_size):
            chunk = tuple(pending[i:i + shard_size])
            shards.append(Shard(str(root.path), str(run), meta["run_id"], m, name, chunk,
                                {tid: rois[tid] for tid in chunk if tid in rois}, tuple(profiles),
                                tuple(size) if size else None, t, device, save_predictions, chamfer,
                                uuid.uuid4().hex if retry_errors else ""))
    rows = errors = 0
    failed: list[str] = []
    for shard, result in distributed.run_all(run_shard, shards, workers=workers, scheduler=scheduler,
                                              desc="bench", progress=progress):
        if isinstance(result, BaseException):
            failed.append(f"{shard.method_name} shard {shard.part_name}: {_error_text(result)}")
        else:
            rows += result[1]
            errors += result[2]
    materialize(run)
    return RunSummary(run, rows, errors, len(shards) - len(failed), failed, skipped)
