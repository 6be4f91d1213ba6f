"""`atdkit bench -m qvi` with random weights in the released format: on a mined dataset the outer
frames come from the film (and the rows say so), on an ATD-12K import QVI runs its linear case."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from atdkit.bench.runner import read_results
from atdkit.interchange.atd12k import import_atd
from atdkit.methods.base import TripletContext
from atdkit.mining.pipeline import mine
from atdkit.store import DatasetRoot
from atdkit.store.frames import write_png
from atdkit.synth import synthesize
from atdkit.video import open_video
from atdkit.baselines.qvi.method import FOUR_FRAMES
from atdkit.baselines.qvi.model import QVINet
from atdkit.baselines.qvi.outer_frames import FilmFrames


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("w") / "model.pt"
    torch.save({"model_state_dict": {"module." + k: v for k, v in QVINet().state_dict().items()}}, path)
    return path


def _bench(root, weights, out):
    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(root), "-m", "qvi", "--weights",
                           f"qvi={weights}", "--size", "native", "--no-chamfer", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = read_results(out)
    assert rows["error"].isna().all(), rows["error"].dropna().tolist()[:1]
    assert np.isfinite(rows["psnr"]).all()
    return rows


@pytest.mark.slow
def test_mined_dataset_gives_qvi_the_films_outer_frames(tmp_path, weights_file):
    film = synthesize(tmp_path / "film.mp4", length_s=2.0, fps=24, width=128, height=96, seed=3, style="cel")
    mine([film], tmp_path / "root", workers=1, progress=False)
    root = DatasetRoot(tmp_path / "root")
    triplets = root.triplets().set_index("triplet_id")
    assert len(triplets), "mining found no triplets"
    tid = triplets.index[0]
    row = triplets.loc[tid]
    outer = FilmFrames().get(TripletContext(root.path, tid), (128, 96))
    with open_video(film) as reader:
        n = len(reader)
        if row.f1 - row.stride >= 0 and row.f3 + row.stride < n:
            assert outer.why == "film"
            np.testing.assert_array_equal(outer.frames[0], reader[int(row.f1 - row.stride)])
            np.testing.assert_array_equal(outer.frames[1], reader[int(row.f3 + row.stride)])
    rows = _bench(tmp_path / "root", weights_file, tmp_path / "run")
    inputs = {t: json.loads(p)["input"] for t, p in zip(rows["triplet_id"], rows["provenance"])}
    for t, r in triplets.iterrows():
        inside = r.f1 - r.stride >= 0 and r.f3 + r.stride < n
        assert inputs[t] == (FOUR_FRAMES if inside else "2 frames, linear motion: outer frames fall outside the film")
    assert FOUR_FRAMES in inputs.values()


@pytest.mark.slow
def test_atd12k_import_runs_the_linear_case(tmp_path, weights_file):
    rng = np.random.default_rng(1)
    for i in range(2):
        base = rng.integers(0, 255, (54, 110, 3), dtype=np.uint8)
        for k in (1, 2, 3):
            write_png(tmp_path / "atd" / "test_2k_540p" / f"Disney_v{i}_000{i}_s1" / f"frame{k}.png",
                      np.ascontiguousarray(base[:, 3 * k:3 * k + 96]))
    import_atd(tmp_path / "atd", tmp_path / "root", progress=False)
    rows = _bench(tmp_path / "root", weights_file, tmp_path / "run")
    assert len(set(rows["triplet_id"])) == 2
    assert {json.loads(p)["input"] for p in rows["provenance"]} == {
        "2 frames, linear motion: triplet has no film in this dataset"}
