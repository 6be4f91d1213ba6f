"""Films that keep nothing, what the summary counts, and a kept triplet staying kept (#22, #14)."""

from __future__ import annotations

import subprocess
import sys

import av
import cv2
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from atdkit.mining.pipeline import film_identity, mine
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import add_votes, latest_votes
from atdkit.video import open_video
from atdkit.video.writer import write_h264


def _encode(path, frames):
    c = av.open(str(path), "w")
    s = c.add_stream("mpeg4", rate=24)
    s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
    for f in frames:
        for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


def _noise_film(path, n):
    """Every frame unrelated to the last (each pair far below the SSIM window): no triplet survives."""
    rng = np.random.default_rng(n)
    return _encode(path, [rng.integers(0, 256, (96, 128, 3), dtype=np.uint8) for _ in range(n)])


def _tables(out):
    return {n: pq.read_table(out / f"{n}.parquet").drop(["mined_at"] if n == "films" else []).to_pandas()
            for n in ("films", "triplets", "candidates")}


def test_films_that_keep_nothing_leave_the_others_whole(tmp_path, small_film):
    png = tmp_path / "picture.mp4"
    cv2.imwrite(str(tmp_path / "p.png"), np.full((64, 64, 3), 80, np.uint8))
    (tmp_path / "p.png").rename(png)
    odd = [_noise_film(tmp_path / "one.mp4", 1), _noise_film(tmp_path / "two.mp4", 2),
           _noise_film(tmp_path / "noise.mp4", 30), png]
    alone = mine([odd[2]], tmp_path / "alone", progress=False)  # alone in its root
    assert alone.results[0]["status"] == "ok" and alone.results[0]["n_triplets"] == 0
    assert "no triplet kept" in alone.results[0]["notes"]

    out = tmp_path / "root"
    ref = mine([small_film], tmp_path / "ref", progress=False)
    report = mine([*odd, small_film], out, progress=False, workers=2, segment_frames=20)
    root = DatasetRoot.open(out)
    by_path = {r["path"].rsplit("/", 1)[1]: r for r in report.results}
    for name in ("one.mp4", "two.mp4", "noise.mp4"):
        assert by_path[name]["n_triplets"] == 0 and "no triplet kept" in by_path[name]["notes"]
    films = root.films().set_index("path")
    assert films["n_triplets"].dtype.kind == "i"  # integer counts, even beside rows that hold nothing
    good = films.loc[str(small_film.absolute())]
    assert good["n_triplets"] == ref.results[0]["n_triplets"] > 0
    assert (root.triplets()["film_id"] == good["film_id"]).sum() == good["n_triplets"]
    assert not (out / "parts" / "segments").exists() or not any((out / "parts" / "segments").iterdir())
    before = _tables(out)
    again = mine([*odd, small_film], out, progress=False, workers=2, segment_frames=20)
    assert all(r["status"] != "ok" for r in again.results)  # only the failed film is tried again
    after = _tables(out)
    for n in ("triplets", "candidates"):
        assert after[n].equals(before[n])
    assert after["films"].drop(columns="error").equals(before["films"].drop(columns="error"))


def test_summary_counts_what_the_dataset_holds_and_goes_to_stdout(tmp_path, small_film):
    copy = tmp_path / "reencoded.mp4"
    write_h264(copy, open_video(small_film), crf=26)
    out = tmp_path / "root"
    run = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(out), str(small_film), str(copy)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    films = DatasetRoot.open(out).films()
    triplets = DatasetRoot.open(out).triplets()
    for f in films.itertuples():
        n = int((triplets["film_id"] == f.film_id).sum())
        assert f.n_triplets == n
        line = next(ln for ln in run.stdout.splitlines() if f.path.rsplit("/", 1)[1][:10] in ln)
        assert f" {n} " in line
    assert "mining" not in run.stdout  # progress stays on stderr


def test_a_kept_triplet_stays_kept_when_a_reencode_or_another_film_comes(tmp_path, small_film, small_films):
    out = tmp_path / "root"
    mine([small_film], out, progress=False)
    root = DatasetRoot.open(out)
    kept = root.triplets().sort_values("triplet_id").reset_index(drop=True)
    add_votes(root, [{"triplet_id": t, "annotator": "ann1", "accept": True} for t in kept["triplet_id"]])
    frames = {p.relative_to(out): p.read_bytes() for p in (out / "frames").rglob("*.png")}
    labels = {p.relative_to(out): p.read_bytes() for p in (out / "labels").rglob("*") if p.is_file()}
    assert len(kept) > 3
    # a re-encode at another quality: other bytes, another film id, the same pictures
    copy = tmp_path / "reencoded.mp4"
    write_h264(copy, open_video(small_film), crf=30)
    copy_id = film_identity(copy)[0]
    report = mine([copy, small_films[0]], out, progress=False)
    assert report.duplicates_dropped > 0
    root = DatasetRoot.open(out)
    now = root.triplets()
    first = now[now["film_id"] == kept["film_id"][0]].sort_values("triplet_id").reset_index(drop=True)
    assert first.equals(kept)
    for rel, data in {**frames, **labels}.items():
        assert (out / rel).read_bytes() == data
    assert set(latest_votes(root)["triplet_id"]) <= set(now["triplet_id"])  # every label points at a triplet
    dups = root.candidates()[(root.candidates()["reason"] == "near-duplicate") & (root.candidates()["film_id"] == copy_id)]
    assert len(dups) >= 3 and dups["detail"].str.contains("kept triplet " + kept["film_id"][0]).sum() >= 3
    other = film_identity(small_films[0])[0]
    assert (now["film_id"] == other).sum() > 0  # a genuinely different film adds its triplets
    # no frame folder without a triplet
    assert {p.name for p in (out / "frames").iterdir()} == set(now["triplet_id"])


