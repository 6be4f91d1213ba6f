"""Mining films into a dataset root: idempotent units (film segments) run in parallel.

Per segment (:func:`mine_segment`; a film is one segment unless it is split for
parallel work, see :mod:`atdkit.mining.segments`), in one sequential decoding
pass: decode (PyAV unless another backend is asked for; see :mod:`atdkit.video`)
→ working frame (≤ ``ssim_size``, area) → shot/drawing tracking
(:mod:`atdkit.mining.shots`) → candidate triplets settled as soon as their
frames are in a small ring buffer (:mod:`atdkit.mining.sampler`) → for each kept
triplet: motion statistics and RoI proposal (:mod:`atdkit.motion`), frame 2's pHash, the
three frames written as PNG at full resolution (atomic; the same pixels always
give the same bytes). The segment's result is stored in the root.

When all segments of a film are done, the film's Parquet parts are written,
each named after the film id: ``parts/triplets/<film_id>``,
``parts/candidates/<film_id>`` and last ``parts/films/<film_id>`` — the film
part marks the film done. A unit killed at any point leaves no visible partial
file (atomic writes) and is simply redone by the next run (mining is
deterministic, so a redone unit writes the same bytes); a done film is never
mined again (same content ⇒ same film id). After all units: the cross-dataset
near-duplicate check (:mod:`atdkit.mining.dedup`), then
``films/triplets/candidates.parquet`` are rebuilt from the parts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atdkit.distributed import SHARED_ROOT, readable_files, run_all, slots
from atdkit.errors import AtdkitError, BadInput
from atdkit.hashing import sha256_file
from atdkit.mining import dedup
from atdkit.mining.config import MiningConfig
from atdkit.mining.sampler import Candidate, TripletSampler
from atdkit.mining.segments import SegmentResult, SegmentStore, auto_length, join, longest_first, plan
from atdkit.mining.segments import progress as segment_progress
from atdkit.mining.shots import ShotTracker, cadence_at, frame_features
from atdkit.mining.similarity import ssim, to_working, working_size
from atdkit.motion import middle_position, motion_stats
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import encode_png
from atdkit.video import VideoReader, open_video

PROGRESS_EVERY_S = 1.0  # how often a segment mined in parallel reports its frames and triplets (for the bar)


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


class _FrameRing:
    """The last few decoded frames, at full size and at working size, and the PNGs of those a kept
    triplet wrote (the next triplet often starts on the frame the last one ended on)."""

    def __init__(self, size: int):
        self.size = size
        self.frames: dict[int, np.ndarray] = {}
        self.works: dict[int, np.ndarray] = {}
        self.pngs: dict[int, bytes] = {}

    def push(self, index: int, frame: np.ndarray, work: np.ndarray) -> None:
        self.frames[index], self.works[index] = frame, work
        oldest = index - self.size + 1
        for k in [k for k in self.frames if k < oldest]:
            del self.frames[k], self.works[k]
            self.pngs.pop(k, None)

    def ssim(self, i: int, j: int) -> float:
        return ssim(self.works[i], self.works[j])

    def middle_check(self, config: MiningConfig) -> Callable[[Candidate], tuple[str, str] | None]:
        """The sampler's last rule: frame 2 near the middle between frames 1 and 3 (of the working
        frames; see :func:`atdkit.motion.middle_position`). Records the measure on the candidate."""
        def check(c: Candidate) -> tuple[str, str] | None:
            mid = middle_position(self.works[c.f1], self.works[c.f2], self.works[c.f3])
            c.mid_position, c.mid_detour = mid.position, mid.detour
            if abs(mid.position - 0.5) > config.mid_tolerance:
                return "middle frame off-centre", f"position {mid.position:.2f} (0 = frame 1, 1 = frame 3)"
            if mid.detour > config.mid_max_detour:
                return "middle frame off-centre", f"detour {mid.detour:.2f}: farther from both ends than they are apart"
            return None
        return check

    def png(self, i: int) -> bytes:
        """Frame i at full size as PNG (:func:`encode_png`), encoded once."""
        if i not in self.pngs:
            self.pngs[i] = encode_png(self.frames[i])
        return self.pngs[i]


def _film_row(film_id: str, path: Path, sha: str | None, job: dict[str, Any], **values: Any) -> dict[str, Any]:
    row = {"film_id": film_id, "path": str(path), "sha256": sha, "style": job.get("style"),
           "license": job.get("license"), "split": job.get("split"), "mined_at": datetime.now(timezone.utc)}
    row.update(values)
    return row


def _error_line(path: Path, exc: BaseException) -> str:
    """One line naming the film and what is wrong with it."""
    text = str(exc) if isinstance(exc, AtdkitError) else f"mining failed ({type(exc).__name__}: {str(exc)[:200]})"
    return text if text.startswith(str(path)) else f"{path}: {text}"


def mine_segment(job: dict[str, Any]) -> dict[str, Any]:
    """The unit of work: mine the segment [``start``, ``end``) of one film (see :mod:`atdkit.mining.segments`)
    and store its result in the root. Never raises for a bad film: returns ``status="error"`` with a
    one-line message, and removes the frames it wrote."""
    root = DatasetRoot(job["root"])
    path = Path(job["film"])
    written: list[str] = []
    try:
        result = _mine_segment(root, path, MiningConfig.from_dict(job["config"]), job, written)
        SegmentStore(root, job["film_id"]).write(result)
    except Exception as exc:  # a bad film (BadInput) or anything else: reported, the other units go on
        for tid in written:
            shutil.rmtree(root.frames_dir(tid), ignore_errors=True)
        return {"status": "error", "error": _error_line(path, exc), "start": job["start"]}
    return {"status": "ok", "error": None, "start": job["start"]}


def _mine_segment(root: DatasetRoot, path: Path, config: MiningConfig, job: dict[str, Any],
                  written: list[str]) -> SegmentResult:
    """One sequential decoding pass over a segment: decode → working frame → shot tracking → candidates
    settled as soon as their frames are in the ring → kept triplets scored and written."""
    start, end, film_id = job["start"], job["end"], job["film_id"]
    reader = open_video(path, job.get("backend", "auto"), sequential=True)
    try:
        result = SegmentResult(start, end)
        first = max(0, start - config.shot.cut_window)  # a cut at `start` is decided from the frames before it
        if first >= reader.n_frames:
            return result
        wsize = working_size(reader.width, reader.height, config.ssim_size)
        params = config.sampler()
        ring = _FrameRing(2 * params.max_stride + 1)
        tracker = ShotTracker(config.shot, first_index=first)
        sampler: TripletSampler | None = None
        first_shot = 0
        kept: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []

        def settle(cands: list[Candidate]) -> None:
            for c in cands:
                c.shot -= first_shot
                if c.reason is None:
                    kept.append(_keep(root, film_id, c, ring, reader, config, job, written))
                else:
                    rejected.append(_rejected_row(film_id, c))

        frames = reader.frames(first)
        if job.get("progress"):
            from tqdm.auto import tqdm

            frames = tqdm(frames, total=reader.n_frames - first, desc=path.name, unit="frame", leave=False)
        store, reported = SegmentStore(root, film_id), time.monotonic()
        for index, frame in enumerate(frames, start=first):
            if job.get("report") and time.monotonic() - reported > PROGRESS_EVERY_S:
                store.write_progress(start, end, index - first, len(kept))
                reported = time.monotonic()
            work = to_working(frame, wsize, config.ssim_channels)
            info = tracker.push(frame_features(work if work.ndim == 3 else frame))
            if sampler is None:  # looking for the first shot this segment owns
                if (index == 0 and start == 0) or (index >= start and info.relation == "cut"):
                    sampler = TripletSampler(params, ring.ssim, start=index,
                                             check=_not_across(reader.gaps, ring.middle_check(config)),
                                             duplicate_of=_shot_duplicates(film_id, ring, config.phash_distance,
                                                                            config.repeat_ratio))
                    first_shot = info.shot
                elif end is not None and index >= end - 1:
                    break  # no shot begins in this segment
                else:
                    continue
            if end is not None and sampler.stop is None and index >= end and info.relation == "cut":
                sampler.stop = index  # the next segment's first shot: ours end here
            ring.push(index, frame, work)
            settle(sampler.add(info))
            if sampler.done:
                break
        else:
            if sampler is not None:
                settle(sampler.finish())
        if sampler is not None:
            stop = sampler.stop if sampler.stop is not None else reader.n_frames
            result.shots = [{**shot, "shot": shot["shot"] - first_shot} for shot in tracker.shots()
                            if shot["shot"] >= first_shot and shot["start"] < stop]
            for row in kept:
                row["cadence"] = cadence_at(result.shots, row["f2"])
        result.facts = {"fps": reader.fps, "n_frames": reader.n_frames, "width": reader.width,
                        "height": reader.height, "sample_aspect": reader.sample_aspect, "duration_s": reader.duration, "backend": reader.backend,
                        "notes": "; ".join(reader.notes) or None}
        result.triplets, result.candidates = pd.DataFrame(kept), pd.DataFrame(rejected)
        if job.get("report"):
            store.write_progress(start, end, reader.n_frames - first if sampler is None or sampler.stop is None
                                 else sampler.stop - first, len(kept))
        return result
    finally:
        reader.close()


def _not_across(gaps: list[int], check):
    """``check`` after the gap rule: a candidate with missing frames between frame 1 and frame 3 (a dropped
    frame in a constant-rate film) is rejected, ``spans frame gap``."""
    def checked(c: Candidate):
        for g in gaps:
            if c.f1 < g <= c.f3:
                return "spans frame gap", f"frames missing before frame {g}"
        return check(c)
    return checked if gaps else check


def _shot_duplicates(film_id: str, ring: _FrameRing, max_distance: int, max_ratio: float):
    """The sampler's near-duplicate check within a shot (so the shot cap counts what is kept): a candidate
    whose frame2 pHash is within ``max_distance`` bits of a kept triplet's of the shot, and whose whole
    sample repeats that triplet's (:func:`atdkit.mining.dedup.repeats`: two pictures in common), names it.
    The same rule as the dataset-wide check (:mod:`atdkit.mining.dedup`), applied before the cap."""
    if max_distance < 0:
        return None
    hashes: dict[int, str] = {}  # frame2's pHash by frame index (kept triplets' frames leave the ring)
    thumbnails: dict[int, np.ndarray] = {}  # by frame index, while candidates can still use the frame
    signatures: dict[tuple[int, int], np.ndarray] = {}  # the shot's kept triplets' samples, by (f1, stride)
    why = dedup.duplicate_detail(max_distance, max_ratio)

    def frame_hash(i: int) -> str:
        if i not in hashes:
            hashes[i] = dedup.phash(ring.works[i])
        return hashes[i]

    def duplicate_of(cand: Candidate, kept: list[Candidate]) -> str | None:
        h = frame_hash(cand.f2)
        if not kept:
            signatures.clear()  # a new shot: the earlier shots' samples are never compared again
        for i in [i for i in thumbnails if i < cand.f1]:
            del thumbnails[i]
        for i in (cand.f1, cand.f2, cand.f3):
            if i not in thumbnails:
                thumbnails[i] = dedup.thumbnail(ring.frames[i])
        sample = np.stack([thumbnails[i] for i in (cand.f1, cand.f2, cand.f3)])
        for k in sorted(kept, key=lambda k: dedup.hamming(h, frame_hash(k.f2))):
            if dedup.hamming(h, frame_hash(k.f2)) > max_distance:
                break
            if dedup.repeats(signatures[(k.f1, k.stride)], sample, max_ratio):
                return f"duplicates kept triplet {triplet_id(film_id, k.f1, k.stride)} ({why})"
        signatures[(cand.f1, cand.stride)] = sample  # kept: the sampler's last rule
        return None

    return duplicate_of


def _rejected_row(film_id: str, c: Candidate) -> dict[str, Any]:
    return {"film_id": film_id, "f1": c.f1, "f2": c.f2, "f3": c.f3, "stride": c.stride, "shot": c.shot,
            "ssim_12": c.ssim_12, "ssim_23": c.ssim_23, "ssim_13": c.ssim_13, "reason": c.reason, "detail": c.detail}


def _keep(root: DatasetRoot, film_id: str, c: Candidate, ring: _FrameRing, reader: VideoReader,
          config: MiningConfig, job: dict[str, Any], written: list[str]) -> dict[str, Any]:
    tid = triplet_id(film_id, c.f1, c.stride)
    fps, full_size = reader.fps, (reader.width, reader.height)
    # motion statistics from the RGB working frames (the full frames when SSIM works on gray)
    outer = [ring.works[i] if ring.works[i].ndim == 3 else ring.frames[i] for i in (c.f1, c.f3)]
    motion = motion_stats(outer[0], outer[1], full_size, config.flow_width)
    shas = []
    for name, index in zip(("frame1.png", "frame2.png", "frame3.png"), (c.f1, c.f2, c.f3)):
        data = ring.png(index)
        atomic.write_bytes(root.frames_dir(tid) / name, data)
        shas.append(hashlib.sha256(data).hexdigest())
    written.append(tid)
    x, y, w, h = motion.roi
    return {"triplet_id": tid, "film_id": film_id, "f1": c.f1, "f2": c.f2, "f3": c.f3, "stride": c.stride,
            "t1": c.f1 / fps, "t2": c.f2 / fps, "t3": c.f3 / fps, "shot": c.shot,
            "ssim_12": c.ssim_12, "ssim_23": c.ssim_23, "ssim_13": c.ssim_13,
            "changes_12": c.changes_12, "changes_23": c.changes_23, "timing_balanced": c.timing_balanced,
            "mid_position": c.mid_position, "mid_detour": c.mid_detour,
            "flow_mean": motion.flow_mean, "flow_p95": motion.flow_p95, "occlusion": motion.occlusion,
            "auto_difficulty": motion.auto_difficulty, "phash": dedup.phash(ring.works[c.f2]), "split": job.get("split"),
            "width": full_size[0], "height": full_size[1], "source": "mined", "frame_sha256": shas,
            "prop_x": x, "prop_y": y, "prop_w": w, "prop_h": h}


def _why_nothing(candidates: pd.DataFrame, facts: dict[str, Any]) -> str:
    """One phrase: why a film kept no triplet (its rejected candidates counted by reason)."""
    if not len(candidates):
        return f"no triplet kept: no candidate triplet in {facts.get('n_frames', 0)} frames"
    counts = candidates["reason"].value_counts()
    return "no triplet kept: " + ", ".join(f"{n} {reason}" for reason, n in counts.items())


def _finish_film(root: DatasetRoot, film: dict[str, Any], outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Every segment of a film is done: join them into the film's parts (film part last), or record its
    failure and drop the frames its segments wrote. Returns the film's summary."""
    path, film_id = Path(film["film"]), film["film_id"]
    store = SegmentStore(root, film_id)
    failed = sorted((o for o in outcomes if o["status"] != "ok"), key=lambda o: o["start"])
    summary = {"film_id": film_id, "path": str(path), "segments": len(film["bounds"])}
    if failed:
        for start, end in film["bounds"]:
            if store.done(start, end):
                for tid in store.read(start, end).triplets.get("triplet_id", []):
                    shutil.rmtree(root.frames_dir(tid), ignore_errors=True)
        store.clear()
        error = failed[0]["error"]
        root.film_parts.append(pd.DataFrame([_film_row(film_id, path, film["sha256"], film, status="error",
                                                       error=error, n_triplets=0)]), name=film_id)
        return {**summary, "status": "error", "error": error, "n_triplets": 0}
    results = [store.read(start, end) for start, end in film["bounds"]]
    joined = join(results)
    facts = dict(results[0].facts)
    if not len(joined.triplets):  # the film's row says why it gave nothing
        facts["notes"] = "; ".join(n for n in (facts.get("notes"), _why_nothing(joined.candidates, facts)) if n)
    for parts, rows in ((root.triplet_parts, joined.triplets), (root.candidate_parts, joined.candidates)):
        parts.append(rows if len(rows) else parts.schema.empty_table(), name=film_id)
    row = _film_row(film_id, path, film["sha256"], film, status="ok", **facts, cadence=json.dumps(joined.shots),
                    n_shots=len(joined.shots), n_candidates=len(joined.triplets) + len(joined.candidates),
                    n_triplets=len(joined.triplets))
    root.film_parts.append(pd.DataFrame([row]), name=film_id)
    store.clear()
    return {**summary, "status": "ok", "error": None, "n_triplets": len(joined.triplets),
            "n_frames": facts["n_frames"], "notes": facts.get("notes")}


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
    """The root's films are all mined with one config (``dataset.json``): the first ``mine`` records it,
    a later one with another config is refused. A root recorded before near-duplicates were judged on the
    whole sample (config version 3, no ``repeat_ratio``) takes the new rule and ratio (said on stderr):
    its triplets stay as they are (what the old rule dropped stays dropped), and the films mined from then
    on are judged by the new rule."""
    meta = root.meta()
    stored = meta.get("config", {}).get("mining")
    wanted = config.to_dict()
    if stored is not None and stored.get("version") == 3 and "repeat_ratio" not in stored:
        upgraded = {**stored, "repeat_ratio": wanted["repeat_ratio"], "version": wanted["version"]}
        if upgraded == json.loads(json.dumps(wanted)):
            print(f"{root.path}: mined when near-duplicates were judged on frame 2 alone; from now on they are "
                  f"judged on the whole triplet (repeat ratio {config.repeat_ratio:g}); its triplets stay",
                  file=sys.stderr)
            stored = meta["config"]["mining"] = upgraded
            root.write_meta(meta)
    if stored is None:
        meta.setdefault("config", {})["mining"] = wanted
        root.write_meta(meta)
    elif stored != json.loads(json.dumps(wanted)):
        diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != json.loads(json.dumps(wanted)).get(k))
        raise BadInput(f"{root.path}: was mined with a different config ({', '.join(diff)} differ); "
                       "use another --out or the same options")


