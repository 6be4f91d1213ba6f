"""A mining run killed with SIGKILL and started again ends with exactly the dataset of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from mining_helpers import assert_same_dataset, dataset_snapshot

from atdkit.mining.pipeline import mine
from atdkit.synth import film_styles


def _start(films, out, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "atdkit", "mine", str(out), *map(str, films), *options],
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
    mine(small_films, reference, progress=False, style=film_styles(small_films))
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
    third = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(out), *map(str, small_films)],
                           capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    assert_same_dataset(dataset_snapshot(out), dataset_snapshot(reference))
    assert not list(out.rglob(".*.tmp"))  # no half-written file left behind


@pytest.mark.slow
def test_a_killed_segmented_run_resumes_with_any_segmentation(tmp_path, small_films):
    reference = tmp_path / "reference"
    mine(small_films, reference, progress=False, style=film_styles(small_films))
    out = tmp_path / "killed"
    stored = out / "parts" / "segments"
    # 1st kill: some segments of a film are stored, the film is not joined yet
    first = _start(small_films, out, "--segment-frames", "8")
    assert _kill_when(first, lambda: len(list(stored.glob("*/*.json"))) >= 2)
    assert not list((out / "parts" / "films").glob("*.parquet"))
    # 2nd run, same segmentation: resumes from the stored segments; killed once a film was joined
    second = _start(small_films, out, "--segment-frames", "8")
    assert _kill_when(second, lambda: any((out / "parts" / "films").glob("*.parquet")))
    # 3rd run with another segmentation: stored segments that do not fit it are discarded
    third = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(out), *map(str, small_films),
                            "--segment-frames", "20"], capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    assert_same_dataset(dataset_snapshot(out), dataset_snapshot(reference))
    assert not list(stored.rglob("*")) and not list(out.rglob(".*.tmp"))

