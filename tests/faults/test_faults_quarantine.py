"""Corrupt files of a root or run are detected when read, named in one line, moved aside, never read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from atdkit.bench.runner import run_meta
from atdkit.errors import BadInput
from atdkit.methods.animeinterp import flows
from atdkit.store import DatasetRoot, quarantine
from atdkit.store.frames import read_rgb, write_png


def _vote(tid: str) -> pd.DataFrame:
    return pd.DataFrame({"triplet_id": [tid], "annotator": ["a"], "accept": [True],
                         "created_at": [pd.Timestamp("2026-01-01", tz="UTC")]})


def _moved(root, rel: str) -> str:
    dest = root.path / "quarantine" / rel
    assert dest.is_file(), f"{rel} was not moved aside"
    reason = dest.with_name(dest.name + ".reason.txt").read_text()
    assert rel.split("/")[-1] in reason
    return reason


def _one_line(capfd, name: str) -> str:
    err = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and name in err[0], err
    return err[0]


@pytest.fixture
def root(tmp_path):
    return DatasetRoot.create(tmp_path / "root")


def test_truncated_label_part_is_moved_aside_and_the_rest_is_read(root, capfd):
    good = root.votes.append(_vote("t1"))
    bad = root.votes.append(_vote("t2"))
    bad.write_bytes(bad.read_bytes()[:-30])                      # truncated
    assert list(root.votes.read()["triplet_id"]) == ["t1"]
    line = _one_line(capfd, bad.name)
    assert "continuing without its rows" in line and "quarantine" in line
    assert "unreadable Parquet" in _moved(root, f"labels/votes/{bad.name}")
    assert not bad.exists() and good.exists()
    assert list(root.votes.read()["triplet_id"]) == ["t1"]      # read again: nothing more said
    assert capfd.readouterr().err == ""


def test_foreign_parquet_part_stops_a_strict_reader(root):
    bad = root.votes.directory / "0-foreign.parquet"
    root.votes.append(_vote("t1"))
    pd.DataFrame({"x": [1]}).to_parquet(bad)                     # readable, but not a votes part
    with pytest.raises(quarantine.CorruptFile, match="not a part of this table"):
        root.votes.read(on_error="raise")
    _moved(root, "labels/votes/0-foreign.parquet")
    assert len(root.votes.read(on_error="raise")) == 1


def test_corrupt_materialized_table_falls_back_to_its_parts(root, capfd):
    root.triplet_parts.append(pd.DataFrame({"triplet_id": ["a", "b"], "film_id": ["f", "f"]}), name="f")
    root.materialize()
    (root.path / "triplets.parquet").write_bytes(b"PAR1" + b"\0" * 40 + b"PAR1")
    assert list(root.triplets()["triplet_id"]) == ["a", "b"]
    assert "reading parts/triplets instead" in _one_line(capfd, "triplets.parquet")
    _moved(root, "triplets.parquet")
    root.materialize()
    assert list(root.triplets()["triplet_id"]) == ["a", "b"]


def test_truncated_png_frame_is_moved_aside(root, tmp_path):
    for p in root.frame_paths("t1"):
        write_png(p, np.full((8, 8, 3), 7, np.uint8))
    frame = root.frame_paths("t1")[1]
    frame.write_bytes(frame.read_bytes()[:20])
    with pytest.raises(BadInput, match="frame2.png: not a readable image; moved to .*quarantine"):
        root.read_frames("t1")
    _moved(root, "frames/t1/frame2.png")
    with pytest.raises(BadInput, match="frame2.png: frame file not found"):   # never read as data
        root.read_frames("t1")
    outside = tmp_path / "mine.png"                                # a user's own file: left in place
    outside.write_bytes(b"\x89PNG broken")
    with pytest.raises(BadInput, match="left in place"):
        read_rgb(outside)
    assert outside.exists()


@pytest.mark.parametrize("damage", ["truncated", "nan"])
def test_corrupt_flow_is_moved_aside_and_no_longer_cached(root, damage):
    flow = np.zeros((2, 4, 4), np.float32)
    flows.save_flows(root, "t1", flow, flow)
    p13, _ = flows.flow_paths(root, "t1")
    if damage == "truncated":
        p13.write_bytes(p13.read_bytes()[:-10])
    else:
        flows.write_flow(p13, np.full((2, 4, 4), np.nan, np.float32))
    with pytest.raises(quarantine.CorruptFile, match="guide_flo13.npy"):
        flows.load_flows(root, "t1")
    _moved(root, "flows/t1/guide_flo13.npy")
    assert not flows.has_flows(root, "t1")                        # recomputed by the next ensure_flows


def test_corrupt_run_json_stops_the_run_and_is_moved_aside(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text('{"run_id": "x", "root": ')
    with pytest.raises(quarantine.CorruptFile, match="run.json: unreadable JSON"):
        run_meta(run)
    assert (run / "quarantine" / "run.json").is_file() and not (run / "run.json").exists()
    assert "unreadable JSON" in (run / "quarantine" / "run.json.reason.txt").read_text()


def test_same_name_quarantined_twice_keeps_both(root):
    for _ in range(2):
        p = root.votes.directory / "0-x.parquet"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"junk")
        root.votes.read()
    assert sorted(q.name for q in (root.path / "quarantine" / "labels" / "votes").iterdir()) == [
        "0-x.parquet", "0-x.parquet.1", "0-x.parquet.1.reason.txt", "0-x.parquet.reason.txt"]


def test_parts_listed_with_the_part_that_merged_them_are_read_once(root):
    a, b = root.votes.append(_vote("t1")), root.votes.append(_vote("t2"))
    saved = {a: a.read_bytes(), b: b.read_bytes()}
    merged = root.votes.compact()
    for p, data in saved.items():                                  # as between the merge and the deletes
        p.write_bytes(data)
    assert sorted(root.votes.read()["triplet_id"]) == ["t1", "t2"]
    assert json.loads(pq.read_schema(merged).metadata[b"atdkit.replaces"]) == [a.name, b.name]


def test_corrupt_dataset_json_stops_and_is_not_moved(root):
    root.meta_path.write_text('{"name": "x", "config": ')
    with pytest.raises(BadInput, match="dataset.json: unreadable dataset metadata"):
        root.meta()
    assert root.meta_path.is_file() and not (root.path / "quarantine").exists()


def test_corrupt_consensus_is_moved_aside_and_the_labels_go_on_without_it(root, capfd):
    from atdkit.labels.categories import category_labels

    (root.path / "consensus.parquet").write_bytes(b"PAR1 truncated")
    labels = category_labels(root)
    assert labels.empty
    line = _one_line(capfd, "consensus.parquet")
    assert "atdkit consensus" in line
    _moved(root, "consensus.parquet")
    assert not (root.path / "consensus.parquet").exists()


def test_corrupt_annotators_table_stops_and_stays_in_place(root):
    from atdkit.labels import annotators

    annotators.add(root, "alice")
    path = annotators.annotators_path(root)
    path.write_bytes(path.read_bytes()[:20])
    before = path.read_bytes()
    with pytest.raises(BadInput, match="annotators.parquet"):
        annotators.add(root, "bob")
    assert path.read_bytes() == before  # never moved nor rewritten: it holds the tokens' hashes
    assert not (root.path / "quarantine").exists()
