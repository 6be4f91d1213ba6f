"""What the commands do when they meet a corrupt file of the root (mine, bench, sgm, consensus)."""

from __future__ import annotations

import shutil

import pytest

import fault_harness as harness
from atdkit.bench.runner import read_results, run_benchmark
from atdkit.labels.consensus import compute
from atdkit.mining.pipeline import mine
from atdkit.store import DatasetRoot
from atdkit.store.quarantine import CorruptFile


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrupt-base")
    films, root = harness.make_base(folder)
    return films, root


@pytest.fixture
def root(mined, tmp_path):
    shutil.copytree(mined[1], tmp_path / "root")
    return DatasetRoot(tmp_path / "root")


def _err_lines(capfd) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if "quarantine" in line]


def test_mine_remines_a_film_whose_part_is_corrupt(mined, root, capfd):
    films, _ = mined
    before = harness.snapshot(root.path.parent)
    film_part = sorted(root.film_parts.parts())[0]
    film_part.write_bytes(film_part.read_bytes()[:100])
    mine(films, root.path, workers=1, progress=False)
    lines = _err_lines(capfd)
    assert len(lines) == 1 and film_part.name in lines[0] and "continuing without its rows" in lines[0]
    assert (root.path / "quarantine" / "parts" / "films" / film_part.name).is_file()
    shutil.rmtree(root.path / "quarantine")
    assert harness.differences(harness.snapshot(root.path.parent), before) == []   # mined again, identical


def test_bench_scores_the_other_triplets_and_names_the_corrupt_frame(root, tmp_path):
    tids = sorted(root.triplets()["triplet_id"])
    frame = root.frame_paths(tids[0])[2]
    frame.write_bytes(frame.read_bytes()[:50])
    run_benchmark(root, tmp_path / "run", ["blend"], progress=False)
    res = read_results(tmp_path / "run").set_index("triplet_id")
    assert res["error"].drop(tids[0]).isna().all() and res["psnr"].drop(tids[0]).notna().all()
    assert "frame3.png: not a readable image; moved to" in res.loc[tids[0], "error"]
    assert (root.path / "quarantine" / "frames" / tids[0] / "frame3.png").is_file()


def test_sgm_recomputes_a_corrupt_cached_flow(root, capfd):
    harness.cli("sgm", str(root.path), "--vgg", "none", "--size", "native")
    tid = sorted(root.triplets()["triplet_id"])[0]
    flow = root.flows_dir(tid) / "guide_flo31.npy"
    good = flow.read_bytes()
    flow.write_bytes(good[:64])
    capfd.readouterr()
    harness.cli("sgm", str(root.path), "--vgg", "none", "--size", "native")
    lines = _err_lines(capfd)
    assert len(lines) == 1 and "guide_flo31.npy" in lines[0] and "computing the flows again" in lines[0]
    assert flow.read_bytes() == good


def test_consensus_stops_at_a_corrupt_vote_part_then_goes_on_without_it(root):
    tids = sorted(root.triplets()["triplet_id"])
    harness.submit_all(root.path, "ann1")
    part = root.votes.parts()[0]
    part.write_bytes(b"PAR1")
    with pytest.raises(CorruptFile, match=f"{part.name}: unreadable Parquet.*moved to"):
        compute(root)                     # a consensus must not silently lack a submission
    assert (root.path / "quarantine" / "labels" / "votes" / part.name).is_file()
    table = compute(root)                 # the user was told; the next run goes on without it
    assert len(table) == len(tids) and len(root.votes.read(on_error="raise")) == len(tids) - 1
