"""Kill-and-resume trials: run a workload in a real process, SIGKILL its whole process group at a
seeded random moment, resume it to the end, and compare what it left with an uninterrupted run's.

Shared by tests/faults/ (a few trials per workload) and benchmarks/faults.py (many).

Workloads (each on its own copy of a small mined root, so trials never share files):
  mine       ``mine`` of two tiny synthetic films with 2 workers (spawned pool) and short segments
  bench      ``run_benchmark`` of the blend baseline, predictions saved
  sgm        ``atdkit sgm`` (weight-free descriptor, native size)
  annotate   one annotator taking triplets from the queue and submitting judgements (the app's
             store-level submission path) until none is left

Compared after the resume: the tables (sorted by their key, every column except the ones listed in
``EXCLUDED``) and the bytes of every frame, prediction and flow file, and the set of file names of
the root / run (parts named by time and pid, locks and leases excepted: see ``_listing``).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Columns that legitimately differ between two runs of the same work: wall-clock stamps, timings and
# the random id of a benchmark run (a resumed run keeps the killed run's id; a fresh reference gets its own).
EXCLUDED = {
    "films": ("mined_at",),
    "triplets": (),
    "candidates": (),
    "results": ("created_at", "seconds", "peak_mem_mb", "run_id", "session"),  # session: one per bench invocation
    "votes": ("created_at",),
    "annotations": ("created_at",),
}

FILMS = [dict(seed=1, style="cel"), dict(seed=2, style="anime")]
FILM_SIZE = dict(length_s=2.0, fps=24, width=192, height=108)
WORKLOADS = ("mine", "bench", "sgm", "annotate")


def make_films(folder: Path) -> list[Path]:
    from atdkit.synth import synthesize

    folder.mkdir(parents=True, exist_ok=True)
    return [synthesize(folder / f"f{f['seed']}.mp4", **f, **FILM_SIZE) for f in FILMS]


def make_base(folder: Path) -> tuple[list[Path], Path]:
    """Two tiny films and a root mined from them (the starting point of bench, sgm and annotate)."""
    from atdkit.mining.pipeline import mine

    films = make_films(folder / "films")
    mine(films, folder / "root", workers=1, progress=False)
    return films, folder / "root"


# ---- the workloads (each runs in the child process) -------------------------------------------------

def _mine(work: Path, films: list[str]) -> None:
    from atdkit.mining.pipeline import mine

    mine(films, work / "root", workers=2, segment_frames=16, progress=False)


def _bench(work: Path, films: list[str]) -> None:
    from atdkit.bench.runner import run_benchmark

    run_benchmark(work / "root", work / "run", ["blend"], shard_size=2, save_predictions=True, progress=False)


def cli(*args: str) -> None:
    """Run ``atdkit ARGS`` in this process, as the ``atdkit`` command does."""
    from atdkit.cli import _register_commands, app

    _register_commands()
    app(list(args), standalone_mode=False)


def _sgm(work: Path, films: list[str]) -> None:
    cli("sgm", str(work / "root"), "--vgg", "none", "--size", "native")


def judgement_for(tid: str, annotator: str):
    """The judgement a deterministic annotator gives a triplet (accept with a box, or reject)."""
    from atdkit.labels.judgements import Box, Judgement

    h = int(hashlib.sha256(f"{annotator}/{tid}".encode()).hexdigest()[:8], 16)
    if h % 3:
        return Judgement(tid, annotator, True, roi=Box(h % 50, h % 30, 20 + h % 40, 10 + h % 20),
                         labels={"difficulty": "easy", "motion_type": "translation", "behavior": "walking"})
    return Judgement(tid, annotator, False, reason="other", note=f"n{h % 97}")


def submit_all(root_path: Path, annotator: str) -> int:
    """Take triplets from the queue and submit until the queue has nothing left for ``annotator``."""
    from atdkit.labels import judgements
    from atdkit.labels.queue import Queue
    from atdkit.store import DatasetRoot

    root = DatasetRoot.open(root_path)
    queue = Queue(root, list(root.triplets()["triplet_id"]))
    n = 0
    while (tid := queue.next_for(annotator)) is not None:
        judgements.write(root, judgements.validate(judgement_for(tid, annotator)))
        n += 1
    return n


def _annotate(work: Path, films: list[str]) -> None:
    submit_all(work / "root", "ann1")


RUNNERS = {"mine": _mine, "bench": _bench, "sgm": _sgm, "annotate": _annotate}


def prepare(workload: str, base: Path, work: Path) -> None:
    """A fresh work folder: an empty one for mine, a copy of the base root for the others."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if workload != "mine":
        shutil.copytree(base / "root", work / "root")


