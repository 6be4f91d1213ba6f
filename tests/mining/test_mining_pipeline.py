"""Mining films into a dataset root: the rules every kept triplet obeys, schemas, idempotence, bad films."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
from mining_helpers import GIF, WEBM, load_truth_json

from atdkit.errors import BadInput
from atdkit.mining.pipeline import MiningConfig, film_identity, mine, triplet_id
from atdkit.mining.similarity import ssim_reference
from atdkit.store import schema
from atdkit.store.dataset import DatasetRoot


@pytest.fixture(scope="module")
def mined(tmp_path_factory, small_films):
    out = tmp_path_factory.mktemp("mined") / "root"
    missing = out.parent / "missing.mp4"
    report = mine([*small_films, GIF, WEBM, missing], out, progress=False)
    return report, DatasetRoot.open(out), small_films, missing


def test_every_kept_triplet_obeys_the_rules(mined):
    report, root, films, _ = mined
    triplets = root.triplets()
    film_ids = {film_identity(f)[0]: f for f in films}
    synthetic = triplets[triplets["film_id"].isin(list(film_ids))]
    assert len(synthetic) >= 10
    for t in synthetic.itertuples():
        truth = load_truth_json(film_ids[t.film_id])["frames"]
        a, b, c = truth[t.f1], truth[t.f2], truth[t.f3]
        assert t.f2 - t.f1 == t.f3 - t.f2 == t.stride and t.stride in (1, 2, 3)
        assert a["shot"] == c["shot"] == t.shot                          # never spans a cut
        assert a["drawing"] != b["drawing"] != c["drawing"]               # held frames never form a pair
        assert (t.changes_12, t.changes_23) == (b["drawing"] - a["drawing"], c["drawing"] - b["drawing"])
        assert t.timing_balanced == (t.changes_12 == t.changes_23)
        assert abs(t.mid_position - 0.5) <= 0.2 and 0 <= t.mid_detour <= 1      # frame 2 near the middle
        assert t.cadence == str(b["cadence"])                             # the cadence its shot is drawn on
        assert t.triplet_id == triplet_id(t.film_id, t.f1, t.stride) == f"{t.film_id}-{t.f1:06d}-s{t.stride}"
        frames = root.read_frames(t.triplet_id)
        for (i, j), value in (((0, 1), t.ssim_12), ((1, 2), t.ssim_23), ((0, 2), t.ssim_13)):
            assert 0.75 <= value <= 0.95
            assert abs(ssim_reference(frames[i], frames[j]) - value) < 1e-6  # 320×180 is its own working size
        shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in root.frame_paths(t.triplet_id)]
        assert list(t.frame_sha256) == shas
        assert 0 <= t.prop_x and t.prop_x + t.prop_w <= 320 + 1e-6 and t.prop_w > 0 and t.prop_h > 0
        assert t.auto_difficulty in schema.DIFFICULTIES and 0 <= t.occlusion <= 1 and t.flow_p95 >= 0
    # triplet spacing and cap inside a shot
    for _, shot in synthetic.groupby(["film_id", "shot"]):
        f1s = sorted(shot["f1"])
        assert all(b - a >= 6 for a, b in zip(f1s, f1s[1:])) and len(f1s) <= 10
    # the same three drawings are never kept twice
    keys = [(t.film_id, tuple(load_truth_json(film_ids[t.film_id])["frames"][f]["drawing"] for f in (t.f1, t.f2, t.f3)))
            for t in synthetic.itertuples()]
    assert len(keys) == len(set(keys))


def test_tables_follow_the_schemas(mined):
    _, root, _, _ = mined
    for name, sch in (("films", schema.FILMS), ("triplets", schema.TRIPLETS), ("candidates", schema.CANDIDATES)):
        assert pq.read_schema(root.path / f"{name}.parquet").remove_metadata().equals(sch)
    cands = root.candidates()
    assert set(cands["reason"]) <= set(schema.MINING_REJECT_REASONS)
    assert {"held drawing", "spans cut", "min spacing"} <= set(cands["reason"])
    kept = set(zip(root.triplets()["film_id"], root.triplets()["f1"], root.triplets()["stride"]))
    assert not kept & set(zip(cands["film_id"], cands["f1"], cands["stride"]))
    rejected_ssim = cands[cands["reason"].str.startswith("ssim")]
    low = rejected_ssim["reason"] == "ssim below window"
    values = rejected_ssim[["ssim_13", "ssim_12", "ssim_23"]]
    assert (values[low].min(axis=1) < 0.75).all() and (values[~low].max(axis=1) > 0.95).all()
    films = root.films().set_index("film_id")
    for film_id, row in films[films["status"] == "ok"].iterrows():
        n_cands = int((cands["film_id"] == film_id).sum())
        n_kept = int((root.triplets()["film_id"] == film_id).sum())
        assert row["n_triplets"] == n_kept and row["n_candidates"] == n_cands + n_kept


def test_real_clips_and_a_missing_film(mined):
    report, root, _, missing = mined
    films = root.films().set_index("path")
    gif = films.loc[str(GIF)]
    assert gif["status"] == "ok" and gif["backend"] == "pyav" and gif["n_frames"] == 30
    assert "grayscale" in gif["notes"] and "odd dimensions" in gif["notes"]
    webm = films.loc[str(WEBM)]
    assert webm["status"] == "ok" and webm["backend"] == "pyav" and (webm["width"], webm["height"]) == (1280, 720)
    assert (root.triplets()["film_id"] == gif.film_id).sum() >= 1
    bad = films.loc[str(missing.absolute())]
    assert bad["status"] == "error" and bad["error"] == f"{missing.absolute()}: file not found"
    assert [r["status"] for r in report.failed] == ["error"]


def test_mining_again_adds_nothing(mined, tmp_path):
    _, root, films, _ = mined
    before = {n: pq.read_table(root.path / f"{n}.parquet") for n in ("triplets", "candidates")}
    frames_before = sorted(p.relative_to(root.path) for p in (root.path / "frames").rglob("*.png"))
    again = mine([films[0], films[1]], root.path, progress=False)
    assert again.results == [] and len(again.skipped) == 2
    copy = tmp_path / films[0].name  # same content under another name: same film
    copy.write_bytes(films[0].read_bytes())
    assert mine([copy], root.path, progress=False).skipped == [str(copy)]
    for n, table in before.items():
        assert pq.read_table(root.path / f"{n}.parquet").equals(table)
    assert sorted(p.relative_to(root.path) for p in (root.path / "frames").rglob("*.png")) == frames_before


def test_require_balanced_and_config_mismatch(tmp_path, small_films):
    out = tmp_path / "balanced"
    mine(small_films[:2], out, MiningConfig(require_balanced=True, strides=(2, 3)), progress=False)
    root = DatasetRoot.open(out)
    assert root.triplets()["timing_balanced"].all() and set(root.triplets()["stride"]) <= {2, 3}
    assert "unbalanced timing" in set(root.candidates()["reason"])
    with pytest.raises(BadInput, match="different config.*require_balanced"):
        mine(small_films[:1], out, MiningConfig(), progress=False)


def test_cli_mine_exit_status_and_errors(tmp_path, small_film):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    run = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(tmp_path / "root"), str(small_film),
                          str(notes), "--strides", "2"], capture_output=True, text=True)
    assert run.returncode == 1
    assert f"error: {notes}: not a readable video" in run.stderr
    root = DatasetRoot.open(tmp_path / "root")
    films = root.films().set_index("path")
    assert films.loc[str(small_film), "status"] == "ok" and films.loc[str(notes), "status"] == "error"
    assert set(root.triplets()["stride"]) == {2}
    ok = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(tmp_path / "root"), str(small_film),
                         "--strides", "2"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad_opt = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(tmp_path / "r2"), str(small_film),
                              "--ssim-low", "0.9", "--ssim-high", "0.8"], capture_output=True, text=True)
    assert bad_opt.returncode == 2 and "error: SSIM window" in bad_opt.stderr


def test_process_pool_gives_the_same_dataset(tmp_path, small_films, mined):
    _, root, _, _ = mined
    out = tmp_path / "pool"
    mine(small_films[:2], out, workers=2, progress=False)
    pool = DatasetRoot.open(out).triplets().sort_values("triplet_id").reset_index(drop=True)
    ids = set(pool["film_id"])
    ref = root.triplets()
    ref = ref[ref["film_id"].isin(ids)].sort_values("triplet_id").reset_index(drop=True)
    assert len(pool) > 0 and pool["triplet_id"].tolist() == ref["triplet_id"].tolist()
    assert np.allclose(pool["ssim_13"], ref["ssim_13"])


def test_ssim_size_and_channels_options_define_the_ssim(tmp_path, small_film):
    from atdkit.mining.similarity import to_working

    out = tmp_path / "gray"
    mine([small_film], out, MiningConfig(ssim_channels="gray", ssim_size=(160, 90), strides=(2,)), progress=False)
    root = DatasetRoot.open(out)
    assert len(root.triplets()) > 0
    for t in root.triplets().itertuples():
        frames = [to_working(f, (160, 90), "gray") for f in root.read_frames(t.triplet_id)]
        assert frames[0].shape == (90, 160)
        assert abs(ssim_reference(frames[0], frames[2]) - t.ssim_13) < 1e-6
        assert (t.width, t.height) == (320, 180)  # frames are stored at full resolution