def _probe_frames(path: str) -> int | None:
    """Frame count from the container's packets (no decoding); None when the film cannot be read
    (its single unit then reports why)."""
    from atdkit.video.probe import packet_times

    try:
        return len(packet_times(Path(path))[0])
    except Exception:  # noqa: BLE001 - reported by the film's unit
        return None


def mine(films: list[str | os.PathLike], out: str | os.PathLike, config: MiningConfig | None = None, *,
         workers: int = 1, scheduler: str | None = None, backend: str = "auto", split: str | None = None,
         style: str | Mapping[str, str] | None = None, license: str | None = None, progress: bool = True,
         segment_frames: int | None = None) -> MineReport:
    """Mine ``films`` into the dataset root ``out`` (created when absent); resumable and idempotent.

    With several workers (or a cluster) films are cut into segments of about ``segment_frames``
    frames (default: :func:`atdkit.mining.segments.auto_length`) that are mined in parallel; the
    dataset is the same for any segmentation. ``style``, ``split`` and ``license`` are recorded in
    ``films.parquet``; ``style`` is one value for every film or one per film (keyed by ``str(film)``)."""
    config = config or MiningConfig()
    if segment_frames is not None and segment_frames < 1:
        raise BadInput(f"segment length {segment_frames} must be a positive number of frames")
    if Path(out).exists() and not Path(out).is_dir():
        raise BadInput(f"{out}: exists and is not a folder (the dataset root must be one)")
    root = DatasetRoot.create(out)
    _check_config(root, config)
    atomic.remove_stale_temps(root.path)  # every folder of the root; temps of live writers stay
    done = {row.film_id: row.status for row in root.film_parts.read().itertuples()}
    todo, skipped, seen = [], [], set()
    for film in films:
        film_id, sha = film_identity(film)
        if film_id in seen or done.get(film_id) == "ok":
            SegmentStore(root, film_id).clear()  # left over if a run died right after joining the film
            skipped.append(str(film))
            continue
        seen.add(film_id)
        if film_id in done:  # failed before: try again
            (root.film_parts.directory / f"{film_id}.parquet").unlink(missing_ok=True)
        todo.append({"root": str(root.path.absolute()), "film": str(Path(film).absolute()), "film_id": film_id, "sha256": sha,
                     "config": config.to_dict(), "backend": backend, "split": split,
                     "style": style.get(str(film)) if isinstance(style, Mapping) else style,
                     "license": license})
    parallel = workers > 1 or bool(scheduler)
    counts = {f["film_id"]: _probe_frames(f["film"]) if parallel or segment_frames else None for f in todo}
    # pieces for every worker thread of the cluster, or every local worker
    length = segment_frames or auto_length(sum(n or 0 for n in counts.values()), slots(workers, scheduler))
    jobs, outcomes, results = [], {}, []
    for film in todo:
        film["bounds"] = plan(counts[film["film_id"]], length)
        store = SegmentStore(root, film["film_id"])
        store.keep_only(film["bounds"])
        stored = {(s, e) for s, e in film["bounds"] if store.done(s, e)}  # reads each stored segment once
        outcomes[film["film_id"]] = [{"status": "ok", "start": s} for s, e in film["bounds"] if (s, e) in stored]
        jobs += [{**film, "start": s, "end": e, "progress": progress and not parallel, "report": progress and parallel}
                 for s, e in film["bounds"] if (s, e) not in stored]
        if len(outcomes[film["film_id"]]) == len(film["bounds"]):  # every segment was done before a kill
            results.append(_finish_film(root, film, outcomes[film["film_id"]]))
    films_by_id = {f["film_id"]: f for f in todo}
    began, frames_before = time.monotonic(), segment_progress(root, list(films_by_id))[0]
    finished = {"frames": 0, "kept": 0}  # films joined in the loop below (their segments' reports are cleared)
    joined: set[str] = set()

    def status() -> str:  # across workers: what the segments report (see SegmentStore.write_progress)
        frames, kept = segment_progress(root, [f for f in films_by_id if f not in joined])
        rate = (frames + finished["frames"] - frames_before) / max(time.monotonic() - began, 1e-9)
        return f"{rate:.0f} frames/s decoded, {kept + finished['kept']} triplets kept"


    for job, outcome in run_all(mine_segment, longest_first(jobs, counts), workers=workers, scheduler=scheduler,
                                desc="mining segments", progress=progress, status=status,
                                checks=[readable_files(root.meta_path, *(f["film"] for f in todo), why=SHARED_ROOT)]):
        if isinstance(outcome, BaseException):  # the unit itself crashed (worker lost, bug): a failed segment
            outcome = {"status": "error", "error": _error_line(Path(job["film"]), outcome), "start": job["start"]}
        film = films_by_id[job["film_id"]]
        outcomes[film["film_id"]].append(outcome)
        if len(outcomes[film["film_id"]]) == len(film["bounds"]):
            frames_done, kept_done = segment_progress(root, [film["film_id"]])
            results.append(_finish_film(root, film, outcomes[film["film_id"]]))
            joined.add(film["film_id"])
            finished["frames"] += frames_done
            finished["kept"] += kept_done
    dropped = dedup.drop_duplicates(root, config.phash_distance, config.repeat_ratio)
    dedup.reconcile(root)
    root.materialize()
    counts_now = {r.film_id: int(r.n_triplets) for r in root.film_parts.read().itertuples() if r.status == "ok"}
    for r in results:  # what the dataset holds, after near-duplicate removal
        r["n_triplets"] = counts_now.get(r["film_id"], 0)
    return MineReport(root.path, results, skipped, dropped)
