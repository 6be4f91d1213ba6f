"""`atdkit bench -m dain` on a small mined dataset, with random weights in best.pth's layout."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from atdkit.bench.runner import read_results
from atdkit.mining.pipeline import mine
from atdkit.store import DatasetRoot
from atdkit.synth import synthesize
from test_dain import random_release


@pytest.mark.slow
def test_bench_runs_dain_on_a_mined_dataset(tmp_path):
    weights = tmp_path / "best.pth"
    torch.save(random_release(), weights)
    film = synthesize(tmp_path / "film.mp4", length_s=1.0, fps=24, width=96, height=64, seed=4, style="cel")
    mine([film], tmp_path / "root", workers=1, progress=False)
    triplets = DatasetRoot(tmp_path / "root").triplets()
    assert len(triplets), "mining found no triplets"
    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(tmp_path / "root"), "-m", "dain", "-m", "blend",
                           "--weights", f"dain={weights}", "--size", "native", "--no-chamfer", "--out",
                           str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = read_results(tmp_path / "run")
    dain = rows[rows["method"] == "dain"]
    assert rows["error"].isna().all(), rows["error"].dropna().tolist()[:1]
    assert sorted(dain["triplet_id"]) == sorted(triplets["triplet_id"])
    assert np.isfinite(dain["psnr"]).all()
    blend = rows[rows["method"] == "blend"].set_index("triplet_id")["psnr"]
    assert not np.allclose(dain.set_index("triplet_id")["psnr"].loc[blend.index], blend)  # its own predictions
