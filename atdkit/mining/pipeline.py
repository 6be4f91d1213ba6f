"""Mining films into a dataset root: one idempotent unit per film, run in parallel.

Per film (:func:`mine_film`), in one sequential decoding pass:
decode → working frame (≤ ``ssim_size``, area) → shot/drawing tracking
(:mod:`atdkit.mining.shots`) → candidate triplets settled as soon as their
frames are in a small ring buffer (:mod:`atdkit.mining.sampler`) → for each kept
triplet: motion statistics and RoI proposal (:mod:`atdkit.motion`), pHash, the
three frames written as PNG at full resolution (atomic).

The unit then writes its Parquet parts, each named after the film id:
``parts/triplets/<film_id>``, ``parts/candidates/<film_id>`` and last
``parts/films/<film_id>`` — the film part marks the film done. A unit killed at
any point leaves no visible partial file (atomic writes) and is simply redone
by the next run (mining is deterministic, so a redone unit writes the same
bytes); a done film is never mined again (same content ⇒ same film id).
After all units: the cross-dataset pHash check (:mod:`atdkit.mining.dedup`),
then ``films/triplets/candidates.parquet`` are rebuilt from the parts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atdkit.distributed import run_all
from atdkit.errors import AtdkitError, BadInput
from atdkit.hashing import sha256_file
from atdkit.mining import dedup
from atdkit.mining.sampler import Candidate, SamplerParams, TripletSampler
from atdkit.mining.shots import ShotParams, ShotTracker, frame_features
from atdkit.mining.similarity import SSIMStats, ssim_decide, ssim_stats, to_working, working_size
from atdkit.motion import FLOW_WIDTH, motion_stats
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import encode_png

CONFIG_VERSION = 2


@dataclass(frozen=True)
class MiningConfig:
    """Everything that decides which triplets a film yields (stored in dataset.json)."""

    strides: tuple[int, ...] = (1, 2, 3)
    ssim_low: float = 0.75
    ssim_high: float = 0.95
    ssim_size: tuple[int, int] = (960, 540)
    ssim_channels: str = "rgb"
    min_spacing: int = 6
    per_shot_cap: int = 10
    require_balanced: bool = False
    phash_distance: int = 4
    flow_width: int = FLOW_WIDTH     # DIS working width (px, at most) of the motion statistics
    shot: ShotParams = field(default_factory=ShotParams)

    def __post_init__(self) -> None:
        if not self.strides or any(int(g) < 1 for g in self.strides):
            raise BadInput(f"strides must be positive integers, got {self.strides}")
        if not 0 <= self.ssim_low <= self.ssim_high <= 1:
            raise BadInput(f"SSIM window [{self.ssim_low}, {self.ssim_high}] must satisfy 0 ≤ low ≤ high ≤ 1")
        if self.ssim_channels not in ("rgb", "gray"):
            raise BadInput(f"ssim channels must be rgb or gray, not {self.ssim_channels!r}")
        if self.flow_width < 32:
            raise BadInput(f"flow width {self.flow_width} too small (min 32 px)")
        if min(self.ssim_size) < 16:
            raise BadInput(f"ssim size {self.ssim_size} too small")

    def sampler(self) -> SamplerParams:
        return SamplerParams(tuple(sorted(set(self.strides))), self.ssim_low, self.ssim_high, self.min_spacing,
                             self.per_shot_cap, self.require_balanced)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["strides"], d["ssim_size"] = list(self.strides), list(self.ssim_size)
        d["version"] = CONFIG_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MiningConfig:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "shot" in kw:
            kw["shot"] = ShotParams(**kw["shot"])
        for k in ("strides", "ssim_size"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)


def film_identity(path: str | os.PathLike) -> tuple[str, str | None]:
    """(film_id, sha256): the first 16 hex digits of the content's sha256; for a file that cannot be
    read, ``path-`` + 11 hex digits of the absolute path's hash (so its failure is still recorded)."""
    p = Path(path)
    try:
        digest = sha256_file(p)
        return digest[:16], digest
    except OSError:
        return "path-" + hashlib.sha256(str(p.absolute()).encode()).hexdigest()[:11], None


def triplet_id(film_id: str, f1: int, stride: int) -> str:
    return f"{film_id}-{f1:06d}-s{stride}"


@dataclass
class _Slot:
    frame: np.ndarray
    work: np.ndarray
    stats: SSIMStats | None = None


class _FrameRing:
    """The last few decoded frames with lazily computed SSIM statistics and a pair cache."""

    def __init__(self, size: int, thresholds: tuple[float, float]):
        self.size = size
        self.thresholds = thresholds
        self.slots: dict[int, _Slot] = {}
        self.pairs: dict[tuple[int, int], float] = {}
        self.ssim_count = 0

    def push(self, index: int, frame: np.ndarray, work: np.ndarray) -> None:
        self.slots[index] = _Slot(frame, work)
        oldest = index - self.size + 1
        for k in [k for k in self.slots if k < oldest]:
            del self.slots[k]
        for k in [k for k in self.pairs if k[0] < oldest]:
            del self.pairs[k]

    def _stats(self, i: int) -> SSIMStats:
        slot = self.slots[i]
        if slot.stats is None:
            slot.stats = ssim_stats(slot.work)
        return slot.stats

    def ssim(self, i: int, j: int) -> float:
        key = (i, j)
        if key not in self.pairs:
            self.pairs[key] = ssim_decide(self._stats(i), self._stats(j), self.thresholds)
            self.ssim_count += 1
        return self.pairs[key]