# ---- processes ------------------------------------------------------------------------------------

_CTX = None


def context():
    """A forkserver that has imported atdkit once: each trial's process starts in milliseconds."""
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(["atdkit.mining.pipeline", "atdkit.bench.runner", "atdkit.cli",
                                     "atdkit.cli.sgm", "atdkit.labels.queue", "atdkit.labels.judgements",
                                     "atdkit.methods.animeinterp.sgm"])
    return _CTX


def shutdown() -> None:
    """Stop the forkserver (it would otherwise live as long as the test process) and reap it."""
    from multiprocessing import forkserver

    if _CTX is not None:
        forkserver._forkserver._stop()  # the standard library's own way to stop it (used by its tests)


def _child(workload: str, work: str, films: list[str]) -> None:
    os.setsid()  # its own process group: the kill reaches the pool workers it starts
    import sys

    sys.stdout = sys.stderr = open(os.devnull, "w")  # the trials' progress and notices are not the test's output
    RUNNERS[workload](Path(work), films)


def _nothing() -> None:
    pass


def warm_up() -> None:
    """Start the forkserver (it imports atdkit once) so that no trial's timing includes it."""
    p = context().Process(target=_nothing)
    p.start()
    p.join(120)


def start(workload: str, work: Path, films: list[Path]):
    p = context().Process(target=_child, args=(workload, str(work), [str(f) for f in films]))
    p.start()
    return p


