"""Storage: one atomic part per submission, nothing lost under concurrency, compaction or SIGKILL."""

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import IncrementalParts, LabelsCache, add_votes, latest_annotations, latest_votes

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import annotation_workers  # noqa: E402

N_PROCS, N_EACH = 8, 50


def test_8_processes_x_50_judgements_with_concurrent_compaction(tmp_path):
    root = DatasetRoot.create(tmp_path / "root")
    ctx = mp.get_context("spawn")
    barrier, stop = ctx.Barrier(N_PROCS + 1), ctx.Event()
    rounds = tmp_path / "rounds"
    writers = [ctx.Process(target=annotation_workers.submit_many, args=(str(root.path), f"p{k}", N_EACH, barrier))
               for k in range(N_PROCS)]
    compactor = ctx.Process(target=annotation_workers.compact_repeatedly,
                            args=(str(root.path), barrier, stop, str(rounds)))
    for p in (*writers, compactor):
        p.start()
    for p in writers:
        p.join(timeout=120)
    stop.set()
    compactor.join(timeout=120)
    assert [p.exitcode for p in (*writers, compactor)] == [0] * (N_PROCS + 1)
    assert int(rounds.read_text()) > 0
    votes, ann = root.votes.read(), root.annotations.read()
    assert len(votes) == N_PROCS * N_EACH
    assert not votes.duplicated(["triplet_id", "annotator"]).any()
    assert set(zip(votes["annotator"], votes["triplet_id"])) == {
        (f"p{k}", f"t{i:03d}") for k in range(N_PROCS) for i in range(N_EACH)}
    assert len(ann) == N_PROCS * N_EACH // 2 and not ann.duplicated(["triplet_id", "annotator"]).any()
    one = ann[(ann["annotator"] == "p3") & (ann["triplet_id"] == "t048")].iloc[0]
    assert (one["roi_x"], one["roi_w"]) == (48.0, 58.0)
    rej = votes[(votes["annotator"] == "p5") & (votes["triplet_id"] == "t007")].iloc[0]
    assert rej["reason"] == "other: p5 #7" and not rej["accept"]
    assert not list(root.path.rglob(".*.tmp"))


def test_leases_across_processes_never_over_serve(root):
    """6 annotators in 6 processes ask at once for one of 2 fresh triplets (2 judgements each)."""
    from atdkit.store import atomic
    from atdkit.store.parts import to_table
    from atdkit.store.schema import TRIPLETS

    two = root.triplets().iloc[:2]
    atomic.write_table(root.path / "triplets.parquet", to_table(two, TRIPLETS))  # keep only two triplets
    tids = list(two["triplet_id"])
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=annotation_workers.lease_next, args=(str(root.path), f"a{k}", barrier, results))
             for k in range(6)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    served = [t for t in got.values() if t is not None]
    assert sorted(served) == sorted(tids * 2)            # each triplet to exactly two annotators
    assert list(got.values()).count(None) == 2


def test_sigkill_mid_writes_leaves_only_complete_parts(tmp_path):
    root = DatasetRoot.create(tmp_path / "root")
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import annotation_workers as w; "
            f"w.submit_forever({str(root.path)!r})")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while len(root.votes.parts()) < 20 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    votes = root.votes.read()            # raises if any visible part were partial
    ann = latest_annotations(root)
    assert len(votes) >= 20
    # the annotation part is written before the vote part: every accept vote has its annotation
    assert set(votes["triplet_id"]) <= set(ann["triplet_id"])


def test_latest_wins_and_incremental_reader_skips_corrupt_parts(root):
    cache = LabelsCache(root)
    add_votes(root, [{"triplet_id": "t1", "annotator": "a", "accept": True}])
    assert list(cache.votes()["accept"]) == [True]
    add_votes(root, [{"triplet_id": "t1", "annotator": "a", "accept": False, "reason": "scene cut"}])
    bad = root.votes.directory / "00000000000000000001-corrupt.parquet"
    bad.write_bytes(b"PAR1 garbage")
    votes = cache.votes()
    assert list(votes["accept"]) == [False] and list(latest_votes(root, on_error="skip")["accept"]) == [False]
    assert len(cache.bad_parts) == 1 and "00000000000000000001-corrupt.parquet" in cache.bad_parts[0]
    assert len(cache.all_votes()) == 2
    assert not bad.exists() and (root.path / "quarantine" / "labels" / "votes" / bad.name).is_file()  # moved aside
    cache.votes()
    assert len(cache.bad_parts) == 1 and "quarantine" in cache.bad_parts[0]  # still reported, where it went