def _film_row(film_id: str, path: Path, sha: str | None, job: dict[str, Any], **values: Any) -> dict[str, Any]:
    row = {"film_id": film_id, "path": str(path), "sha256": sha, "style": job.get("style"),
           "license": job.get("license"), "split": job.get("split"), "mined_at": datetime.now(timezone.utc)}
    row.update(values)
    return row


def mine_film(job: dict[str, Any]) -> dict[str, Any]:
    """The unit of work: mine one film into the root (see module doc). Never raises for a bad film:
    the failure is recorded in its film part. Returns a small summary dict."""
    root = DatasetRoot(job["root"])
    path = Path(job["film"])
    config = MiningConfig.from_dict(job["config"])
    film_id, sha = (job["film_id"], job.get("sha256")) if job.get("film_id") else film_identity(path)
    written: list[str] = []
    try:
        result = _mine_frames(root, path, film_id, config, job, written)
    except Exception as exc:  # a bad film (BadInput) or anything else: recorded, the other films go on
        for tid in written:  # frames of a film that failed are not part of the dataset
            shutil.rmtree(root.frames_dir(tid), ignore_errors=True)
        text = str(exc) if isinstance(exc, AtdkitError) else f"mining failed ({type(exc).__name__}: {exc})"
        msg = text if text.startswith(str(path)) else f"{path}: {text}"
        root.film_parts.append(pd.DataFrame([_film_row(film_id, path, sha, job, status="error", error=msg)]),
                               name=film_id)
        return {"film_id": film_id, "path": str(path), "status": "error", "error": msg, "n_triplets": 0}
    meta, triplets, candidates = result
    ssim_pairs = meta.pop("_ssim_pairs")
    root.triplet_parts.append(triplets, name=film_id)
    root.candidate_parts.append(candidates, name=film_id)
    root.film_parts.append(pd.DataFrame([_film_row(film_id, path, sha, job, status="ok", **meta)]), name=film_id)
    return {"film_id": film_id, "path": str(path), "status": "ok", "error": None, "n_triplets": len(triplets),
            "n_frames": meta["n_frames"], "ssim_pairs": ssim_pairs}


def _sidecar_style(path: Path) -> str | None:
    from atdkit.synth import truth_path

    p = truth_path(path)
    if p.is_file():
        try:
            return json.loads(p.read_text()).get("style")
        except (OSError, json.JSONDecodeError):
            return None
    return None


def _mine_frames(root: DatasetRoot, path: Path, film_id: str, config: MiningConfig, job: dict[str, Any],
                 written: list[str]) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    from atdkit.video import open_video

    reader = open_video(path, job.get("backend", "auto"))
    try:
        wsize = working_size(reader.width, reader.height, config.ssim_size)
        params = config.sampler()
        ring = _FrameRing(2 * params.max_stride + 1, (params.ssim_low, params.ssim_high))
        tracker = ShotTracker(config.shot)
        sampler = TripletSampler(params, ring.ssim)
        kept: list[dict[str, Any]] = []
        rejected: list[Candidate] = []

        def settle(cands: list[Candidate]) -> None:
            for c in cands:
                if c.reason is None:
                    kept.append(_keep(root, film_id, c, ring, reader.fps, (reader.width, reader.height), config,
                                      job, written))
                else:
                    rejected.append(c)

        frames = iter(reader)
        if job.get("progress"):
            from tqdm.auto import tqdm

            frames = tqdm(frames, total=reader.n_frames, desc=path.name, unit="frame", leave=False)
        for index, frame in enumerate(frames):
            work = to_working(frame, wsize, config.ssim_channels)
            ring.push(index, frame, work)
            settle(sampler.add(tracker.push(frame_features(work if work.ndim == 3 else frame))))
        settle(sampler.finish())
        shots = tracker.shots()
        meta = {"fps": reader.fps, "n_frames": reader.n_frames, "width": reader.width, "height": reader.height,
                "duration_s": reader.duration, "backend": reader.backend, "cadence": json.dumps(shots),
                "n_shots": len(shots), "n_candidates": len(kept) + len(rejected), "n_triplets": len(kept),
                "notes": "; ".join(reader.notes) or None, "style": job.get("style") or _sidecar_style(path),
                "_ssim_pairs": ring.ssim_count}
    finally:
        reader.close()
    cand_df = pd.DataFrame([{"film_id": film_id, "f1": c.f1, "f2": c.f2, "f3": c.f3, "stride": c.stride,
                             "shot": c.shot, "ssim_12": c.ssim_12, "ssim_23": c.ssim_23, "ssim_13": c.ssim_13,
                             "reason": c.reason, "detail": c.detail} for c in rejected])
    return meta, pd.DataFrame(kept), cand_df


