"""A mining run killed with SIGKILL and started again ends with exactly the dataset of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from atdkit.mining.pipeline import mine
from atdkit.store.dataset import DatasetRoot


def _snapshot(root_path: Path) -> dict:
    root = DatasetRoot.open(root_path)
    films = root.films().drop(columns=["mined_at"]).sort_values("film_id").reset_index(drop=True)
    triplets = root.triplets().sort_values("triplet_id").reset_index(drop=True)
    cands = root.candidates().sort_values(["film_id", "f1", "stride"]).reset_index(drop=True)
    frames = {p.relative_to(root_path): p.read_bytes() for p in sorted((root_path / "frames").rglob("*"))
              if p.is_file()}
    return {"films": films, "triplets": triplets, "candidates": cands, "frames": frames}


def _start(films, out) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "atdkit", "mine", *map(str, films), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60.0) -> bool:
    """SIGKILL the run as soon as ``ready()``; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError("mining never reached the kill point")


@pytest.mark.slow
def test_resume_after_sigkill_gives_identical_tables(tmp_path, small_films):
    reference = tmp_path / "reference"
    mine(small_films, reference, progress=False)
    out = tmp_path / "killed"
    # 1st kill: in the middle of the first film (its frames are being written, no part yet)
    first = _start(small_films, out)
    assert _kill_when(first, lambda: any((out / "frames").glob("*/frame2.png")))
    assert not (out / "films.parquet").exists()
    # 2nd kill: after some film finished (its parts exist), before the run ends
    second = _start(small_films, out)
    assert _kill_when(second, lambda: any((out / "parts" / "films").glob("*.parquet")))
    assert len(list((out / "parts" / "films").glob("*.parquet"))) < len(small_films)
    # 3rd run completes
    third = subprocess.run([sys.executable, "-m", "atdkit", "mine", *map(str, small_films), "--out", str(out)],
                           capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    got, want = _snapshot(out), _snapshot(reference)
    for name in ("films", "triplets", "candidates"):
        pd.testing.assert_frame_equal(got[name], want[name])
    assert got["frames"].keys() == want["frames"].keys() and got["frames"] == want["frames"]
    assert not list(out.rglob(".*.tmp"))  # no half-written file left behind
