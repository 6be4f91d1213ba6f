"""A recipe + one's own films → a dataset root (``atdkit recipe build ROOT RECIPE --films DIR``).

Each film found (:mod:`atdkit.recipes.locate`) is one work unit (:func:`build_film`, run by
:func:`atdkit.distributed.run_all`: processes or a Dask cluster, like ``mine``). A unit decodes its film
once in order up to the last listed frame, hashes each listed frame and compares it with the recipe:
strict, a triplet enters the root only when the pixels of its three frames hash exactly as listed;
with ``tolerance`` (bits), a frame whose pHash lies within that many bits of the recipe's is accepted
as near, and how near is recorded. Unverified frames never enter the root.

A unit writes, like the miner and under the same names: the verified triplets' frames (atomic PNGs,
the same pixels give the same bytes), then ``parts/triplets/<film_id>``, ``parts/candidates/<film_id>``,
``parts/recipe_build/<film_id>`` (what became of each listed triplet) and last ``parts/films/<film_id>``,
which marks the film done. A unit killed at any point is redone by the next run after its partial parts
are removed, so nothing is duplicated. After the units: ``recipe_build.parquet`` (every listed triplet:
built, near, mismatch or missing, and why), the tables materialised from the parts,
``labels/carried.parquet`` with the recipe's labels of the triplets built (the votes behind them stay
with the recipe's author; ``atdkit consensus`` keeps these rows until someone votes on a triplet) and
``consensus.parquet`` computed from them, and the recipe's timings of the triplets built (``labels/timing``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atdkit.distributed import SHARED_ROOT, readable_files, run_all
from atdkit.errors import AtdkitError, BadInput
from atdkit.labels.consensus import write_consensus
from atdkit.recipes.fingerprint import frame_hash, frame_phash, hamming
from atdkit.recipes.locate import Located, locate_films
from atdkit.recipes.recipe import Recipe, read_recipe
from atdkit.store import atomic
from atdkit.store.dataset import FRAME_NAMES, DatasetRoot
from atdkit.store.frames import encode_png
from atdkit.store.parts import PartTable
from atdkit.store.schema import CONSENSUS, FILMS, RECIPE_BUILD, TRIPLETS, to_table
from atdkit.store.timing import timing_truth

BUILT = ("built", "near")


def build_parts(root: DatasetRoot) -> PartTable:
    return PartTable(root.path / "parts" / "recipe_build", RECIPE_BUILD, key=("triplet_id",))


def build_record_path(root: DatasetRoot) -> Path:
    return root.path / "recipe_build.parquet"


@dataclass
class FrameCheck:
    exact: bool
    distance: int          # pHash bits from the recipe's (0 when exact)


def _frame_png(frames: dict[int, np.ndarray], pngs: dict[int, bytes], index: int) -> bytes:
    if index not in pngs:
        pngs[index] = encode_png(frames[index])
    return pngs[index]


def _triplet_outcome(checks: list[FrameCheck], tolerance: int | None) -> tuple[str, str | None]:
    exact = sum(c.exact for c in checks)
    worst = max(c.distance for c in checks)
    if exact == 3:
        return "built", None
    if tolerance is not None and worst <= tolerance:
        return "near", f"the pixels of {3 - exact} of 3 frames differ, their pHash within {worst} bit(s) (tolerance {tolerance})"
    hint = "" if tolerance is not None else "; --tolerance BITS accepts near frames"
    return "mismatch", f"the pixels of {3 - exact} of 3 frames differ from the recipe's (pHash up to {worst} bits away){hint}"


def build_film(job: dict[str, Any]) -> dict[str, Any]:
    """The unit of work: build one film's triplets into the root (see the module doc). Never raises for
    a bad film: returns ``status="error"`` with a one-line message, and removes the frames it wrote."""
    root = DatasetRoot(job["root"])
    written: list[str] = []
    try:
        return _build_film(root, job, written)
    except Exception as exc:  # a bad film (BadInput) or anything else: reported, the other units go on
        for tid in written:
            shutil.rmtree(root.frames_dir(tid), ignore_errors=True)
        text = str(exc) if isinstance(exc, AtdkitError) else f"build failed ({type(exc).__name__}: {str(exc)[:200]})"
        path = str(job["path"])
        return {"film_id": job["film"]["film_id"], "status": "error",
                "error": text if text.startswith(path) else f"{path}: {text}"}


def _build_film(root: DatasetRoot, job: dict[str, Any], written: list[str]) -> dict[str, Any]:
    from atdkit.video import open_video

    film, tolerance, path = job["film"], job["tolerance"], Path(job["path"])
    fid = film["film_id"]
    triplets = sorted(job["triplets"], key=lambda t: (int(t["f3"]), t["triplet_id"]))
    records: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    checks: dict[int, FrameCheck] = {}

    def record(t: dict[str, Any], status: str, detail: str | None, exact: int = 0, distance: int | None = None) -> None:
        records.append({"triplet_id": t["triplet_id"], "film_id": fid, "status": status, "frames_exact": exact,
                        "phash_distance": distance, "film_path": str(path), "detail": detail})
        if status not in BUILT:
            shutil.rmtree(root.frames_dir(t["triplet_id"]), ignore_errors=True)  # e.g. near before, strict now

    reader = open_video(path, job.get("backend") or "auto", sequential=True)
    try:
        size = (reader.width, reader.height)
        wanted_size = (int(film["width"]), int(film["height"]))
        refused = None
        if size != wanted_size:
            refused = f"its frames are {size[0]}×{size[1]}, the recipe's {wanted_size[0]}×{wanted_size[1]}"
            for t in triplets:
                record(t, "mismatch", refused)
            triplets = []
        n = reader.n_frames
        for t in [t for t in triplets if int(t["f3"]) >= n]:
            record(t, "missing", f"frame {int(t['f3'])} lies beyond the end of {path} ({n} frames)")
        triplets = [t for t in triplets if int(t["f3"]) < n]
        uses: dict[int, int] = {}
        for t in triplets:
            for i in (t["f1"], t["f2"], t["f3"]):
                uses[int(i)] = uses.get(int(i), 0) + 1
        frames: dict[int, np.ndarray] = {}
        pngs: dict[int, bytes] = {}
        by_last: dict[int, list[dict[str, Any]]] = {}
        for t in triplets:
            by_last.setdefault(int(t["f3"]), []).append(t)
        if triplets:
            first, last = min(uses), max(uses)
            for index, rgb in enumerate(reader.frames(first), start=first):
                if index in uses:
                    frames[index] = rgb
                for t in by_last.get(index, []):
                    idx = [int(t["f1"]), int(t["f2"]), int(t["f3"])]
                    fc = []
                    for k, i in enumerate(idx):  # a frame shared by two triplets is listed with one hash
                        if i not in checks:
                            exact = frame_hash(frames[i]) == t["frame_hash"][k]
                            checks[i] = FrameCheck(exact, 0 if exact else hamming(frame_phash(frames[i]), t["frame_phash"][k]))
                        fc.append(checks[i])
                    status, detail = _triplet_outcome(fc, tolerance)
                    if status in BUILT:
                        tid = t["triplet_id"]
                        written.append(tid)
                        shas = []
                        for name, i in zip(FRAME_NAMES, idx):
                            data = _frame_png(frames, pngs, i)
                            atomic.write_bytes(root.frames_dir(tid) / name, data)
                            shas.append(hashlib.sha256(data).hexdigest())
                        row = {k: v for k, v in t.items() if k not in ("frame_hash", "frame_phash")}
                        rows.append({**row, "frame_sha256": shas})
                    record(t, status, detail, sum(c.exact for c in fc), max(c.distance for c in fc))
                    for i in idx:
                        uses[i] -= 1
                        if not uses[i]:
                            frames.pop(i, None)
                            pngs.pop(i, None)
                if index >= last:
                    break
    finally:
        reader.close()
    root.triplet_parts.append(pd.DataFrame(rows) if rows else TRIPLETS.empty_table(), name=fid)
    candidates = pd.DataFrame(job["candidates"])
    root.candidate_parts.append(candidates if len(candidates) else root.candidate_parts.schema.empty_table(), name=fid)
    build_parts(root).append(pd.DataFrame(records) if records else RECIPE_BUILD.empty_table(), name=fid)
    film_row = {k: v for k, v in film.items() if k in FILMS.names}
    root.film_parts.append(pd.DataFrame([{**film_row, "path": str(path), "n_triplets": len(rows)}]), name=fid)
    near = [c for c in checks.values() if not c.exact]
    return {"film_id": fid, "status": "ok", "error": None, "listed": len(job["triplets"]), "built": len(rows),
            "near": sum(r["status"] == "near" for r in records), "frames_checked": len(checks),
            "frames_exact": len(checks) - len(near),
            "max_distance": max((c.distance for c in near), default=0), "refused": refused}


@dataclass
class BuildReport:
    root: Path
    films: list[dict[str, Any]]          # per film of the recipe: title, how found, status, counts
    record: pd.DataFrame                 # RECIPE_BUILD: every listed triplet
    errors: list[str]                    # one line per film that could not be built or verified

    @property
    def missing(self) -> pd.DataFrame:
        return self.record[~self.record["status"].isin(BUILT)]


def _prepare_root(root_path: str | os.PathLike, recipe: Recipe) -> DatasetRoot:
    p = Path(root_path)
    if p.exists() and not p.is_dir():
        raise BadInput(f"{p}: exists and is not a folder (the dataset root must be one)")
    root = DatasetRoot(p)
    if root.meta_path.is_file():
        stored, wanted = root.meta().get("config", {}), recipe.dataset_meta.get("config", {})
        if stored != wanted:
            raise BadInput(f"{p}: holds a dataset of another config than the recipe's; build into a new folder")
    else:
        p.mkdir(parents=True, exist_ok=True)
        root.write_meta(recipe.dataset_meta)
    return root


def _done(root: DatasetRoot, fid: str) -> bool:
    """The film was built before, every listed triplet of it verified."""
    if not root.film_parts.has_part(fid) or not build_parts(root).has_part(fid):
        return False
    record = build_parts(root).read(paths=[build_parts(root).directory / f"{fid}.parquet"])
    return bool(record["status"].isin(BUILT).all())  # a film that kept no triplet has no record rows


def _clear(root: DatasetRoot, fid: str) -> None:
    """Remove a film's parts before building it (again): the film part first, so it is never done
    without the others."""
    for parts in (root.film_parts, root.triplet_parts, root.candidate_parts, build_parts(root)):
        (parts.directory / f"{fid}.parquet").unlink(missing_ok=True)


def build_from_recipe(recipe_path: str | os.PathLike, root_path: str | os.PathLike,
                      film_dirs: list[str | os.PathLike], mapping: dict[str, Path] | None = None,
                      tolerance: int | None = None, workers: int = 1, scheduler: str | None = None,
                      progress: bool = True) -> BuildReport:
    """Build the recipe's dataset into ``root_path`` from the films under ``film_dirs``; resumable."""
    if tolerance is not None and not 0 <= tolerance <= 64:
        raise BadInput(f"tolerance {tolerance}: a pHash distance in bits, 0 to 64")
    recipe = read_recipe(recipe_path)
    root = _prepare_root(root_path, recipe)
    atomic.remove_stale_temps(root.path)
    located: Located = locate_films(recipe.films, film_dirs, mapping)
    triplets = {fid: rows.to_dict("records") for fid, rows in recipe.triplets.groupby("film_id")}
    candidates = {fid: rows.to_dict("records") for fid, rows in recipe.candidates.groupby("film_id")}
    films = recipe.films.to_dict("records")
    jobs, summaries, errors, failed = [], {}, [], {}
    for film in films:
        fid = film["film_id"]
        summaries[fid] = {"film_id": fid, "title": film["title"], "listed": len(triplets.get(fid, [])),
                          "found": located.how.get(fid), "path": str(located.paths.get(fid, ""))}
        if _done(root, fid):
            summaries[fid].update(status="done before", built=summaries[fid]["listed"])
            continue
        if fid in located.missing:
            errors.append(located.missing[fid])
            failed[fid] = located.missing[fid]
            summaries[fid].update(status="missing", built=0)
            _clear(root, fid)  # parts a killed unit left: never half a film in the root
            continue
        _clear(root, fid)
        jobs.append({"root": str(root.path.absolute()), "film": film, "path": str(Path(located.paths[fid]).absolute()),
                     "tolerance": tolerance, "backend": film.get("backend"),
                     "triplets": triplets.get(fid, []), "candidates": candidates.get(fid, [])})
    shared = readable_files(root.meta_path, *(j["path"] for j in jobs), why=SHARED_ROOT)
    for job, outcome in run_all(build_film, jobs, workers=workers, scheduler=scheduler, desc="building films",
                                progress=progress, checks=[shared]):
        fid = job["film"]["film_id"]
        if isinstance(outcome, BaseException):
            outcome = {"status": "error", "error": f"{job['path']}: build failed ({type(outcome).__name__}: {outcome})"}
        summaries[fid].update(outcome)
        if outcome["status"] != "ok":
            errors.append(outcome["error"])
            failed[fid] = outcome["error"]
        elif outcome["built"] < outcome["listed"] and outcome.get("refused"):
            errors.append(f"{job['path']}: film {job['film']['title']!r} ({fid}): {outcome['refused']}")
        elif outcome["built"] < outcome["listed"]:
            share = outcome["frames_exact"] / max(outcome["frames_checked"], 1)
            errors.append(f"{job['path']}: film {job['film']['title']!r} ({fid}): {outcome['frames_exact']} of "
                          f"{outcome['frames_checked']} frames ({share:.0%}) match the recipe; "
                          f"{outcome['listed'] - outcome['built']} of {outcome['listed']} triplets not built"
                          + ("" if tolerance is not None else " (another encode? --tolerance BITS accepts near frames)"))
    record = _write_record(root, recipe, failed)
    root.materialize()
    built = set(root.triplets()["triplet_id"])
    labels = recipe.labels[recipe.labels["triplet_id"].isin(built)]
    atomic.write_table(root.carried_labels_path, to_table(labels, CONSENSUS))
    write_consensus(root)
    if len(recipe.timing):
        timing = timing_truth(root)
        (timing.directory / "recipe.parquet").unlink(missing_ok=True)  # this build's triplets, not an earlier one's
        timing.append(recipe.timing[recipe.timing["triplet_id"].isin(built)], name="recipe")
    return BuildReport(root.path, [summaries[f["film_id"]] for f in films], record, errors)


def _write_record(root: DatasetRoot, recipe: Recipe, failed: dict[str, str]) -> pd.DataFrame:
    """recipe_build.parquet: the units' records, and a ``missing`` row for every triplet of a film that
    was not found or failed."""
    parts = build_parts(root)
    record = parts.read()
    have = set(record["triplet_id"]) if len(record) else set()
    extra = [{"triplet_id": t.triplet_id, "film_id": t.film_id, "status": "missing", "frames_exact": 0,
              "detail": failed.get(t.film_id, "film not built")}
             for t in recipe.triplets.itertuples() if t.triplet_id not in have]
    if extra:
        record = pd.concat([record, pd.DataFrame(extra)], ignore_index=True) if len(record) else pd.DataFrame(extra)
    record = record.sort_values("triplet_id").reset_index(drop=True)
    atomic.write_table(build_record_path(root), to_table(record, RECIPE_BUILD))
    return to_table(record, RECIPE_BUILD).to_pandas()
