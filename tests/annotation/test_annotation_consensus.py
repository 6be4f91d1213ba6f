"""Consensus rules against hand-built cases, adjudication, and the CLI commands."""

from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from atdkit.cli import _register_commands
from atdkit.cli.app import app
from atdkit.errors import BadInput
from atdkit.labels.consensus import build_consensus, compute, majority, merge_boxes
from atdkit.store.labels import add_adjudication, add_annotations, add_votes

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _votes(rows):
    return pd.DataFrame([{"triplet_id": t, "annotator": a, "accept": acc, "reason": None,
                          "created_at": T0 + timedelta(seconds=i)} for i, (t, a, acc) in enumerate(rows)])


def _ann(rows):
    return pd.DataFrame([{"triplet_id": t, "annotator": a, "roi_x": b[0], "roi_y": b[1], "roi_w": b[2], "roi_h": b[3],
                          "roi_image_w": None, "roi_image_h": None,
                          "difficulty": d, "motion_type": m, "behavior": be, "created_at": T0}
                         for t, a, b, d, m, be in rows])


def test_merge_rule_is_coordinate_wise_median_of_corners():
    # corners x0: 0,2,100 → 2; y0 likewise; x1: 10,12,110 → 12 → box (2, 2, 10, 10)
    assert merge_boxes([(0, 0, 10, 10), (2, 2, 10, 10), (100, 100, 10, 10)]) == (2, 2, 10, 10)
    # two boxes: the median is the mean of the corners
    assert merge_boxes([(0, 0, 10, 10), (4, 2, 10, 20)]) == (2, 1, 10, 15)
    assert majority(["a", "a", "b"]) == "a" and majority(["a", "b"]) is None and majority([]) is None


def test_statuses_votes_and_labels():
    votes = _votes([
        ("acc", "a", True), ("acc", "b", True),                     # accepted, labels agree
        ("rej", "a", False), ("rej", "b", False),                   # rejected
        ("split", "a", True), ("split", "b", False),                # pending: third vote needed
        ("third", "a", True), ("third", "b", False), ("third", "c", True),   # accepted 2–1
        ("conf", "a", True), ("conf", "b", True),                   # accepted, behaviour conflict
        ("tie", "a", True), ("tie", "b", True), ("tie", "c", False), ("tie", "d", False),
        ("machine", "synthetic-truth", True),                       # machine only
        ("mixed", "synthetic-truth", True), ("mixed", "a", True),   # 1 human: pending
        ("ghost", "a", True), ("ghost", "b", True),                 # not a triplet of the root
    ])
    ann = _ann([
        ("acc", "a", (0, 0, 10, 10), "easy", "translation", "walking"),
        ("acc", "b", (5, 0, 10, 10), "easy", "translation", "walking"),
        ("third", "a", (0, 0, 10, 10), "hard", "rotation", "eating"),
        ("third", "b", (90, 90, 5, 5), "easy", "scaling", "others"),   # b rejected: ignored
        ("third", "c", (0, 0, 10, 10), "hard", "rotation", "eating"),
        ("conf", "a", (0, 0, 10, 10), "medium", "deformation", "speaking"),
        ("conf", "b", (0, 0, 10, 10), "medium", "deformation", "sporting"),
        ("machine", "synthetic-truth", (1, 2, 3, 4), "easy", "translation", "others"),
    ])
    tids = ["acc", "rej", "split", "third", "conf", "tie", "machine", "mixed", "none"]
    c = build_consensus(tids, votes, ann).set_index("triplet_id")
    assert list(c.index) == tids
    assert c.loc["acc", "status"] == "accepted" and c.loc["acc", "n_votes"] == 2 and c.loc["acc", "n_accept"] == 2
    assert (c.loc["acc", "roi_x"], c.loc["acc", "roi_w"]) == (2.5, 10.0)
    assert c.loc["acc", "roi_iou"] == pytest.approx(1 / 3) and bool(c.loc["acc", "roi_flag"]) is True
    assert (c.loc["acc", "difficulty"], c.loc["acc", "behavior"]) == ("easy", "walking")
    assert c.loc["rej", "status"] == "rejected" and pd.isna(c.loc["rej", "roi_x"])
    assert c.loc["split", "status"] == "pending"
    assert c.loc["third", "status"] == "accepted" and c.loc["third", "roi_iou"] == pytest.approx(1.0)
    assert bool(c.loc["third", "roi_flag"]) is False and c.loc["third", "motion_type"] == "rotation"
    assert c.loc["conf", "status"] == "needs_adjudication" and c.loc["conf", "conflicts"] == "behavior"
    assert pd.isna(c.loc["conf", "behavior"]) and c.loc["conf", "motion_type"] == "deformation"
    assert c.loc["tie", "status"] == "needs_adjudication" and c.loc["tie", "conflicts"] == "decision"
    assert c.loc["machine", "status"] == "accepted" and c.loc["machine", "source"] == "synthetic-truth"
    assert c.loc["machine", "n_votes"] == 0 and c.loc["machine", "roi_w"] == 3.0
    assert c.loc["mixed", "status"] == "pending" and c.loc["mixed", "n_votes"] == 1  # machine is no human vote
    assert c.loc["none", "status"] == "pending" and c.loc["none", "n_votes"] == 0