def test_a_rerun_repairs_what_a_kill_during_duplicate_removal_leaves(tmp_path, small_film):
    """The states a kill between the steps of near-duplicate removal leaves (a film part not yet
    recounted, frames of a dropped triplet not yet deleted) are repaired by the next run."""
    out = tmp_path / "root"
    mine([small_film], out, progress=False)
    root = DatasetRoot.open(out)
    film_id = film_identity(small_film)[0]
    film_part = root.film_parts.directory / f"{film_id}.parquet"
    film = pq.read_table(film_part).to_pandas()
    n = int(film["n_triplets"][0])
    film["n_triplets"] = n + 6
    atomic.write_table(film_part, pq.read_table(film_part).set_column(
        film.columns.get_loc("n_triplets"), "n_triplets", [film["n_triplets"].tolist()]))
    orphan = root.frames_dir(f"{film_id}-000999-s1")
    orphan.mkdir(parents=True)
    (orphan / "frame1.png").write_bytes(b"left behind")
    mine([small_film], out, progress=False)
    root = DatasetRoot.open(out)
    assert int(root.films().set_index("film_id").loc[film_id, "n_triplets"]) == n == len(root.triplets())
    assert not orphan.exists()
    assert {p.name for p in (out / "frames").iterdir()} == set(root.triplets()["triplet_id"])


def test_the_shot_cap_counts_the_triplets_finally_kept(tmp_path, small_film):
    """A ping-pong (the same drawings played forwards, backwards, forwards) repeats its triplets' pictures:
    the repeats are rejected as near-duplicates before they count, so a shot that meets the cap keeps it."""
    from atdkit.mining.pipeline import MiningConfig

    frames = list(open_video(small_film))
    pingpong = frames[8:20] + frames[19:8:-1] + frames[9:20] + frames[19:8:-1] + frames[9:]
    film = tmp_path / "pingpong.mp4"
    write_h264(film, pingpong, crf=18)
    cap = 4
    mine([film], tmp_path / "root", MiningConfig(per_shot_cap=cap), progress=False)
    root = DatasetRoot.open(tmp_path / "root")
    kept = root.triplets().groupby("shot").size()
    cands = root.candidates()
    repeats = cands[cands["reason"] == "near-duplicate"]
    assert len(repeats) > 0 and repeats["detail"].str.contains("duplicates kept triplet").all()
    for shot in cands.loc[cands["reason"] == "shot cap", "shot"].unique():
        assert kept.get(shot, 0) == cap
    assert len(root.triplets()) == int(root.films()["n_triplets"].sum())


