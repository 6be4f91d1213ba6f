"""atdkit's stages on a real Dask cluster: `dask scheduler` and `dask worker` processes started by
the tests on 127.0.0.1 (see conftest.py), with workers in other working directories, workers that
do not see a folder, a worker SIGKILLed mid-task and a scheduler that dies."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from bench_fixtures import build_root
from cluster_units import LOADS, SlowBlend, sleep_then_square, thread_settings

from atdkit.bench.runner import read_results, run_benchmark
from atdkit.distributed import readable_files, run_all
from atdkit.errors import AtdkitError, BadInput
from atdkit.mining.pipeline import mine
from atdkit.store.dataset import DatasetRoot
from atdkit.synth import synthesize

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def film(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("film") / "f.mp4", seed=2, style="anime", length_s=2.5, fps=24,
                      width=320, height=180)


def _triplets(root) -> pd.DataFrame:
    return DatasetRoot.open(root).triplets().sort_values("triplet_id").reset_index(drop=True)


def test_mine_with_relative_paths_and_a_worker_elsewhere_gives_the_local_dataset(dask_cluster, film, tmp_path,
                                                                                   monkeypatch):
    """Relative root and film paths are resolved on the client: the worker runs in another working
    directory and still writes the same triplets as one local process."""
    cluster = dask_cluster()
    cluster.add_worker("elsewhere", cwd=tmp_path / "worker-cwd")
    cluster.add_worker("beside", cwd=tmp_path / "client")
    mine([film], tmp_path / "local", progress=False)
    (tmp_path / "client").mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path / "client")
    os.symlink(film, "film.mp4")
    cluster.wait_for(2)
    report = mine(["film.mp4"], "ds", scheduler=cluster.address, progress=False)
    assert [r["status"] for r in report.results] == ["ok"]
    assert not (tmp_path / "worker-cwd" / "ds").exists()  # nothing written relative to the worker
    local, dask = _triplets(tmp_path / "local"), _triplets(tmp_path / "client" / "ds")
    assert len(local) > 0
    pd.testing.assert_frame_equal(local.drop(columns=["film_path"], errors="ignore"),
                                  dask.drop(columns=["film_path"], errors="ignore"))


def test_a_worker_that_cannot_see_the_root_is_refused_by_name(dask_cluster, film, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    cluster = dask_cluster()
    cluster.add_worker("sees-all")
    cluster.add_worker("blind", hide=shared)  # a machine without the shared storage
    cluster.wait_for(2)
    with pytest.raises(BadInput) as err:
        mine([film], shared / "ds", scheduler=cluster.address, progress=False)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("Dask worker blind at tcp://127.0.0.1:")
    assert f"cannot read {shared / 'ds' / 'dataset.json'}" in message
    assert DatasetRoot.open(shared / "ds").triplets().empty  # refused before any unit ran

    # bench: the weights a method needs are checked on each worker too (here an override file
    # under the folder the blind worker does not see; the client sees it)
    root = build_root(tmp_path / "root", n=2)
    weights = shared / "rife.pkl"
    weights.write_bytes(b"not loaded: refused before")
    with pytest.raises(BadInput) as err:
        run_benchmark(root, tmp_path / "run", ["rife-v4.6"], weights={"rife-v4.6": weights},
                      scheduler=cluster.address, progress=False, chamfer=False)
    message = str(err.value)
    assert "\n" not in message and message.startswith("Dask worker blind at tcp://127.0.0.1:")
    assert f"{weights}: weights file for 'rife-v4.6' not found" in message


def test_worker_threads_are_capped_and_bench_shards_fill_the_cluster_with_local_scores(dask_cluster, tmp_path):
    cluster = dask_cluster()
    for name in ("a", "b"):
        cluster.add_worker(name)
    cluster.wait_for(2)
    out = dict(run_all(thread_settings, range(4), scheduler=cluster.address, progress=False))
    for omp, torch_threads, cv_threads, cpus in out.values():
        share = max(1, cpus // 2)  # two one-thread workers on this machine
        assert (omp, torch_threads, cv_threads) == (str(share), share, share)

    root = build_root(tmp_path / "root", n=4)
    summary = run_benchmark(root, tmp_path / "run", ["blend"], size=None, shard_size=8, chamfer=False,
                            scheduler=cluster.address, progress=False)
    # 4 triplets, 2 worker threads: two shards of 2, not one of 8
    assert summary.shards_done == 2 and summary.rows_written == 4
    run_benchmark(root, tmp_path / "local", ["blend"], size=None, shard_size=8, chamfer=False, progress=False)
    local, dask = read_results(tmp_path / "local"), read_results(tmp_path / "run")
    from atdkit.bench.scoring import METRICS

    scores = [m.name for m in METRICS if m.name in local.columns and local[m.name].notna().any()]
    assert len(scores) >= 2  # the metric values, not the timings
    pd.testing.assert_frame_equal(local[["triplet_id", *scores]], dask[["triplet_id", *scores]])
    from distributed import Client

    with Client(cluster.address) as client:
        cached = client.run(_cached_methods)
    assert sorted(cached.values()) == [1, 1]  # each worker built the method once for its shard(s)


def _cached_methods() -> int:
    from atdkit.bench import runner

    return len(runner._METHODS)


def _raw_rows(run: Path) -> pd.DataFrame:
    return pd.concat([pq.read_table(p).to_pandas() for p in sorted((run / "parts").glob("*.parquet"))])


def test_a_worker_killed_mid_task_leaves_no_duplicate_or_missing_rows(dask_cluster, tmp_path, monkeypatch):
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv(LOADS, str(marks))
    cluster = dask_cluster()
    victim = cluster.add_worker("victim")
    cluster.add_worker("survivor")
    cluster.wait_for(2)
    root = build_root(tmp_path / "root", n=6)
    killed = []

    def kill_when_busy():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            if any(p.name.startswith(f"begun-{victim.pid}-") for p in marks.iterdir()):
                os.killpg(victim.pid, signal.SIGKILL)
                killed.append(time.monotonic())
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    try:
        summary = run_benchmark(root, tmp_path / "run", [SlowBlend(delay=1.0)], size=None, shard_size=2,
                                chamfer=False, scheduler=cluster.address, progress=False)
    finally:
        killed.append("stop")
        killer.join()
    assert isinstance(killed[0], float), "the victim never began a triplet"
    assert victim.wait(5) == -signal.SIGKILL
    assert summary.shards_failed == [] and summary.errors == 0
    rows = _raw_rows(tmp_path / "run")
    assert sorted(rows["triplet_id"]) == [f"t{i:03d}" for i in range(6)]  # each once, none missing
    assert rows["error"].isna().all()


def test_losing_the_scheduler_fails_in_one_line_and_a_rerun_resumes(dask_cluster, tmp_path):
    cluster = dask_cluster()
    cluster.add_worker("w")
    cluster.wait_for(1)
    root = build_root(tmp_path / "root", n=6)
    scheduler = cluster.procs[0]
    threading.Timer(4.0, lambda: os.killpg(scheduler.pid, signal.SIGKILL)).start()
    with pytest.raises(AtdkitError) as err:
        run_benchmark(root, tmp_path / "run", [SlowBlend(delay=1.0)], size=None, shard_size=1, chamfer=False,
                      scheduler=cluster.address, progress=False)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"lost the Dask scheduler at {cluster.address}")
    assert message.endswith("run the same command again to resume")
    before = _raw_rows(tmp_path / "run") if list((tmp_path / "run" / "parts").glob("*.parquet")) else None
    summary = run_benchmark(root, tmp_path / "run", [SlowBlend(delay=0.0)], size=None, shard_size=1,
                            chamfer=False, progress=False)
    assert summary.shards_failed == []
    rows = _raw_rows(tmp_path / "run")
    assert sorted(rows["triplet_id"]) == [f"t{i:03d}" for i in range(6)]
    if before is not None:  # what the cluster finished was kept, not redone
        assert summary.skipped_pairs == len(before)
    assert len(read_results(tmp_path / "run")) == 6


def test_an_unreachable_scheduler_is_one_line():
    with pytest.raises(AtdkitError, match=r"^cannot reach the Dask scheduler at tcp://127.0.0.1:9 .*is `dask "
                                          r"scheduler` running there\?$"):
        list(run_all(sleep_then_square, [1], scheduler="tcp://127.0.0.1:9", progress=False))


def test_readable_files_names_the_unreadable_file(tmp_path):
    (tmp_path / "a").write_text("x")
    assert readable_files(tmp_path / "a")() is None
    problem = readable_files(tmp_path / "a", tmp_path / "b", why=": shared")()
    assert problem.startswith(f"cannot read {tmp_path / 'b'} (No such file or directory, working directory ")
    assert problem.endswith(": shared")


def test_sgm_on_the_cluster_writes_the_local_flows(dask_cluster, tmp_path):
    import shutil
    import subprocess
    import sys

    import numpy as np

    from atdkit.methods.animeinterp.flows import flow_paths, read_flow

    cluster = dask_cluster()
    cluster.add_worker("elsewhere", cwd=tmp_path / "worker-cwd")
    root = build_root(tmp_path / "local", n=2)
    shutil.copytree(root.path, tmp_path / "dask")
    cluster.wait_for(1)
    options = ["--vgg", "none", "--line-style", "japanese", "--size", "native"]
    for folder, extra in (("local", []), ("dask", ["--scheduler", cluster.address])):
        done = subprocess.run([sys.executable, "-m", "atdkit", "sgm", folder, *options, *extra], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "2 computed, 0 already cached, 0 failed" in done.stdout
    for tid in ("t000", "t001"):
        for a, b in zip(flow_paths(root, tid), flow_paths(DatasetRoot.open(tmp_path / "dask"), tid)):
            assert np.array_equal(read_flow(a), read_flow(b))


def test_mine_cli_losing_the_scheduler_prints_one_line_and_a_rerun_completes(dask_cluster, tmp_path):
    import subprocess
    import sys

    film = synthesize(tmp_path / "f.mp4", seed=4, style="cel", length_s=8, fps=24, width=320, height=180)
    cluster = dask_cluster()
    cluster.add_worker("w")
    cluster.wait_for(1)
    ds = tmp_path / "ds"
    proc = subprocess.Popen([sys.executable, "-m", "atdkit", "mine", str(ds), str(film), "--scheduler", cluster.address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster.env)
    try:
        deadline = time.monotonic() + 240
        while not ((ds / "frames").is_dir() and any((ds / "frames").iterdir())):  # the unit is under way
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else "slow"
            time.sleep(0.05)
        cluster.kill(cluster.procs[0])
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [line for line in err.splitlines() if line.strip() and "mining segments" not in line]
    assert proc.returncode == 1
    assert lines == [f"error: lost the Dask scheduler at {cluster.address} (1 Future cancelled); finished units are "
                     "kept: run the same command again to resume"]
    again = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(ds), str(film)], capture_output=True,
                           text=True, timeout=300, env=cluster.env)
    assert again.returncode == 0, again.stderr
    triplets = DatasetRoot.open(ds).triplets()
    assert len(triplets) > 0 and triplets["triplet_id"].is_unique