def test_adjudication_resolves_conflicts_and_is_stored_as_parts(root):
    t = list(root.triplets()["triplet_id"])[0]
    add_votes(root, [{"triplet_id": t, "annotator": "a", "accept": True},
                     {"triplet_id": t, "annotator": "b", "accept": True}])
    add_annotations(root, [
        {"triplet_id": t, "annotator": "a", "roi_x": 0, "roi_y": 0, "roi_w": 10, "roi_h": 10,
         "difficulty": "easy", "motion_type": "translation", "behavior": "walking"},
        {"triplet_id": t, "annotator": "b", "roi_x": 0, "roi_y": 0, "roi_w": 10, "roi_h": 10,
         "difficulty": "hard", "motion_type": "translation", "behavior": "eating"}])
    row = compute(root).set_index("triplet_id").loc[t]
    assert row["status"] == "needs_adjudication" and row["conflicts"] == "difficulty,behavior"
    add_adjudication(root, {"triplet_id": t, "admin": "boss", "status": "accepted", "difficulty": "hard"})
    row = compute(root).set_index("triplet_id").loc[t]
    assert row["status"] == "needs_adjudication" and row["conflicts"] == "behavior" and row["difficulty"] == "hard"
    add_adjudication(root, {"triplet_id": t, "admin": "boss", "status": "accepted", "difficulty": "hard",
                            "behavior": "eating", "roi_x": 1, "roi_y": 2, "roi_w": 3, "roi_h": 4})
    row = compute(root).set_index("triplet_id").loc[t]
    assert row["status"] == "accepted" and pd.isna(row["conflicts"])
    assert (row["behavior"], row["roi_x"], row["roi_h"]) == ("eating", 1.0, 4.0)
    assert len(list((root.path / "labels" / "adjudications").glob("*.parquet"))) == 2
    add_adjudication(root, {"triplet_id": t, "admin": "boss", "status": "rejected"})
    row = compute(root).set_index("triplet_id").loc[t]
    assert row["status"] == "rejected" and pd.isna(row["roi_x"]) and pd.isna(row["behavior"])


def test_cli_consensus_and_compact(root):
    _register_commands()
    tids = list(root.triplets()["triplet_id"])
    for i, who in enumerate(("a", "b", "a")):  # a votes twice on tids[0]: the later reject wins
        add_votes(root, [{"triplet_id": tids[0], "annotator": who, "accept": i < 2,
                          "created_at": T0 + timedelta(seconds=i)}])
    add_votes(root, [{"triplet_id": tids[1], "annotator": "a", "accept": False, "reason": "scene cut"},
                     {"triplet_id": tids[1], "annotator": "b", "accept": False, "reason": "near-duplicate"}])
    runner = CliRunner()
    before = root.votes.read()
    res = runner.invoke(app, ["labels", "compact", str(root.path)])
    assert res.exit_code == 0, res.output
    assert len(root.votes.parts()) == 1
    pd.testing.assert_frame_equal(root.votes.read().sort_values(["triplet_id", "annotator", "created_at"])
                                  .reset_index(drop=True),
                                  before.sort_values(["triplet_id", "annotator", "created_at"]).reset_index(drop=True))
    res = runner.invoke(app, ["consensus", str(root.path)])
    assert res.exit_code == 0, res.output
    c = pq.read_table(root.path / "consensus.parquet").to_pandas().set_index("triplet_id")
    assert c.loc[tids[0], "status"] == "pending"      # a changed to reject: 1–1
    assert c.loc[tids[1], "status"] == "rejected"
    assert len(c) == len(tids)


