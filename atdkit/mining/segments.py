"""Splitting a film into segments that workers mine independently, and joining their results.

A film of n frames is cut into segments [start, end) (:func:`plan`). Segment k
*owns* the shots that begin in [start, end): for k = 0 the shot at frame 0, for
k > 0 every shot from the first cut at or after ``start`` on. It mines each
owned shot to its end, past ``end`` when the shot goes on (up to the first cut
at or after ``end``, plus the frames the last candidates need to see that they
span that cut). To find its first cut, segment k > 0 decodes from ``start − w``
and only tracks shots until then: the cut detector decides each frame from the
w frames before it (w = ``ShotParams.cut_window``, see
:mod:`atdkit.mining.shots`), and decoding from any frame gives the same pixels
as decoding from the start, so both neighbours agree where the boundary is. Every candidate
is therefore judged by exactly one segment, with the state a sequential pass
would have: **the dataset does not depend on the segmentation** (tested). The
price is decoding, once more, the frames between a segment's start and its
first cut.

A finished segment stores its result in the dataset root
(``parts/segments/<film_id>/<start>-<end>.*``, the JSON summary written last),
so a killed run redoes only unfinished segments. Once every segment of a film
is there, :func:`join` numbers the shots film-wide and the film's parts are
written as for an unsplit film; the segment files are then deleted.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from atdkit.store import atomic, quarantine, schema
from atdkit.store.dataset import DatasetRoot
from atdkit.store.parts import to_table

MIN_SEGMENT_FRAMES = 360   # shorter segments decode too large a share of frames twice (seeking their first cut)
# Units per worker: equal lengths are not equal work (four 30 s benchmark films took 7.0–10.9 s each on
# one worker; at 2 units per worker one worker idled for 5.9 s of 22.7), so a worker's share comes in
# four units and the last one to finish is short.
SEGMENTS_PER_WORKER = 4


def plan(n_frames: int | None, length: int | None) -> list[tuple[int, int | None]]:
    """[start, end) bounds of segments of about ``length`` frames covering ``n_frames`` (one segment when
    either is None). The last segment's end is None: it owns every shot from its start to the film's end,
    however many frames the decoder finds."""
    count = 1 if not n_frames or not length else max(1, round(n_frames / length))
    starts = [(n_frames or 0) * i // count for i in range(count)]
    return list(zip(starts, [*starts[1:], None]))


def auto_length(total_frames: int, workers: int) -> int | None:
    """Segment length for ``workers`` (None: do not split): a whole number of units per worker —
    ``SEGMENTS_PER_WORKER`` when the frames allow segments of at least ``MIN_SEGMENT_FRAMES``, else
    one — so that equal units end together (3 units on 2 workers would leave one worker idle for a
    third of the run)."""
    if workers <= 1:
        return None
    per_worker = min(SEGMENTS_PER_WORKER, max(1, total_frames // (workers * MIN_SEGMENT_FRAMES)))
    return max(MIN_SEGMENT_FRAMES, math.ceil(total_frames / (workers * per_worker)))


def longest_first(jobs: list[dict[str, Any]], n_frames: dict[str, int | None]) -> list[dict[str, Any]]:
    """Units in the order that finishes soonest on a pool (longest processing time first): segments
    of ``n_frames[film_id]``-frame films by length, longest first; units of films of unknown length
    (they fail at once) last. Stable, so equal units keep their order."""
    def length(job: dict[str, Any]) -> int:
        n = n_frames.get(job["film_id"]) or 0
        return (n if job["end"] is None else job["end"]) - job["start"]

    return sorted(jobs, key=length, reverse=True)


@dataclass
class SegmentResult:
    """What one segment found. Shots are numbered from 0 at the segment's first owned shot."""

    start: int
    end: int | None
    shots: list[dict[str, Any]] = field(default_factory=list)   # owned shots (see ShotTracker.shots)
    facts: dict[str, Any] = field(default_factory=dict)         # the reader's facts about the film
    triplets: pd.DataFrame = field(default_factory=pd.DataFrame)
    candidates: pd.DataFrame = field(default_factory=pd.DataFrame)


