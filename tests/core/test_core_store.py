"""The shared data model: atomic writes, append-only parts, dataset root, labels store."""

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from atdkit.errors import BadInput
from atdkit.store import DatasetRoot, PartTable, atomic, schema
from atdkit.store.frames import read_rgb, write_png
from atdkit.store.labels import add_annotations, add_votes, latest_annotations, latest_votes


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "a" / "x.txt"
    atomic.write_text(p, "one")
    atomic.write_text(p, "two")
    assert p.read_text() == "two"
    assert [q.name for q in p.parent.iterdir()] == ["x.txt"]


def test_atomic_path_failure_keeps_old_content(tmp_path):
    p = tmp_path / "x.txt"
    atomic.write_text(p, "old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert p.read_text() == "old"
    assert [q.name for q in tmp_path.iterdir()] == ["x.txt"]


def test_killed_writer_leaves_no_visible_part(tmp_path):
    """A writer SIGKILLed while writing big parts never leaves a partial *.parquet."""
    script = textwrap.dedent(f"""
        import numpy as np, pandas as pd
        from atdkit.store import PartTable, schema
        t = PartTable({str(tmp_path / 'votes')!r}, schema.VOTES)
        n = 200_000
        df = pd.DataFrame({{"triplet_id": np.arange(n).astype(str), "annotator": "a", "accept": True,
                            "created_at": pd.Timestamp.now(tz="UTC")}})
        print("ready", flush=True)
        while True:
            t.append(df)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    table = PartTable(tmp_path / "votes", schema.VOTES)
    df = table.read()  # every visible part is complete and readable
    assert len(df) % 200_000 == 0
    assert len(table.parts()) == len(df) // 200_000


def test_part_table_union_key_and_compaction(tmp_path):
    t = PartTable(tmp_path / "p", schema.TRIPLETS, key=("triplet_id",))
    t.append(pd.DataFrame({"triplet_id": ["a", "b"], "f1": [1, 2]}))
    t.append(pd.DataFrame({"triplet_id": ["b", "c"], "f1": [20, 3]}))
    df = t.read()
    assert list(df.triplet_id) == ["a", "b", "c"]
    assert dict(zip(df.triplet_id, df.f1)) == {"a": 1, "b": 20, "c": 3}
    assert list(df.columns) == schema.TRIPLETS.names
    t.compact()
    assert len(t.parts()) == 1
    assert dict(zip(t.read().triplet_id, t.read().f1)) == {"a": 1, "b": 20, "c": 3}
    # appends after compaction still win over the compacted part
    t.append(pd.DataFrame({"triplet_id": ["a"], "f1": [100]}))
    assert dict(zip(t.read().triplet_id, t.read().f1))["a"] == 100


def test_named_parts_are_idempotent(tmp_path):
    t = PartTable(tmp_path / "p", schema.FILMS, key=("film_id",))
    t.append(pd.DataFrame({"film_id": ["f"], "n_frames": [10]}), name="f")
    t.append(pd.DataFrame({"film_id": ["f"], "n_frames": [99]}), name="f")
    assert len(t.parts()) == 1 and t.read().n_frames.tolist() == [10]


def test_required_column_missing_is_refused(tmp_path):
    t = PartTable(tmp_path / "p", schema.VOTES)
    with pytest.raises(ValueError, match="triplet_id"):
        t.append(pd.DataFrame({"annotator": ["a"], "accept": [True], "created_at": [pd.Timestamp.now(tz="UTC")]}))
    assert t.parts() == []


def test_corrupt_part_is_named_or_skipped(tmp_path):
    t = PartTable(tmp_path / "p", schema.VOTES)
    add_row = pd.DataFrame({"triplet_id": ["x"], "annotator": ["a"], "accept": [True],
                            "created_at": [pd.Timestamp.now(tz="UTC")]})
    t.append(add_row)
    bad = tmp_path / "p" / "zzz.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(BadInput, match="zzz.parquet"):
        t.read(on_error="raise")
    assert bad.exists()  # outside a dataset root or run nothing is moved
    assert len(t.read(on_error="skip")) == 1 and len(t.read()) == 1


def _submit(args):
    root_path, worker = args
    root = DatasetRoot(root_path)
    for i in range(25):
        add_votes(root, [{"triplet_id": f"t{i}", "annotator": f"w{worker}", "accept": bool(i % 2)}])
    return worker


def test_concurrent_appends_lose_nothing(tmp_path):
    root = DatasetRoot.create(tmp_path / "root")
    with mp.get_context("spawn").Pool(4) as pool:
        pool.map(_submit, [(str(root.path), w) for w in range(4)])
    votes = root.votes.read()
    assert len(votes) == 100
    assert not votes.duplicated(["triplet_id", "annotator"]).any()


def test_latest_submission_wins_and_machine_labels_are_separate(tmp_path):
    root = DatasetRoot.create(tmp_path / "root")
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    add_votes(root, [{"triplet_id": "t", "annotator": "ann", "accept": False, "created_at": t0}])
    add_votes(root, [{"triplet_id": "t", "annotator": "ann", "accept": True, "created_at": t0 + timedelta(seconds=5)}])
    add_votes(root, [{"triplet_id": "t", "annotator": "synthetic-truth", "accept": True, "created_at": t0}])
    v = latest_votes(root)
    assert len(v) == 2 and v.set_index("annotator").loc["ann", "accept"]
    assert latest_votes(root, humans_only=True).annotator.tolist() == ["ann"]
    add_annotations(root, [{"triplet_id": "t", "annotator": "ann", "difficulty": "hard", "roi_x": 1.0}])
    assert latest_annotations(root).difficulty.tolist() == ["hard"]


def test_dataset_root_meta_and_paths(tmp_path):
    with pytest.raises(BadInput, match="not a dataset root"):
        DatasetRoot.open(tmp_path)
    root = DatasetRoot.create(tmp_path / "r", name="demo", config={"strides": [1, 2, 3]})
    assert DatasetRoot.open(root.path).meta()["config"]["strides"] == [1, 2, 3]
    with pytest.raises(BadInput):
        root.frames_dir("../etc")
    img = np.random.default_rng(0).integers(0, 255, (6, 8, 3), dtype=np.uint8)
    for p in root.frame_paths("t1"):
        write_png(p, img)
    f1, f2, f3 = root.read_frames("t1")
    assert np.array_equal(f1, img) and np.array_equal(f3, img)
    root.triplet_parts.append(pd.DataFrame({"triplet_id": ["t1"], "f1": [0]}), name="film")
    root.materialize()
    assert (root.path / "triplets.parquet").is_file() and root.triplets().triplet_id.tolist() == ["t1"]


def test_read_rgb_converts_and_names_bad_files(tmp_path):
    import cv2

    gray = np.arange(48, dtype=np.uint8).reshape(6, 8)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    rgb = read_rgb(tmp_path / "g.png")
    assert rgb.shape == (6, 8, 3) and np.array_equal(rgb[..., 0], gray)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(BadInput, match="bad.png"):
        read_rgb(tmp_path / "bad.png")
    with pytest.raises(BadInput, match="missing.png"):
        read_rgb(tmp_path / "missing.png")


def test_atomic_files_get_the_usual_permissions(tmp_path):
    """Datasets live on shared disks: files must not come out owner-only like mkstemp's."""
    umask = os.umask(0)
    os.umask(umask)
    p = atomic.write_text(tmp_path / "x.txt", "x")
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask == atomic.FILE_MODE