def _group_alive(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that have not ended (zombies excepted)."""
    alive = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                alive.append(int(d.name))
    return alive


def _kill_group(p) -> None:
    """SIGKILL the whole group and wait until every member has ended (the kill is asynchronous)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.join(30)
    deadline = time.monotonic() + 30
    while (left := _group_alive(p.pid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not left, f"processes {left} outlived SIGKILL of their group"


def run_to_end(workload: str, work: Path, films: list[Path], timeout: float = 120) -> float:
    t = time.perf_counter()
    p = start(workload, work, films)
    p.join(timeout)
    if p.exitcode is None:
        _kill_group(p)
        raise TimeoutError(f"{workload} did not finish in {timeout} s")
    if p.exitcode != 0:
        raise RuntimeError(f"{workload} in {work} exited with {p.exitcode}")
    return time.perf_counter() - t


def run_killed(workload: str, work: Path, films: list[Path], delay: float) -> bool:
    """Start the workload and SIGKILL its process group after ``delay`` s; True if it was still running."""
    p = start(workload, work, films)
    p.join(delay)
    killed = p.exitcode is None
    _kill_group(p)
    if not killed and p.exitcode != 0:
        raise RuntimeError(f"{workload} in {work} exited with {p.exitcode} before the kill")
    return killed


# ---- what a run left ---------------------------------------------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> dict[str, str]:
    """relative path → sha256 for frames, predictions and flows; relative path → '' for the other files
    whose names are deterministic."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        top = rel.split("/")[0]
        if rel.endswith(".lock") or top == "labels" or (folder.name == "run" and top == "parts"):
            continue  # locks; label and result parts are named by time and pid (their rows are compared)
        byte_exact = top in ("frames", "predictions", "flows")
        out[rel] = _sha(p) if byte_exact else ""
    return out


def _sorted(df: pd.DataFrame, drop: tuple[str, ...]) -> pd.DataFrame:
    """Rows as exact text (floats in shortest round-trip form, lists element by element), sorted."""
    text = df.drop(columns=list(drop)).map(lambda v: str(v.tolist() if isinstance(v, np.ndarray) else v))
    if not len(text):
        return text
    return text.iloc[text.agg("\x1f".join, axis=1).argsort(kind="stable")].reset_index(drop=True)


def snapshot(work: Path) -> dict:
    from atdkit.bench.runner import read_results
    from atdkit.store import DatasetRoot
    from atdkit.store.labels import latest_annotations, latest_votes

    root = DatasetRoot(work / "root")
    tables = {"films": root.films(), "triplets": root.triplets(), "candidates": root.candidates(),
              "votes": latest_votes(root), "annotations": latest_annotations(root)}
    if (work / "run").is_dir():
        tables["results"] = read_results(work / "run")
    snap = {name: _sorted(df, EXCLUDED[name]) for name, df in tables.items()}
    snap["files:root"] = _listing(work / "root")
    if (work / "run").is_dir():
        snap["files:run"] = _listing(work / "run")
    return snap


def differences(got: dict, want: dict) -> list[str]:
    """What differs, one line each (empty: identical)."""
    out = []
    for key in sorted(set(got) | set(want)):
        a, b = got.get(key), want.get(key)
        if isinstance(b, pd.DataFrame) and isinstance(a, pd.DataFrame):
            if len(a) != len(b):
                out.append(f"{key}: {len(a)} rows, uninterrupted run {len(b)}")
            elif not a.equals(b):
                bad = [c for c in b.columns if not a[c].equals(b[c])]
                out.append(f"{key}: columns {bad} differ")
        elif isinstance(b, dict) and isinstance(a, dict):
            extra, missing = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
            for what, names in (("extra", extra), ("missing", missing), ("different bytes", changed)):
                if names:
                    out.append(f"{key}: {len(names)} {what}: {', '.join(names[:3])}")
        else:
            out.append(f"{key}: present in only one run")
    return out


def rows_in(snap: dict) -> int:
    return sum(len(v) for v in snap.values() if isinstance(v, pd.DataFrame))


@dataclass
class Tally:
    trials: int = 0
    killed_trials: int = 0
    kills: int = 0
    rows_compared: int = 0
    files_compared: int = 0
    failures: list[str] = field(default_factory=list)


def trials(workload: str, n: int, seed: int, base: Path, films: list[Path], scratch: Path,
           tally: Tally | None = None) -> Tally:
    """``n`` kill-and-resume trials of ``workload``; kill moments drawn from ``seed`` over the span of
    an uninterrupted run (timed once here)."""
    tally = tally or Tally()
    rng = random.Random(f"{workload}/{seed}")
    ref_dir = scratch / f"{workload}-reference"
    warm_up()
    prepare(workload, base, ref_dir)
    span = run_to_end(workload, ref_dir, films)
    want = snapshot(ref_dir)
    for i in range(n):
        work = scratch / f"{workload}-{i}"
        prepare(workload, base, work)
        delay = rng.uniform(0.02, 0.95) * span
        kills = 0
        for _ in range(6):
            if run_killed(workload, work, films, delay):
                kills += 1
                if kills >= 2 or rng.random() < 0.5:  # killed once or twice, then left to finish
                    break
            elif kills:
                break  # the resumed run finished before this kill
            else:  # this run was faster than the uninterrupted one: start again, kill it sooner
                prepare(workload, base, work)
                delay /= 2
            delay = rng.uniform(0.02, 0.95) * span if kills else delay
        run_to_end(workload, work, films)
        got = snapshot(work)
        tally.trials += 1
        tally.kills += kills
        tally.killed_trials += kills > 0
        tally.rows_compared += rows_in(want)
        tally.files_compared += sum(len(v) for k, v in want.items() if k.startswith("files:"))
        tally.failures += [f"{workload} trial {i} (kill after {delay:.2f} s): {d}" for d in differences(got, want)]
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(ref_dir, ignore_errors=True)
    return tally