def _moving_frames(n, size=(96, 128)):
    """A textured square drifting right on a gradient: every frame a new drawing."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 2) % 256, (yy * 2) % 256, ((xx + yy)) % 256], axis=2).astype(np.uint8)
    out = []
    for i in range(n):
        f = base.copy()
        x = 10 + (2 * i) % 80
        f[30:60, x:x + 30] = (255, 40, 40)
        out.append(f)
    return out


def test_a_truncated_mkv_is_mined_as_far_as_it_decodes_and_says_so(tmp_path):
    whole = _encode(tmp_path / "whole.mkv", _moving_frames(120))
    cut = tmp_path / "cut.mkv"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.4)])
    out = tmp_path / "root"
    run = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(out), str(whole), str(cut)],
                         capture_output=True, text=True, timeout=600)
    films = DatasetRoot.open(out).films().set_index("path")
    full, part = films.loc[str(whole.absolute())], films.loc[str(cut.absolute())]
    assert full["n_frames"] == 120 and pd.isna(full["notes"])
    assert part["status"] == "ok" and 0 < part["n_frames"] < 80
    assert "truncated" in part["notes"] and "declares 5.00 s" in part["notes"]
    assert "truncated" in run.stdout  # the console shows it too


def test_an_anamorphic_stream_records_its_sample_aspect_ratio(tmp_path):
    from fractions import Fraction

    path = tmp_path / "anamorphic.mkv"
    c = av.open(str(path), "w")
    s = c.add_stream("mpeg4", rate=24)
    s.width, s.height, s.pix_fmt = 128, 96, "yuv420p"
    s.codec_context.sample_aspect_ratio = Fraction(4, 3)
    for f in _moving_frames(30):
        for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    mine([path, _encode(tmp_path / "square.mp4", _moving_frames(30)[::-1])], tmp_path / "root", progress=False)
    films = DatasetRoot.open(tmp_path / "root").films().set_index("path")
    ana, square = films.loc[str(path.absolute())], films.loc[str((tmp_path / "square.mp4").absolute())]
    assert ana["sample_aspect"] == "4:3" and "display 171×96" in ana["notes"]
    assert pd.isna(square["sample_aspect"])


def test_dedup_command_shows_then_applies_and_never_drops_a_labelled_triplet(tmp_path, small_films):
    """A root mined without the near-duplicate check (phash distance -1) holds a film and its re-encode;
    ``atdkit dedup --phash-distance 4`` then finds the copies (the whole-sample rule at the root's ratio)."""
    from atdkit.mining.pipeline import MiningConfig

    copy = tmp_path / "reencoded.mp4"
    write_h264(copy, open_video(small_films[0]), crf=26)
    out = tmp_path / "root"
    mine([*small_films, copy], out, MiningConfig(phash_distance=-1), progress=False)
    root = DatasetRoot.open(out)
    before = root.triplets().sort_values("triplet_id").reset_index(drop=True)
    voted = before["triplet_id"].tolist()[::2]
    add_votes(root, [{"triplet_id": t, "annotator": "ann1", "accept": True} for t in voted])
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def dedup(*extra):
        return subprocess.run([sys.executable, "-m", "atdkit", "dedup", str(out), "--phash-distance", "4", *extra],
                              capture_output=True, text=True, timeout=600)

    dry = dedup()
    assert dry.returncode == 0, dry.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot  # a dry run changes nothing
    first_column = {line.split("│")[1].strip() for line in dry.stdout.splitlines() if line.count("│") == 3}
    would = [t for t in before["triplet_id"] if t in first_column]
    assert len(would) >= 3 and not set(would) & set(voted)
    pair = {film_identity(small_films[0])[0], film_identity(copy)[0]}
    assert {t.rsplit("-", 2)[0] for t in would} <= pair  # only the film and its copy repeat each other
    done = dedup("--apply")
    assert done.returncode == 0, done.stderr
    root = DatasetRoot.open(out)
    after = set(root.triplets()["triplet_id"])
    assert set(voted) <= after and not after & set(would)
    assert after | set(would) == set(before["triplet_id"])
    for t in would:
        assert not root.frames_dir(t).exists()
    assert (root.films()["n_triplets"].sum()) == len(after)


def test_progress_across_workers_shows_frames_per_second_and_triplets_kept(tmp_path, small_films):
    run = subprocess.run([sys.executable, "-m", "atdkit", "mine", str(tmp_path / "root"), *map(str, small_films),
                          "--workers", "2", "--segment-frames", "20"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    shown = [line for line in run.stderr.replace("\r", "\n").splitlines() if "frames/s decoded" in line]
    assert shown, run.stderr
    kept = [int(line.split(", ")[-1].split()[0]) for line in shown]
    assert kept == sorted(kept) and kept[-1] > 0  # grows as the segments report
    assert not list((tmp_path / "root" / "parts").rglob("*.progress"))  # cleared with the segments


def test_one_dropped_frame_is_mined_as_two_constant_rate_stretches(tmp_path):
    from fractions import Fraction

    frames = _moving_frames(60)
    path = tmp_path / "dropped.mkv"
    c = av.open(str(path), "w")
    s = c.add_stream("mpeg4", rate=24)
    s.width, s.height, s.pix_fmt = 128, 96, "yuv420p"
    s.time_base = s.codec_context.time_base = Fraction(1, 24)
    for i, f in enumerate(frames):
        if i == 30:
            continue  # the dropped frame: frame 31's time follows frame 29's after two intervals
        vf = av.VideoFrame.from_ndarray(f, format="rgb24")
        vf.pts, vf.time_base = i, Fraction(1, 24)
        for p in s.encode(vf):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    mine([path], tmp_path / "root", progress=False)
    root = DatasetRoot.open(tmp_path / "root")
    film = root.films().iloc[0]
    assert film["status"] == "ok" and film["n_frames"] == 59
    assert "gap(s) of missing frames, before frame(s) 30" in film["notes"]
    kept = root.triplets()
    assert len(kept) > 0 and not ((kept["f1"] < 30) & (kept["f3"] >= 30)).any()
    assert (root.candidates()["reason"] == "spans frame gap").any()
