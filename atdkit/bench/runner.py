"""The resumable benchmark runner: every method on every triplet of a dataset root.

Run root layout::

    RUN/run.json                    run id, dataset root, evaluation size, t, profiles, and one entry per
                                    session (device, threads, atdkit/torch versions, each method's
                                    weights' sha256, how many triplets each label source labelled)
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

Methods are given as ``NAME[:key=value,…]`` (options checked against the class's
declared ``options``); ``weights`` maps weights names to files that replace the
resolved ones. A results row is a record of what was scored: the method's
configuration (``method`` is its label, ``options`` the JSON of the options),
the sha256 of every weights file it declares, its ``provenance()`` (read after each interpolation), the RoI box
used (pixels of the evaluated frame), and the category labels the triplet had
with the hash of the labels table they came from (``labels_snapshot``); the
report groups by these, never by the labels as they are at report time.
Resuming with other weights for a configuration that already has rows is an
error (another run folder, or another configuration).

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
import platform
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

import atdkit
from atdkit import distributed
from atdkit import weights as weights_registry
from atdkit.bench import metrics, scoring
from atdkit.bench.memory import PeakMemory
from atdkit.errors import AtdkitError, BadInput, WeightsMissing
from atdkit.labels.categories import LABEL_FIELDS, UNLABELLED, category_labels
from atdkit.methods import base
from atdkit.ops.resize import resize_lanczos
from atdkit.store import atomic, quarantine
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
    method_name: str  # the configuration's label (results' ``method``)
    triplet_ids: tuple[str, ...]
    rois: dict = field(default_factory=dict)  # triplet_id -> (x, y, w, h, image_w or None, image_h or None)
    profiles: tuple[str, ...] = (metrics.DEFAULT_PROFILE,)
    size: tuple[int, int] | None = DEFAULT_SIZE
    t: float = 0.5
    device: str = "cpu"
    save_predictions: bool = False
    metrics: tuple[str, ...] = ()  # names in scoring.METRICS
    attempt: str = ""  # set when retrying errors, so the new part does not collide with the old one
    options: tuple = ()  # (key, value) pairs passed to the method's constructor
    weights: tuple = ()  # (weights name, path) overrides
    record: dict = field(default_factory=dict)  # columns every row of this shard carries
    labels: dict = field(default_factory=dict)  # triplet_id -> {difficulty, motion_type, behavior, label_source}

    @property
    def part_name(self) -> str:
        content = [*sorted(self.triplet_ids), *self.profiles, self.attempt]
        if self.method_name != getattr(self.method, "name", self.method):
            content.append(self.method_name)
        digest = hashlib.sha1("\n".join(content).encode()).hexdigest()[:16]
        return f"{_safe_name(self.method_name)}--{digest}"


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


# ---- one shard (runs in a worker) -------------------------------------------------------------------

_METHODS: dict[tuple, base.Interpolator] = {}


def _method(shard: Shard) -> base.Interpolator:
    if isinstance(shard.method, base.Interpolator):
        return shard.method
    key = (shard.method, shard.options, shard.weights, shard.device)
    if key not in _METHODS:
        with weights_registry.overridden(dict(shard.weights)):
            _METHODS[key] = base.load(shard.method, device=shard.device, **dict(shard.options))
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


def _score_rows(shard: Shard, tid: str, pred, truth, box) -> list[dict]:
    chosen = tuple(scoring.BY_NAME[m] for m in shard.metrics)
    rows = []
    for profile_name in shard.profiles:
        row: dict = {"profile": profile_name}
        try:
            values, error = scoring.score_metrics(
                scoring.Scoring(pred, truth, profile_name, roi=box, device=shard.device), chosen)
            row.update(values)
            if error is not None:
                row["error"] = f"{tid}: {error}"
        except Exception as exc:
            row["error"] = f"{tid}: {_error_text(exc)}"
        rows.append(row)
    return rows


def _box_columns(box) -> dict:
    return {} if box is None else dict(zip(("roi_x", "roi_y", "roi_w", "roi_h"), box))


def run_shard(shard: Shard) -> tuple[str, int, int]:
    """Run one shard and write its part atomically; returns (part name, rows, errors)."""
    table = PartTable(Path(shard.run) / "parts", scoring.RESULTS, key=RESULT_KEY)
    if table.has_part(shard.part_name):
        return shard.part_name, 0, 0
    root = DatasetRoot.open(shard.root)
    method = _method(shard)
    record = {**shard.record, "provenance": json.dumps(method.provenance(), sort_keys=True)}
    rows: list[dict] = []
    for tid in shard.triplet_ids:
        base_row = {"run_id": shard.run_id, "method": shard.method_name, "triplet_id": tid, **record,
                    **shard.labels.get(tid, {"label_source": UNLABELLED})}
        try:
            f1, f2, f3, stored = _load_triplet(root, tid, shard.size)
            box = _roi_box(shard.rois.get(tid), stored, (f2.shape[1], f2.shape[0]))
        except Exception as exc:
            rows += [{**base_row, "profile": p, "error": f"{tid}: {_error_text(exc)}"} for p in shard.profiles]
            continue
        base_row.update(_box_columns(box))
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
        timing = {"seconds": seconds, "peak_mem_mb": mem.peak_mb,
                  "provenance": json.dumps(method.provenance(), sort_keys=True)}  # what this row's input was
        if shard.save_predictions and pred.shape == f2.shape:
            write_png(prediction_path(shard.run, shard.method_name, tid),
                      np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8) if pred.dtype != np.uint8 else pred)
        rows += [{**base_row, **timing, **r} for r in _score_rows(shard, tid, pred, f2, box)]
    now = datetime.now(timezone.utc)
    df = pd.DataFrame([{**r, "created_at": now} for r in rows])
    table.append(df, name=shard.part_name)
    return shard.part_name, len(rows), int(df["error"].notna().sum()) if "error" in df else 0


def prediction_path(run: str | os.PathLike, method: str, triplet_id: str) -> Path:
    return Path(run) / "predictions" / _safe_name(method) / f"{triplet_id}.png"


# ---- planning and the whole run -----------------------------------------------------------------------

def read_results(run: str | os.PathLike) -> pd.DataFrame:
    """All result rows of a run, latest row per (method, triplet, profile)."""
    df = PartTable(Path(run) / "parts", scoring.RESULTS).read(on_error="skip")
    if not len(df):
        return df
    df = df.reset_index(drop=True)
    df["_order"] = range(len(df))
    df = df.sort_values(["created_at", "_order"], kind="stable").drop_duplicates(list(RESULT_KEY), keep="last")
    return df.drop(columns="_order").sort_values(list(RESULT_KEY)).reset_index(drop=True)


def materialize(run: str | os.PathLike) -> Path:
    """Rewrite RUN/results.parquet from the parts (atomically)."""
    path = Path(run) / "results.parquet"
    atomic.write_table(path, to_table(read_results(run), scoring.RESULTS))
    return path


def _session(device: str, workers: int, scheduler: str | None) -> dict:
    """What this bench invocation runs on (recorded in run.json). Threads: what each local pool
    worker is given (see :mod:`atdkit.distributed`), or this process's torch threads when it scores
    in-process (its CPU count when torch is not loaded yet)."""
    import sys
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = None
    if scheduler is None and workers > 1:
        threads = max(1, (os.cpu_count() or 1) // workers)
    elif "torch" in sys.modules:
        threads = sys.modules["torch"].get_num_threads()
    else:
        threads = os.cpu_count()
    return {"session": uuid.uuid4().hex[:12], "started_at": datetime.now(timezone.utc).isoformat(),
            "device": device, "workers": workers, "scheduler": scheduler, "threads_per_worker": threads,
            "atdkit_version": atdkit.__version__, "python": platform.python_version(), "torch": torch_version,
            "host": platform.node(), "cpus": os.cpu_count()}


def _run_meta(run: Path, root: DatasetRoot, size, t, profiles, session: dict) -> dict:
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
    meta["sessions"] = [*meta.get("sessions", []), session]
    atomic.write_text(path, json.dumps(meta, indent=2) + "\n")
    return meta


def run_meta(run: str | os.PathLike) -> dict:
    path = Path(run) / "run.json"
    if not path.is_file():
        raise BadInput(f"{run}: not a benchmark run (no run.json)")
    return quarantine.read_json(path)


def _shard_size(shard_size: int, n_triplets: int, n_methods: int, workers: int, scheduler: str | None) -> int:
    """``shard_size`` triplets a shard; on a cluster fewer when that leaves worker threads idle
    (shards are planned from the cluster's worker × thread count)."""
    if not scheduler:
        return shard_size
    per_method = max(1, -(-distributed.slots(workers, scheduler) // max(n_methods, 1)))
    return max(1, min(shard_size, -(-n_triplets // per_method)))


class _WeightsOnWorker:
    """A worker check: the weights files of every method choice resolve on this worker (its
    $ATDKIT_WEIGHTS_DIR and cache, or the overriding files given on the client)."""

    def __init__(self, choices: list[base.MethodChoice], overrides: tuple):
        self.choices, self.overrides = choices, overrides

    def __call__(self) -> str | None:
        try:
            with weights_registry.overridden(dict(self.overrides)):  # checks the override files
                for choice in self.choices:
                    for spec in base.method_class(choice.name).weights_used(dict(choice.options)):
                        weights_registry.resolve(spec)
        except WeightsMissing as exc:
            return str(exc)
        return None


def check_methods(names: list[str]) -> list[base.MethodChoice]:
    """Parse and check ``NAME[:key=value,…]`` specs; fail at once (one line) for an unknown method,
    option or value, or one whose weights are absent."""
    choices = []
    for text in names:
        choice = base.parse_method(text)
        cls = base.method_class(choice.name)
        missing = [w for w, p in cls.weights_status(dict(choice.options)).items() if p is None]
        if missing:
            raise WeightsMissing(f"method {choice.name!r} needs weights {', '.join(missing)}: run `atdkit weights "
                                 f"fetch {' '.join(missing)}` or put the files in $ATDKIT_WEIGHTS_DIR")
        choices.append(choice)
    return choices


_DIGESTS: dict[tuple, str] = {}


def _digest(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = weights_registry.sha256_file(path)
    return _DIGESTS[key]


def weights_digests(cls: type[base.Interpolator], options: dict | None = None) -> dict[str, str]:
    """{weights name: sha256} of the files the configuration of ``cls`` with ``options`` loads, as
    resolved now (overrides included); absent files are left out."""
    out = {}
    for spec in cls.weights_used(options or {}):
        try:
            out[spec.name] = _digest(weights_registry.resolve(spec))
        except WeightsMissing:
            continue
    return out


def labels_snapshot(labels: pd.DataFrame) -> str:
    """16 hex of the sha256 of the category labels table (sorted by triplet, as CSV)."""
    text = labels.sort_values("triplet_id").to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rois(labels: pd.DataFrame) -> dict:
    out = {}
    for r in labels.to_dict("records"):
        if pd.notna(r["roi_w"]) and pd.notna(r["roi_h"]):
            iw = None if pd.isna(r["roi_image_w"]) else int(r["roi_image_w"])
            ih = None if pd.isna(r["roi_image_h"]) else int(r["roi_image_h"])
            out[r["triplet_id"]] = (r["roi_x"], r["roi_y"], r["roi_w"], r["roi_h"], iw, ih)
    return out


def _row_labels(labels: pd.DataFrame) -> dict:
    out = {}
    for r in labels.to_dict("records"):
        row = {k: (r[k] if pd.notna(r[k]) else None) for k in LABEL_FIELDS}
        row["label_source"] = r["source"]
        out[r["triplet_id"]] = row
    return out


def _check_same_weights(done: pd.DataFrame, label: str, digests: str) -> None:
    if not len(done) or "weights_sha256" not in done:
        return
    have = done.loc[(done["method"] == label) & done["weights_sha256"].notna(), "weights_sha256"].unique()
    other = [h for h in have if h != digests]
    if other:
        raise BadInput(f"this run has rows of {label!r} made with other weights ({other[0]}, not {digests}); "
                       f"use another --out")


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
                  triplet_ids: list[str] | None = None, progress: bool = True,
                  weights: dict[str, str | os.PathLike] | None = None) -> RunSummary:
    """Score every method on every triplet (or ``triplet_ids``) of ``root`` into the run folder ``out``.

    ``methods``: ``NAME[:key=value,…]`` specs (checked at once) or Interpolator objects
    (run in-process unless picklable); ``weights``: {weights name: file} replacing the resolved
    files. Returns a summary; results are in ``out/results.parquet``.
    """
    root = root if isinstance(root, DatasetRoot) else DatasetRoot.open(root)
    for p in profiles:
        metrics.get_profile(p)
    overrides = tuple(sorted((k, str(Path(v).resolve())) for k, v in (weights or {}).items()))
    texts = [m for m in methods if isinstance(m, str)]
    with weights_registry.overridden(dict(overrides)):
        choices = dict(zip(texts, check_methods(texts)))
        digests = {text: weights_digests(base.method_class(c.name), dict(c.options)) for text, c in choices.items()}
        digests.update({id(m): weights_digests(type(m)) for m in methods if not isinstance(m, str)})
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    atomic.remove_stale_temps(run)
    tids = list(root.triplets()["triplet_id"]) if triplet_ids is None else list(triplet_ids)
    labels = category_labels(root)
    rois, row_labels, snapshot = _rois(labels), _row_labels(labels), labels_snapshot(labels)
    session = _session(device, workers, scheduler)
    # provenance of what this session scores: each method's weights, where the triplets' labels came from
    session["weights_sha256"] = {(m if isinstance(m, str) else m.name or type(m).__name__):
                                 digests[m if isinstance(m, str) else id(m)] for m in methods}
    session["label_sources"] = dict(Counter(row_labels.get(tid, {}).get("label_source") or UNLABELLED for tid in tids))
    meta = _run_meta(run, root, size, t, profiles, session)
    chosen = tuple(m.name for m in scoring.selected(chamfer))
    size_of_shards = _shard_size(shard_size, len(tids), len(methods), workers, scheduler)
    done = read_results(run)
    shards = []
    skipped = 0
    for m in methods:
        if isinstance(m, str):
            choice = choices[m]
            target, label, options, digest = choice.name, choice.label, choice.options, digests[m]
        else:
            target, label, options, digest = m, m.name or type(m).__name__, (), digests[id(m)]
        digest_json = json.dumps(digest, sort_keys=True)
        _check_same_weights(done, label, digest_json)
        record = {"method_name": target if isinstance(target, str) else label,
                  "options": json.dumps(dict(options), sort_keys=True), "weights_sha256": digest_json,
                  "session": session["session"], "labels_snapshot": snapshot}
        finished: set[str] = set(tids)
        for p in profiles:
            have = done[(done["method"] == label) & (done["profile"] == p)] if len(done) else done
            if len(have) and not retry_errors:
                ok = set(have["triplet_id"])
            elif len(have):
                ok = set(have.loc[have["error"].isna(), "triplet_id"])
            else:
                ok = set()
            finished &= ok
        pending = [tid for tid in tids if tid not in finished]
        skipped += len(tids) - len(pending)
        for i in range(0, len(pending), size_of_shards):
            chunk = tuple(pending[i:i + size_of_shards])
            shards.append(Shard(
                root=str(root.path.absolute()), run=str(run.absolute()), run_id=meta["run_id"], method=target, method_name=label,
                triplet_ids=chunk, rois={tid: rois[tid] for tid in chunk if tid in rois}, profiles=tuple(profiles),
                size=tuple(size) if size else None, t=t, device=device, save_predictions=save_predictions,
                metrics=chosen, attempt=uuid.uuid4().hex if retry_errors else "", options=options,
                weights=overrides, record=record, labels={tid: row_labels[tid] for tid in chunk if tid in row_labels}))
    rows = errors = 0
    failed: list[str] = []
    checks = [distributed.readable_files(root.meta_path, run / "run.json", why=distributed.SHARED_ROOT),
              _WeightsOnWorker(list(choices.values()), overrides)]
    for shard, result in distributed.run_all(run_shard, shards, workers=workers, scheduler=scheduler,
                                              desc="bench", progress=progress, checks=checks):
        if isinstance(result, BaseException):
            failed.append(f"{shard.method_name} shard {shard.part_name}: {_error_text(result)}")
        else:
            rows += result[1]
            errors += result[2]
    materialize(run)
    return RunSummary(run, rows, errors, len(shards) - len(failed), failed, skipped)
