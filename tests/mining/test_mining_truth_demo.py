"""Machine labels from the synthetic ground truth, and the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from atdkit.demo import MANIFEST, QUICK_MANIFEST, STEPS, add_step, load_manifest
from atdkit.mining.pipeline import film_identity, mine
from atdkit.store import schema
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import latest_annotations, latest_votes
from atdkit.synth.truth import ANNOTATOR, label_from_truth, truth_labels


def test_label_from_truth_writes_one_label_per_synthetic_triplet(tmp_path, small_films):
    from mining_helpers import GIF, load_truth_json

    out = tmp_path / "root"
    mine([*small_films[:2], GIF], out, progress=False)
    root = DatasetRoot.open(out)
    synthetic_ids = {film_identity(f)[0] for f in small_films[:2]}
    expected = root.triplets()[root.triplets()["film_id"].isin(list(synthetic_ids))]
    assert label_from_truth(out) == len(expected) > 0
    assert label_from_truth(out) == 0  # idempotent
    ann = latest_annotations(root)
    assert set(ann["triplet_id"]) == set(expected["triplet_id"]) and set(ann["annotator"]) == {ANNOTATOR}
    assert set(ann["motion_type"]) <= set(schema.MOTION_TYPES) and set(ann["behavior"]) <= set(schema.BEHAVIORS)
    assert set(ann["difficulty"]) <= set(schema.DIFFICULTIES)
    assert ((ann["roi_x"] >= 0) & (ann["roi_x"] + ann["roi_w"] <= 320 + 1e-6) & (ann["roi_w"] > 0)).all()
    assert latest_votes(root)["accept"].all() and len(latest_votes(root, humans_only=True)) == 0
    # the RoI is the union of the moving pieces' boxes in frame2
    t = expected.iloc[0]
    film = next(f for f in small_films if film_identity(f)[0] == t.film_id)
    truth = load_truth_json(film)
    labels = truth_labels(truth, int(t.f1), int(t.f2), int(t.f3))
    row = ann.set_index("triplet_id").loc[t.triplet_id]
    assert (row["roi_x"], row["roi_w"], row["motion_type"]) == (labels["roi_x"], labels["roi_w"], labels["motion_type"])
    boxes = [p["bbox"] for p in truth["frames"][int(t.f2)]["pieces"] if p["bbox"]]
    assert min(b[0] for b in boxes) <= labels["roi_x"]


def test_truth_labels_for_a_pan_over_a_held_drawing():
    frame = {"camera": [0, 0], "pieces": [{"id": "0.0", "pose": [1, 1, 0, 1, 0, 0], "bbox": [10, 10, 20, 20],
                                          "motion": "rotation", "behavior": "others"}]}
    moved = dict(frame, camera=[30, 0])
    truth = {"width": 320, "height": 180, "frames": [frame, frame, moved]}
    labels = truth_labels(truth, 0, 1, 2)
    assert (labels["roi_x"], labels["roi_y"], labels["roi_w"], labels["roi_h"]) == (0.0, 0.0, 320.0, 180.0)
    assert labels["motion_type"] == "translation" and labels["behavior"] == "others"
    assert labels["difficulty"] == "hard"  # 30 px at 320 wide = 90 px at 960


@pytest.mark.parametrize("manifest", [MANIFEST, QUICK_MANIFEST])
def test_demo_manifest_is_valid(manifest):
    films = load_manifest(manifest)
    assert len(films) >= 2 and len({f["seed"] for f in films}) == len(films)
    for f in films:
        assert f["width"] % 2 == 0 and f["height"] % 2 == 0 and f["style"] in ("cel", "anime", "mono")


def test_demo_runs_end_to_end_on_a_small_manifest(tmp_path):
    manifest = tmp_path / "films.json"
    manifest.write_text(json.dumps({"films": [
        {"name": "a", "seed": 5, "length_s": 2.0, "fps": 24, "width": 320, "height": 180, "style": "cel"},
        {"name": "b", "seed": 6, "length_s": 2.0, "fps": 24, "width": 320, "height": 180, "style": "mono"}]}))
    run = subprocess.run([sys.executable, "-m", "atdkit", "demo", "--out", str(tmp_path / "demo"), "--workers", "1",
                          "--manifest", str(manifest), "--only", "synthesize,mine,label,preview,summary"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    root = DatasetRoot.open(tmp_path / "demo" / "dataset")
    assert len(root.films()) == 2 and (root.films()["status"] == "ok").all()
    # the style each film was drawn in: read from its sidecar by the synth stage, not by mining
    assert sorted(zip(root.films()["path"].map(lambda p: Path(p).stem), root.films()["style"])) == [
        ("a", "cel"), ("b", "mono")]
    assert len(root.triplets()) > 0
    assert len(latest_annotations(root)) == len(root.triplets())
    assert (tmp_path / "demo" / "dataset" / "preview.png").stat().st_size > 1000
    assert str(tmp_path / "demo" / "dataset") in run.stdout.replace("\n", "")
    bad = subprocess.run([sys.executable, "-m", "atdkit", "demo", "--out", str(tmp_path / "demo"), "--only", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "error: unknown demo steps nope" in bad.stderr


def test_steps_can_be_added_without_touching_the_others(monkeypatch):
    monkeypatch.setattr("atdkit.demo.STEPS", list(STEPS))
    from atdkit import demo

    def extra(ctx):
        ctx.outputs["extra"] = True

    before = [n for n, _ in demo.STEPS]
    add_step("extra-check", extra, after="label")
    names = [n for n, _ in demo.STEPS]
    assert names.index("extra-check") == names.index("label") + 1
    assert [n for n in names if n != "extra-check"] == before  # the other steps keep their order
    with pytest.raises(ValueError):
        add_step("x", extra, after="no-such-step")


def test_the_closing_screen_says_where_the_report_is_and_what_to_run_next(tmp_path):
    from rich.console import Console

    from atdkit.demo import DemoContext, next_steps

    ctx = DemoContext(tmp_path, Console())
    ctx.dataset = tmp_path / "dataset"
    ctx.outputs["report"] = tmp_path / "bench-run" / "report" / "index.html"
    lines = "\n".join(next_steps(ctx))
    assert f"HTML report: {tmp_path / 'bench-run' / 'report' / 'index.html'}" in lines
    assert f"atdkit annotate {ctx.dataset}" in lines and f"atdkit annotators add {ctx.dataset}" in lines
    assert f"atdkit bench {ctx.dataset} -m YOUR_METHOD" in lines and "atdkit mine my-root" in lines
    ctx.outputs.pop("report")
    assert "HTML report" not in "\n".join(next_steps(ctx))  # no report step ran: nothing claimed


def test_slow_methods_get_an_evenly_spaced_subset():
    from atdkit.bench.demo_steps import evenly_spaced

    tids = [f"t{i:02d}" for i in range(20)]
    assert evenly_spaced(tids, 5) == ["t00", "t04", "t08", "t12", "t16"]
    assert evenly_spaced(tids, 30) == tids and len(set(evenly_spaced(tids, 7))) == 7


def test_the_demo_budget_goes_to_the_fastest_methods_first_then_subsets():
    from atdkit.bench.demo_steps import MAX_SUBSET, budget_plan

    # idle 2-core figures (s a call): rife 0.7, sgm 1.6, gmfss 7.2 and 6.8, on 20 triplets, 150 s in all
    timed = [(7.2, "gmfss-union"), (0.7, "rife-v4.6"), (1.6, "animeinterp-sgm"), (6.8, "gmfss-union-vgan"),
             (0.7, "rife-v4.0")]
    plan = budget_plan(timed, 20, 150.0)
    assert plan["rife-v4.0"] == plan["rife-v4.6"] == plan["animeinterp-sgm"] == 20  # 28 + 32 s
    assert plan["gmfss-union-vgan"] == MAX_SUBSET and plan["gmfss-union"] == 0  # 68 s, then 22 s left: < 6 calls
    assert budget_plan(timed, 20, 0) == {name: 20 for _, name in timed}  # no limit
    assert budget_plan([(30.0, "slow")], 20, 150.0) == {"slow": 0}
