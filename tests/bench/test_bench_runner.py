"""The runner: resume after SIGKILL, bad inputs recorded per row, fail-fast on unknown methods."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from bench_fixtures import build_root, raises_on

from atdkit.bench.runner import read_results, run_benchmark
from atdkit.errors import BadInput, UnknownMethod, WeightsMissing
from atdkit.store.frames import write_png
from atdkit.store.labels import add_annotations

HERE = Path(__file__).parent


def _part_rows(run):
    return pd.concat([pq.read_table(p).to_pandas() for p in sorted((Path(run) / "parts").glob("*.parquet"))])


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_loses_nothing_and_duplicates_nothing(tmp_path):
    root = build_root(tmp_path / "root", n=10)
    run = tmp_path / "run"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(HERE)!r})
        from bench_fixtures import slow_blend
        from atdkit.bench.runner import run_benchmark
        run_benchmark({str(root.path)!r}, {str(run)!r}, [slow_blend(0.3)], size=None, shard_size=1,
                      progress=False, chamfer=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(list((run / "parts").glob("*.parquet"))) < 3:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    written = _part_rows(run)
    assert 3 <= len(written) < 10, "the kill must land mid-run"
    before = set(written["triplet_id"])

    from bench_fixtures import slow_blend

    summary = run_benchmark(root, run, [slow_blend(0.0)], size=None, shard_size=1, progress=False, chamfer=False)
    assert summary.skipped_pairs == len(before)
    parts = _part_rows(run)
    assert len(parts) == 10 and parts["triplet_id"].is_unique
    results = pq.read_table(run / "results.parquet").to_pandas()
    assert sorted(results["triplet_id"]) == [f"t{i:03d}" for i in range(10)]
    assert results["error"].isna().all()
    # rows written before the kill are the very same rows (not recomputed)
    kept = results[results["triplet_id"].isin(before)].set_index("triplet_id")["created_at"]
    old = written.set_index("triplet_id")["created_at"]
    assert (kept.sort_index() == old.sort_index()).all()
    again = run_benchmark(root, run, [slow_blend(0.0)], size=None, progress=False)
    assert again.rows_written == 0 and again.skipped_pairs == 10


def test_bad_inputs_are_recorded_per_row_and_the_run_goes_on(tmp_path):
    root = build_root(tmp_path / "root", n=7)
    (root.frames_dir("t001") / "frame3.png").unlink()
    (root.frames_dir("t002") / "frame2.png").write_bytes(b"not a png")
    write_png(root.frames_dir("t003") / "frame1.png", np.zeros((10, 10, 3), np.uint8))
    add_annotations(root, [{"triplet_id": "t004", "annotator": "synthetic-truth", "roi_x": 500.0, "roi_y": 5.0,
                            "roi_w": 20.0, "roi_h": 20.0, "difficulty": "hard"}])
    summary = run_benchmark(root, tmp_path / "run", ["blend", raises_on("t005")], size=None,
                            progress=False, save_predictions=True)
    assert summary.shards_failed == []
    df = read_results(tmp_path / "run").set_index(["method", "triplet_id"])
    err = df["error"]
    assert "frame3.png: frame file not found" in err[("blend", "t001")]
    assert "frame2.png: not a readable image" in err[("blend", "t002")]
    assert "frames differ in size" in err[("blend", "t003")]
    assert "outside" in err[("blend", "t004")] and pd.notna(df.loc[("blend", "t004"), "psnr"])
    assert "boom on t005" in err[("flaky", "t005")] and pd.isna(err[("blend", "t005")])
    good = df.loc[("blend", "t000")]
    assert pd.isna(good["error"]) and good["psnr"] > 10 and pd.notna(good["roi_psnr"])
    assert pd.isna(good["lpips"])  # no LPIPS weights here: null, never zero
    assert (tmp_path / "run" / "predictions" / "blend" / "t000.png").is_file()
    assert summary.errors == 9  # t001–t004 for both methods, t005 for flaky


def test_retry_errors_reruns_only_failed_rows(tmp_path):
    root = build_root(tmp_path / "root", n=3)
    run_benchmark(root, tmp_path / "run", [raises_on("t001")], size=None, progress=False, chamfer=False)
    from bench_fixtures import slow_blend

    fixed = slow_blend(0.0)
    fixed.name = "flaky"
    again = run_benchmark(root, tmp_path / "run", [fixed], size=None, progress=False, retry_errors=True,
                          chamfer=False)
    assert again.rows_written == 1
    df = read_results(tmp_path / "run")
    assert len(df) == 3 and df["error"].isna().all()


def test_eval_size_and_two_profiles(tmp_path):
    root = build_root(tmp_path / "root", n=2)
    run_benchmark(root, tmp_path / "run", ["repeat"], profiles=("atd12k-official", "standard"),
                  size=(48, 32), progress=False, chamfer=False)
    df = read_results(tmp_path / "run")
    assert sorted(df["profile"].unique()) == ["atd12k-official", "standard"] and len(df) == 4
    with pytest.raises(Exception, match="size"):
        run_benchmark(root, tmp_path / "run", ["repeat"], size=(96, 64), progress=False)


def test_unknown_method_and_missing_weights_fail_at_once(tmp_path, monkeypatch):
    root = build_root(tmp_path / "root", n=1)
    with pytest.raises(UnknownMethod, match="nope"):
        run_benchmark(root, tmp_path / "run", ["nope"], progress=False)
    from atdkit.methods import base
    from atdkit.baselines.classic import Blend

    from atdkit.weights.core import LPIPS_LINEAR

    class NeedsWeights(Blend):
        weights = (LPIPS_LINEAR,)

    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ATDKIT_WEIGHTS_DIR", raising=False)
    monkeypatch.setattr(base, "method_class", lambda name: NeedsWeights)
    with pytest.raises(WeightsMissing, match="atdkit weights fetch lpips-alex-lin-v0.1"):
        run_benchmark(root, tmp_path / "run2", ["needs-weights"], progress=False)
    assert not (tmp_path / "run2" / "parts").exists()


@pytest.mark.slow
def test_two_workers_give_the_same_rows_as_one(tmp_path):
    root = build_root(tmp_path / "root", n=4)
    run_benchmark(root, tmp_path / "one", ["blend"], size=None, progress=False, shard_size=1)
    run_benchmark(root, tmp_path / "two", ["blend"], size=None, progress=False, shard_size=1, workers=2)
    cols = ["method", "triplet_id", "profile", "psnr", "ssim", "ie", "roi_psnr", "chamfer"]
    a, b = read_results(tmp_path / "one")[cols], read_results(tmp_path / "two")[cols]
    pd.testing.assert_frame_equal(a, b)


def test_cli_unknown_method_is_one_line_exit_2(tmp_path):
    root = build_root(tmp_path / "root", n=1)
    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(root.path), "--method", "nope",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: unknown method 'nope'") and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_dask_cluster_runs_the_shards(tmp_path):
    from distributed import LocalCluster

    root = build_root(tmp_path / "root", n=3)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        summary = run_benchmark(root, tmp_path / "run", ["blend"], size=None, progress=False, shard_size=2,
                                scheduler=cluster.scheduler_address, chamfer=False)
    assert summary.shards_failed == [] and summary.rows_written == 3
    df = read_results(tmp_path / "run")
    assert sorted(df["triplet_id"]) == ["t000", "t001", "t002"] and df["error"].isna().all()


def _plugin(tmp_path, monkeypatch):
    """A third-party method with one weights file and a ``gain`` option, installed through a real
    entry point (tests/weights/plugin_fixtures.py); returns the path of a weights file for it."""
    sys.path.insert(0, str(HERE.parent / "weights"))
    try:
        from plugin_fixtures import install_plugin
    finally:
        sys.path.pop(0)
    from atdkit.weights import WeightsSpec

    spec = WeightsSpec("t-bench-net", "t_bench_net.bin", license="MIT")
    folder = install_plugin(tmp_path / "site", "atdkit_test_plugin_bench", {"t-gain": ("GainNet", [spec])})
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ATDKIT_WEIGHTS_DIR", raising=False)
    path = tmp_path / "net-a.bin"
    path.write_bytes(b"weights A")
    return path


def test_options_and_weights_make_configurations_recorded_with_every_row(tmp_path, monkeypatch):
    import hashlib
    import json

    from atdkit.bench.report import write_report

    weights_a = _plugin(tmp_path, monkeypatch)
    root = build_root(tmp_path / "root", n=3)
    run = tmp_path / "run"
    run_benchmark(root, run, ["t-gain", "t-gain:gain=0.5", "t-gain:gain=1.0"], size=None, progress=False,
                  weights={"t-bench-net": weights_a})
    df = read_results(run)
    assert sorted(df["method"].unique()) == ["t-gain", "t-gain:gain=0.5"]  # gain=1.0 is the default
    assert set(df["method_name"]) == {"t-gain"}
    assert set(df.loc[df["method"] == "t-gain:gain=0.5", "options"]) == {'{"gain": 0.5}'}
    assert set(df["weights_sha256"]) == {json.dumps({"t-bench-net": hashlib.sha256(b"weights A").hexdigest()})}
    psnr = df[df["profile"] == "atd12k-official"].groupby("method")["psnr"].mean()
    assert psnr["t-gain"] != psnr["t-gain:gain=0.5"]
    board = pd.read_csv(write_report(run, n_gallery=0, n_boot=20).directory / "leaderboard_atd12k-official.csv")
    assert sorted(board["method"]) == ["t-gain", "t-gain:gain=0.5"]  # two configurations, two rows
    # resuming this run with other weights for a configuration it already scored is refused
    weights_b = tmp_path / "net-b.bin"
    weights_b.write_bytes(b"weights B")
    with pytest.raises(BadInput, match="rows of 't-gain' made with other weights") as err:
        run_benchmark(root, run, ["t-gain"], size=None, progress=False, weights={"t-bench-net": weights_b})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("args, message", [
    (["-m", "dis-flow:speed=2"], "error: method 'dis-flow' has no option 'speed'; its options: preset="),
    (["-m", "dis-flow:preset=slowest"], "error: method 'dis-flow': option preset='slowest' is not one of"),
    (["-m", "blend", "--weights", "rife-v4.6"], "error: --weights 'rife-v4.6': expected NAME=PATH"),
    (["-m", "blend", "--weights", "nothing=/x"], "error: unknown weights 'nothing'; known:"),
])
def test_cli_bad_option_or_weights_is_one_line_exit_2(tmp_path, args, message):
    root = build_root(tmp_path / "root", n=1)
    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(root.path), *args,
                           "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().startswith(message) and len(proc.stderr.strip().splitlines()) == 1


def test_cli_method_options_reach_the_method_and_the_rows(tmp_path):
    """`atdkit bench -m dis-flow:preset=fast -m dis-flow`: two configurations, each row recording its
    options (weights overrides are tested through run_benchmark with a plugin above)."""
    root = build_root(tmp_path / "root", n=2)
    proc = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(root.path), "-m", "dis-flow:preset=fast",
                           "-m", "dis-flow", "--size", "native", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    df = read_results(tmp_path / "run")
    assert dict(df.groupby("method")["options"].first()) == {"dis-flow": "{}",
                                                             "dis-flow:preset=fast": '{"preset": "fast"}'}
    assert df.groupby("method")["psnr"].mean().nunique() == 2  # the option reached the method
