"""A build killed mid-way (SIGKILL, a real process) resumes without duplicates and gives the same root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from recipe_helpers import snapshot

from atdkit.recipes.build import build_from_recipe, build_parts
from atdkit.store.dataset import DatasetRoot

REPO = Path(__file__).resolve().parents[2]


def _kill_when_frames_appear(argv: list[str], root: Path, timeout_s: float = 120) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and proc.poll() is None:
            if (root / "frames").is_dir() and any((root / "frames").rglob("*.png")):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, f"the build ended before it was killed: {proc.stderr.read()!r}"


def test_a_build_killed_mid_way_resumes_without_duplicates(source, tmp_path):
    root = tmp_path / "root"
    _kill_when_frames_appear([sys.executable, "-m", "atdkit", "recipe", "build", str(root), str(source["recipe"]),
                              "--films", str(source["films"])], root)
    ds = DatasetRoot.open(root)
    assert len(ds.film_parts.parts()) < 2            # killed with a film unfinished
    report = build_from_recipe(source["recipe"], root, [source["films"]], progress=False)
    assert report.errors == []
    for parts in (ds.triplet_parts, build_parts(ds), ds.film_parts):   # each row once in the parts
        raw = parts.read_table().to_pandas()
        assert not raw.duplicated(subset=list(parts.key)).any(), parts.directory
    assert not list(root.rglob("*.tmp"))
    rebuilt, original = snapshot(root), snapshot(source["root"])
    for name in ("films", "triplets", "consensus"):
        pd.testing.assert_frame_equal(rebuilt[name], original[name], obj=name)
    assert rebuilt["frames"] == original["frames"] and rebuilt["meta"] == original["meta"]