def test_cli_consensus_names_a_corrupt_part(root, tmp_path):
    _register_commands()
    (root.path / "labels" / "votes").mkdir(parents=True, exist_ok=True)
    bad = root.path / "labels" / "votes" / "00000000000000000001-bad.parquet"
    bad.write_bytes(b"not parquet at all")
    res = CliRunner().invoke(app, ["consensus", str(root.path)])
    # moved aside as the app does; the command stops once (main() prints `error: …`) …
    assert isinstance(res.exception, BadInput) and "00000000000000000001-bad.parquet" in str(res.exception)
    assert not bad.exists() and (root.path / "quarantine" / "labels" / "votes" / bad.name).is_file()
    assert not (root.path / "consensus.parquet").exists()
    res = CliRunner().invoke(app, ["consensus", str(root.path)])  # … and the next run goes on without it
    assert res.exit_code == 0 and (root.path / "consensus.parquet").is_file()


def test_export_writes_accepted_triplets_only_unless_asked(root, tmp_path):
    """film0-0000 accepted, film0-0001 rejected, film0-0002 pending, film0-0003 unresolved tie."""
    import json

    from atdkit.labels.consensus import write_consensus
    from atdkit.interchange.atd12k import export_atd

    votes = [("film0-0000", "a", True), ("film0-0000", "b", True), ("film0-0001", "a", False),
             ("film0-0001", "b", False), ("film0-0002", "a", True),
             ("film0-0003", "a", True), ("film0-0003", "b", True), ("film0-0003", "c", False), ("film0-0003", "d", False)]
    add_votes(root, [{"triplet_id": t, "annotator": a, "accept": acc} for t, a, acc in votes])
    add_annotations(root, [{"triplet_id": "film0-0000", "annotator": a, "roi_x": 1, "roi_y": 2, "roi_w": 30, "roi_h": 20,
                            "difficulty": "easy", "motion_type": "rotation", "behavior": "eating"} for a in ("a", "b")])
    table = compute(root).set_index("triplet_id")
    assert (table.loc["film0-0000", "roi_image_w"], table.loc["film0-0000", "roi_image_h"]) == (96, 64)  # filled
    write_consensus(root)
    counts = export_atd(root, tmp_path / "out", progress=False)
    assert (counts["triplets"], counts["annotations"], counts["left_out"]) == (1, 1, 3)
    assert sorted(p.name for p in (tmp_path / "out" / "test_2k_540p").iterdir()) == ["film0-0000"]
    ann = json.loads((tmp_path / "out" / "test_2k_annotations" / "film0-0000" / "film0-0000.json").read_text())
    assert ann["image_size"] == [96, 64] and ann["motion_RoI"]["width"] == 30
    counts = export_atd(root, tmp_path / "all", progress=False, include_unaccepted=True)
    assert (counts["triplets"], counts["left_out"]) == (4, 0)


def test_adjudicated_rows_are_marked(root):
    add_votes(root, [{"triplet_id": "film0-0000", "annotator": a, "accept": acc}
                     for a, acc in (("a", True), ("b", True), ("c", False), ("d", False))])
    add_votes(root, [{"triplet_id": "film0-0001", "annotator": a, "accept": True} for a in ("a", "b")])
    before = compute(root).set_index("triplet_id")
    assert before.loc["film0-0000", "status"] == "needs_adjudication" and not before["adjudicated"].any()
    add_adjudication(root, {"triplet_id": "film0-0000", "admin": "boss", "status": "rejected"})
    after = compute(root).set_index("triplet_id")
    assert after.loc["film0-0000", "status"] == "rejected" and bool(after.loc["film0-0000", "adjudicated"])
    assert not bool(after.loc["film0-0001", "adjudicated"]) and after.loc["film0-0001", "status"] == "accepted"
