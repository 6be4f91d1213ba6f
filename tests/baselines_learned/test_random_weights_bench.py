"""`atdkit bench` runs superslomo and adacof on a small mined dataset with random weights saved
in the released formats and passed with --weights NAME=PATH (the released files cannot be
fetched in the tests): every triplet scored, the files' sha256 recorded with every row."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from atdkit.bench.runner import read_results
from atdkit.mining.pipeline import mine
from atdkit.store import DatasetRoot
from atdkit.synth import synthesize
from atdkit.baselines.adacof.model import AdaCoFNet
from atdkit.baselines.superslomo.model import SuperSloMoNet


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_bench_scores_a_mined_root_with_random_released_format_weights(tmp_path):
    film = synthesize(tmp_path / "film.mp4", length_s=2.0, fps=24, width=192, height=108, seed=3, style="cel")
    mine([film], tmp_path / "root", workers=1, progress=False)
    tids = sorted(DatasetRoot(tmp_path / "root").triplets()["triplet_id"])
    assert tids, "mining found no triplets"

    torch.manual_seed(0)
    slomo, adacof = SuperSloMoNet(), AdaCoFNet()
    slomo_file, adacof_file = tmp_path / "SuperSloMo.ckpt", tmp_path / "ckpt.pth"
    torch.save({"epoch": 1, "state_dictFC": slomo.flow.state_dict(), "state_dictAT": slomo.interp.state_dict()},
               slomo_file)
    torch.save({"epoch": 1, "state_dict": adacof.state_dict()}, adacof_file)

    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(tmp_path / "root"), "-m", "superslomo",
                           "-m", "adacof", "--weights", f"superslomo={slomo_file}", "--weights", f"adacof={adacof_file}",
                           "--size", "native", "--no-chamfer", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = read_results(tmp_path / "run")
    for method, path in (("superslomo", slomo_file), ("adacof", adacof_file)):
        mine_rows = rows[rows["method"] == method]
        assert sorted(mine_rows["triplet_id"]) == tids
        assert mine_rows["error"].isna().all(), mine_rows["error"].dropna().tolist()[:1]
        assert np.isfinite(mine_rows["psnr"]).all()
        assert {json.dumps(json.loads(s), sort_keys=True) for s in mine_rows["weights_sha256"]} == {
            json.dumps({method: _sha256(path)}, sort_keys=True)}