def test_incremental_reader_reads_each_part_once(root, monkeypatch):
    for i in range(3):
        add_votes(root, [{"triplet_id": f"t{i}", "annotator": "a", "accept": True}])
    reader = IncrementalParts(root.votes)
    assert len(reader.read()) == 3
    import atdkit.store.quarantine as labels_mod

    calls = []
    real = labels_mod.pq.read_table
    monkeypatch.setattr(labels_mod.pq, "read_table", lambda p, *a, **k: calls.append(p) or real(p, *a, **k))
    add_votes(root, [{"triplet_id": "t9", "annotator": "a", "accept": False, "reason": "near-duplicate"}])
    assert len(reader.read()) == 4 and len(calls) == 1
    assert len(reader.read()) == 4 and len(calls) == 1
    root.votes.compact()
    calls.clear()
    assert len(reader.read()) == 4 and len(calls) == 1  # only the merged part is new


def test_parts_are_one_file_per_submission(root):
    from atdkit.labels import judgements
    from atdkit.labels.judgements import Box, Judgement

    judgements.write(root, Judgement("x", "a", True, roi=Box(0, 0, 1, 1), labels={"difficulty": "easy",
                                     "motion_type": "rotation", "behavior": "others"}))
    assert len(root.votes.parts()) == 1 and len(root.annotations.parts()) == 1


def test_incremental_union_equals_a_full_read_whatever_the_part_names(root):
    """New parts are usually named after the others (only their rows are converted); one named
    before them, or parts gone, make the reader build the union again: always what a full read gives."""
    reader = IncrementalParts(root.votes)

    def same():
        full = root.votes.read_table().to_pandas()
        got = reader.read()
        assert list(zip(got["triplet_id"], got["annotator"], got["accept"])) == \
            list(zip(full["triplet_id"], full["annotator"], full["accept"]))

    same()
    for i in range(3):
        add_votes(root, [{"triplet_id": f"t{i}", "annotator": "a", "accept": True}])
        same()
    import pandas as pd

    from atdkit.store.labels import now_utc

    root.votes.append(pd.DataFrame([{"triplet_id": "early", "annotator": "b", "accept": True, "created_at": now_utc()}]),
                      name="00000000000000000000-early")          # sorts before every other part
    same()
    assert reader.read()["triplet_id"].iloc[0] == "early"
    add_votes(root, [{"triplet_id": "t9", "annotator": "a", "accept": False, "reason": "scene cut"}])
    same()
    root.votes.compact()
    same()


def test_latest_per_key_breaks_ties_by_part_order_and_keeps_missing_times_first(root):
    import pandas as pd

    from atdkit.store.labels import _latest_by

    t = pd.Timestamp("2026-01-01", tz="UTC")
    df = pd.DataFrame({"triplet_id": ["x", "x", "y", "x", "y", "z"], "annotator": ["a", "a", "a", "b", "a", "a"],
                       "v": [1, 2, 3, 4, 5, 6],
                       "created_at": [t, t, t + pd.Timedelta(1, "s"), t, t, pd.NaT]})
    out = _latest_by(df, ["triplet_id", "annotator"])
    # x/a: equal times, the later row wins; y/a: the later time wins over the later row; z: NaT row kept
    assert list(zip(out["triplet_id"], out["annotator"], out["v"])) == [("x", "a", 2), ("x", "b", 4),
                                                                      ("y", "a", 3), ("z", "a", 6)]
    by_triplet = _latest_by(df, ["triplet_id"])
    assert list(zip(by_triplet["triplet_id"], by_triplet["v"])) == [("x", 4), ("y", 3), ("z", 6)]


def test_labels_cache_never_files_an_older_union_under_a_newer_version(root, monkeypatch):
    """Streamlit sessions share one cache: when another session reads a new part between this
    session's read and its derivation, the older derivation must not be kept as the newer one
    (it was: the annotator who had just voted was served the same triplet again)."""
    cache = LabelsCache(root)
    add_votes(root, [{"triplet_id": "t1", "annotator": "a", "accept": True}])
    assert len(cache.votes()) == 1
    reader = cache._votes
    real = type(reader).snapshot

    def other_session_reads_a_new_vote_meanwhile(self):
        got = real(self)
        monkeypatch.setattr(type(reader), "snapshot", real)  # once
        add_votes(root, [{"triplet_id": "t2", "annotator": "b", "accept": True}])
        real(self)  # the other session's read: the union now has t2
        return got

    monkeypatch.setattr(type(reader), "snapshot", other_session_reads_a_new_vote_meanwhile)
    add_votes(root, [{"triplet_id": "t3", "annotator": "a", "accept": False, "reason": "scene cut"}])
    assert sorted(cache.votes()["triplet_id"]) == ["t1", "t3"]  # this session's read, from before t2
    assert sorted(cache.votes()["triplet_id"]) == ["t1", "t2", "t3"]  # the next read sees everything
