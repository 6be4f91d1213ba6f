"""Mine → label → export → delete the root → build from the films: identical tables, frames and labels;
a remux (same packets, other container) matches in strict mode; the build runs on a Dask cluster."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from cli_runner import run_cli
from recipe_helpers import remux, snapshot

from atdkit.recipes.build import build_from_recipe
from atdkit.recipes.recipe import read_recipe
from atdkit.recipes.verify import verify_root


def _assert_same(a: dict, b: dict) -> None:
    assert a["meta"] == b["meta"]
    for name in ("films", "triplets", "candidates", "consensus", "timing"):
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert a["frames"].keys() == b["frames"].keys()
    assert all(a["frames"][k] == b["frames"][k] for k in a["frames"])


def test_round_trip_mine_label_export_delete_build_gives_identical_root(source, tmp_path, capsys):
    root = shutil.copytree(source["root"], tmp_path / "root")
    code, out, err = run_cli(["recipe", "export", str(root), str(tmp_path / "recipe"), "--with-candidates"], capsys)
    assert code == 0, err
    assert "2 films" in out
    before = snapshot(root)
    assert len(before["triplets"]) >= 4 and len(before["frames"]) == 3 * len(before["triplets"])
    assert before["consensus"]["status"].eq("accepted").any()  # labels travel: synthetic-truth decisions
    assert len(before["candidates"]) > len(before["triplets"])
    assert len(before["timing"]) == len(before["triplets"])  # the synthetic films' measured timings travel too
    shutil.rmtree(root)

    code, out, err = run_cli(["recipe", "build", str(root), str(tmp_path / "recipe"), "--films",
                              str(source["films"])], capsys)
    assert code == 0, err
    assert "error:" not in err
    _assert_same(before, snapshot(root))
    record = pd.read_parquet(root / "recipe_build.parquet")
    assert set(record["status"]) == {"built"} and (record["frames_exact"] == 3).all()

    code, out, err = run_cli(["recipe", "verify", str(root), str(tmp_path / "recipe")], capsys)
    assert code == 0, out + err
    assert f"{len(before['triplets'])} triplets, {len(before['frames'])} frames" in out


def test_verify_names_what_differs(source, tmp_path, capsys):
    root = shutil.copytree(source["root"], tmp_path / "root")
    recipe = read_recipe(source["recipe"])
    tid = recipe.triplets["triplet_id"].iloc[0]
    (root / "frames" / tid / "frame2.png").write_bytes((root / "frames" / tid / "frame1.png").read_bytes())
    shutil.rmtree(root / "frames" / recipe.triplets["triplet_id"].iloc[1])
    code, out, err = run_cli(["recipe", "verify", str(root), str(source["recipe"])], capsys)
    assert code == 1
    assert f"frames: 1 different: {tid}/frame2.png" in out
    assert "frames: 3 missing" in out
    assert verify_root(source["root"], source["recipe"]).matches


def test_a_remux_with_the_same_packets_matches_in_strict_mode(source, film_paths, tmp_path):
    mkv = tmp_path / "mine"
    mkv.mkdir()
    for film in film_paths:  # another container, other file bytes, same packets
        remux(film, mkv / f"{film.stem}.mkv")
        assert (mkv / f"{film.stem}.mkv").read_bytes() != film.read_bytes()
    report = build_from_recipe(source["recipe"], tmp_path / "root", [mkv], progress=False)
    assert report.errors == []
    assert [f["found"] for f in report.films] == ["stream", "stream"]
    assert not (tmp_path / "root" / "candidates.parquet").exists() or \
        not len(pd.read_parquet(tmp_path / "root" / "candidates.parquet"))  # the default recipe lists none
    assert set(report.record["status"]) == {"built"}
    assert verify_root(tmp_path / "root", source["recipe"]).matches


@pytest.mark.slow
def test_build_on_a_dask_cluster_gives_the_local_root(source, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = build_from_recipe(source["recipe"], tmp_path / "local", [source["films"]], progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        report = build_from_recipe(source["recipe"], tmp_path / "dask", [source["films"]],
                                   scheduler=cluster.scheduler_address, progress=False)
    assert report.errors == [] and local.errors == []
    a, b = snapshot(tmp_path / "local"), snapshot(tmp_path / "dask")
    _assert_same(a, b)


def test_a_film_that_kept_no_triplet_travels_and_counts_as_done(source, tmp_path):
    import numpy as np

    from atdkit.mining.pipeline import mine
    from atdkit.video.writer import write_h264

    films = shutil.copytree(source["films"], tmp_path / "films")
    write_h264(films / "still.mp4", [np.full((180, 320, 3), 90, np.uint8)] * 30, fps=24)  # one held drawing
    root = shutil.copytree(source["root"], tmp_path / "root")
    assert not mine([films / "still.mp4"], root, progress=False).failed
    from atdkit.recipes.export import export_recipe

    recipe = export_recipe(root, tmp_path / "recipe")
    assert len(read_recipe(recipe).films) == 3
    built = build_from_recipe(recipe, tmp_path / "rebuilt", [films], progress=False)
    assert built.errors == [] and [f["status"] for f in built.films] == ["ok"] * 3
    again = build_from_recipe(recipe, tmp_path / "rebuilt", [films], progress=False)
    assert [f["status"] for f in again.films] == ["done before"] * 3
    assert verify_root(tmp_path / "rebuilt", recipe).matches