SUFFIXES = (".json", ".triplets.parquet", ".candidates.parquet")  # the files of one finished segment


class SegmentStore:
    """The stored results of one film's finished segments."""

    def __init__(self, root: DatasetRoot, film_id: str):
        self.root = root
        self.directory = root.segments_dir(film_id)

    def _stem(self, start: int, end: int | None) -> Path:
        return self.directory / f"{start:09d}-{'end' if end is None else f'{end:09d}'}"

    def done(self, start: int, end: int | None) -> bool:
        """The segment was finished and its files read back. A corrupt file of it is moved aside
        (quarantine, one line on stderr) and the segment's other files removed: it is mined again."""
        stem = self._stem(start, end)
        if not stem.with_suffix(".json").is_file():
            return False
        try:
            self.read(start, end)
        except quarantine.CorruptFile as exc:
            quarantine.say_continuing(exc, "that segment (mining it again)")
            for suffix in SUFFIXES:
                stem.with_suffix(suffix).unlink(missing_ok=True)
            return False
        return True

    def write(self, result: SegmentResult) -> None:
        stem = self._stem(result.start, result.end)
        for suffix, rows, table_schema in ((".triplets.parquet", result.triplets, schema.TRIPLETS),
                                           (".candidates.parquet", result.candidates, schema.CANDIDATES)):
            table = to_table(rows, table_schema) if len(rows) else table_schema.empty_table()
            atomic.write_table(stem.with_suffix(suffix), table)
        summary = {"start": result.start, "end": result.end, "shots": result.shots, "facts": result.facts}
        atomic.write_text(stem.with_suffix(".json"), json.dumps(summary))  # last: marks it done

    def read(self, start: int, end: int | None) -> SegmentResult:
        stem = self._stem(start, end)
        summary = quarantine.read_json(stem.with_suffix(".json"))
        return SegmentResult(start, end, summary["shots"], summary["facts"],
                             quarantine.read_parquet(stem.with_suffix(".triplets.parquet"), schema.TRIPLETS).to_pandas(),
                             quarantine.read_parquet(stem.with_suffix(".candidates.parquet"),
                                                     schema.CANDIDATES).to_pandas())

    def keep_only(self, bounds: list[tuple[int, int | None]]) -> None:
        """Delete stored segments of another segmentation (a run with other --workers): they cannot be joined."""
        if not self.directory.is_dir():
            return
        wanted = {self._stem(s, e).name for s, e in bounds}
        for p in self.directory.iterdir():
            if p.name.split(".")[0] not in wanted:
                p.unlink(missing_ok=True)

    def write_progress(self, start: int, end: int | None, frames: int, kept: int) -> None:
        """What a running segment has done so far (read by :func:`progress`; no durability needed)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._stem(start, end).with_suffix(".progress")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps({"frames": frames, "kept": kept}))
        os.replace(tmp, path)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class JoinedFilm:
    shots: list[dict[str, Any]]
    triplets: pd.DataFrame
    candidates: pd.DataFrame


def join(results: list[SegmentResult]) -> JoinedFilm:
    """One film's segment results (in order) as one: shots renumbered film-wide, rows in frame order."""
    shots, triplets, candidates = [], [], []
    offset = 0
    for r in sorted(results, key=lambda r: r.start):
        shots += [{**s, "shot": s["shot"] + offset} for s in r.shots]
        for part, out in ((r.triplets, triplets), (r.candidates, candidates)):
            if len(part):
                out.append(part.assign(shot=part["shot"] + offset))
        offset += len(r.shots)

    def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    return JoinedFilm(shots, concat(triplets), concat(candidates))


def progress(root: DatasetRoot, film_ids: list[str]) -> tuple[int, int]:
    """(frames decoded, triplets kept) so far by the running and stored segments of these films."""
    frames = kept = 0
    for film_id in film_ids:
        for p in SegmentStore(root, film_id).directory.glob("*.progress"):
            try:
                d = json.loads(p.read_text())
            except (OSError, ValueError):  # being replaced or cleared right now
                continue
            frames, kept = frames + d["frames"], kept + d["kept"]
    return frames, kept