def _keep(root: DatasetRoot, film_id: str, c: Candidate, ring: _FrameRing, fps: float,
          full_size: tuple[int, int], config: MiningConfig, job: dict[str, Any], written: list[str]
          ) -> dict[str, Any]:
    tid = triplet_id(film_id, c.f1, c.stride)
    frames = [ring.slots[i].frame for i in (c.f1, c.f2, c.f3)]
    works = [ring.slots[i].work for i in (c.f1, c.f2, c.f3)]
    motion = motion_stats(frames[0] if works[0].ndim == 2 else works[0], frames[2] if works[2].ndim == 2 else works[2],
                          full_size, config.flow_width)
    shas = []
    for name, rgb in zip(("frame1.png", "frame2.png", "frame3.png"), frames):
        data = encode_png(rgb)
        atomic.write_bytes(root.frames_dir(tid) / name, data)
        shas.append(hashlib.sha256(data).hexdigest())
    written.append(tid)
    x, y, w, h = motion.roi
    return {"triplet_id": tid, "film_id": film_id, "f1": c.f1, "f2": c.f2, "f3": c.f3, "stride": c.stride,
            "t1": c.f1 / fps, "t2": c.f2 / fps, "t3": c.f3 / fps, "shot": c.shot,
            "ssim_12": c.ssim_12, "ssim_23": c.ssim_23, "ssim_13": c.ssim_13,
            "changes_12": c.changes_12, "changes_23": c.changes_23, "timing_balanced": c.timing_balanced,
            "flow_mean": motion.flow_mean, "flow_p95": motion.flow_p95, "occlusion": motion.occlusion,
            "auto_difficulty": motion.auto_difficulty, "phash": dedup.phash(works[1]), "split": job.get("split"),
            "width": full_size[0], "height": full_size[1], "source": "mined", "frame_sha256": shas,
            "prop_x": x, "prop_y": y, "prop_w": w, "prop_h": h}


@dataclass
class MineReport:
    root: Path
    results: list[dict[str, Any]]
    skipped: list[str]
    duplicates_dropped: int

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] != "ok"]


def _check_config(root: DatasetRoot, config: MiningConfig) -> None:
    meta = root.meta()
    stored = meta.get("config", {}).get("mining")
    wanted = config.to_dict()
    if stored is None:
        meta.setdefault("config", {})["mining"] = wanted
        root.write_meta(meta)
    elif stored != json.loads(json.dumps(wanted)):
        diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != json.loads(json.dumps(wanted)).get(k))
        raise BadInput(f"{root.path}: was mined with a different config ({', '.join(diff)} differ); "
                       "use another --out or the same options")


def mine(films: list[str | os.PathLike], out: str | os.PathLike, config: MiningConfig | None = None, *,
         workers: int = 1, scheduler: str | None = None, backend: str = "auto", split: str | None = None,
         style: str | None = None, license: str | None = None, progress: bool = True) -> MineReport:
    """Mine ``films`` into the dataset root ``out`` (created when absent); resumable and idempotent."""
    config = config or MiningConfig()
    if Path(out).exists() and not Path(out).is_dir():
        raise BadInput(f"{out}: exists and is not a folder (the dataset root must be one)")
    root = DatasetRoot.create(out)
    _check_config(root, config)
    for d in (root.path / "frames", root.film_parts.directory, root.triplet_parts.directory,
              root.candidate_parts.directory):
        if d.exists():
            atomic.remove_stale_temps(d)
    done = {}
    existing = root.film_parts.read()
    for row in existing.itertuples():
        done[row.film_id] = row.status
    jobs, skipped, seen = [], [], set()
    for film in films:
        film_id, sha = film_identity(film)
        if film_id in seen or done.get(film_id) == "ok":
            skipped.append(str(film))
            continue
        seen.add(film_id)
        if film_id in done:  # failed before: try again
            (root.film_parts.directory / f"{film_id}.parquet").unlink(missing_ok=True)
        jobs.append({"root": str(root.path), "film": str(Path(film).absolute()), "film_id": film_id, "sha256": sha,
                     "config": config.to_dict(), "backend": backend, "split": split, "style": style,
                     "license": license, "progress": progress and workers <= 1 and not scheduler})
    results = []
    for job, result in run_all(mine_film, jobs, workers=workers, scheduler=scheduler, desc="mining films",
                               progress=progress):
        if isinstance(result, BaseException):  # the unit itself crashed (worker lost, bug): record it
            msg = f"{job['film']}: mining failed ({type(result).__name__}: {str(result)[:200]})"
            root.film_parts.append(pd.DataFrame([_film_row(job["film_id"], Path(job["film"]), job["sha256"], job,
                                                           status="error", error=msg)]), name=job["film_id"])
            result = {"film_id": job["film_id"], "path": job["film"], "status": "error", "error": msg, "n_triplets": 0}
        results.append(result)
    dropped = dedup.drop_duplicates(root, config.phash_distance)
    root.materialize()
    return MineReport(root.path, results, skipped, dropped)
