"""Films split into segments mined independently give exactly the dataset of one sequential pass."""

from __future__ import annotations

import numpy as np
import pytest
from mining_helpers import GIF, assert_same_dataset, dataset_snapshot

from atdkit.mining import segments
from atdkit.mining.pipeline import film_identity, mine
from atdkit.store.dataset import DatasetRoot
from atdkit.video import open_video
from atdkit.video.writer import write_h264


def test_plan_covers_the_film_and_the_last_segment_runs_to_its_end():
    assert segments.plan(100, 30) == [(0, 33), (33, 66), (66, None)]
    assert segments.plan(100, 1000) == [(0, None)]
    assert segments.plan(None, 30) == [(0, None)]      # frame count unknown: one unit reports why
    assert segments.plan(100, None) == [(0, None)]
    assert segments.auto_length(10_000, 1) is None     # one worker: nothing to split
    assert segments.auto_length(100, 2) == segments.MIN_SEGMENT_FRAMES
    assert segments.auto_length(100_000, 4) == 100_000 // (4 * segments.SEGMENTS_PER_WORKER)
    assert len(segments.plan(2880, segments.auto_length(2880, 2))) == 2 * segments.SEGMENTS_PER_WORKER
    # a whole number of equal units per worker: 1440 frames on 2 workers are 4 units, not 3 of 480
    for total, workers in ((1440, 2), (2880, 2), (5000, 3), (960, 2)):
        units = len(segments.plan(total, segments.auto_length(total, workers)))
        assert units % workers == 0, (total, workers, units)


def test_units_run_longest_first():
    jobs = [{"film_id": "a", "start": 0, "end": 500}, {"film_id": "a", "start": 500, "end": None},
            {"film_id": "b", "start": 0, "end": None}, {"film_id": "c", "start": 0, "end": None}]
    order = segments.longest_first(jobs, {"a": 1200, "b": 600, "c": None})
    assert [(j["film_id"], j["start"]) for j in order] == [("a", 500), ("b", 0), ("a", 0), ("c", 0)]


@pytest.fixture(scope="module")
def sequential(tmp_path_factory, small_films):
    out = tmp_path_factory.mktemp("sequential") / "root"
    report = mine([*small_films, GIF], out, progress=False)
    assert all(r["segments"] == 1 for r in report.results)
    return dataset_snapshot(out)


@pytest.mark.parametrize("segment_frames, workers", [(5, 1), (13, 1), (9, 2)])
def test_dataset_does_not_depend_on_the_segmentation(tmp_path, small_films, sequential, segment_frames, workers):
    out = tmp_path / "root"
    report = mine([*small_films, GIF], out, workers=workers, segment_frames=segment_frames, progress=False)
    assert [r["status"] for r in report.results] == ["ok"] * 4
    assert all(r["segments"] > 1 for r in report.results)
    assert_same_dataset(dataset_snapshot(out), sequential)
    assert len(sequential["triplets"]) >= 10 and sequential["films"]["n_shots"].sum() > 4
    assert not (out / "parts" / "segments").exists() or not any((out / "parts" / "segments").iterdir())


def test_decord_mines_the_same_dataset_as_pyav_also_in_segments(tmp_path, small_films):
    """The default sequential pass reads with PyAV; decord (asked for, seeking to each segment's start)
    gives the same dataset, frame files included."""
    snapshots = []
    for backend, segment_frames in (("pyav", None), ("decord", 9)):
        out = tmp_path / backend
        report = mine(small_films, out, backend=backend, segment_frames=segment_frames, progress=False)
        assert {r["status"] for r in report.results} == {"ok"}
        snapshot = dataset_snapshot(out)
        assert set(snapshot["films"]["backend"]) == {backend}
        snapshot["films"] = snapshot["films"].drop(columns=["backend"])
        snapshots.append(snapshot)
    assert_same_dataset(*snapshots)


def test_a_film_breaking_mid_stream_fails_whole_and_leaves_nothing(tmp_path, small_film):
    frames = list(open_video(small_film))
    broken = tmp_path / "broken.mp4"
    write_h264(broken, frames, faststart=True, keyint=12)
    data = bytearray(broken.read_bytes())
    data[len(data) * 2 // 3:len(data) * 2 // 3 + 4000] = bytes(4000)     # garbage in the last third
    broken.write_bytes(bytes(data))
    out = tmp_path / "root"
    report = mine([broken, small_film], out, segment_frames=10, backend="pyav", progress=False)
    by_path = {r["path"]: r for r in report.results}
    bad, good = by_path[str(broken)], by_path[str(small_film)]
    assert bad["status"] == "error" and good["status"] == "ok" and good["n_triplets"] > 0
    assert bad["error"].startswith(str(broken)) and "decoding failed at frame" in bad["error"]
    assert "\n" not in bad["error"]
    root = DatasetRoot.open(out)
    bad_id = film_identity(broken)[0]
    assert root.films().set_index("film_id").loc[bad_id, "status"] == "error"
    assert not any(p.name.startswith(bad_id) for p in (out / "frames").iterdir())   # no orphan frames
    assert not root.segments_dir(bad_id).exists()
    assert (root.triplets()["film_id"] != bad_id).all()


def test_segment_length_must_be_positive(tmp_path, small_film):
    from atdkit.errors import BadInput

    with pytest.raises(BadInput, match="segment length"):
        mine([small_film], tmp_path / "root", segment_frames=0, progress=False)
    assert np.all(segments.plan(7, 1) == [(i, i + 1) for i in range(6)] + [(6, None)])


def test_a_corrupt_finished_segment_is_moved_aside_and_mined_again(tmp_path, capfd):
    root = DatasetRoot.create(tmp_path / "root")
    store = segments.SegmentStore(root, "film-x")
    triplets = root.triplet_parts.schema.empty_table().to_pandas()
    store.write(segments.SegmentResult(0, None, [], {"fps": 24.0}, triplets, triplets.iloc[:0]))
    assert store.done(0, None)
    part = store.directory / "000000000-end.triplets.parquet"
    part.write_bytes(part.read_bytes()[:30])
    assert not store.done(0, None)  # to be mined again, not read as data
    assert not any(store.directory.glob("000000000-end.*"))
    moved = root.path / "quarantine" / part.relative_to(root.path)
    assert moved.is_file()
    err = capfd.readouterr().err
    assert "000000000-end.triplets.parquet" in err and "mining it again" in err
