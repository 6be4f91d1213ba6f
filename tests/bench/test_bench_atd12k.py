"""ATD-12K import/export: round trip, labels, flows, and bad input recorded per triplet."""

import json

import numpy as np
import pytest

from atdkit.bench.runner import run_benchmark, read_results
from atdkit.errors import BadInput
from atdkit.labels.categories import category_labels
from atdkit.interchange.atd12k import export_atd, import_atd, parse_annotation
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import read_rgb, write_png

from bench_fixtures import disk_frame


def _atd_folder(path, n=3):
    """A tiny ATD-12K-shaped folder: 96x54 'test' PNGs whose labels refer to a 1920x1080 original."""
    for i in range(n):
        name = f"Disney_v{i}_000{i}_s1"
        for k in (1, 2, 3):
            write_png(path / "test_2k_540p" / name / f"frame{k}.png", disk_frame(30 + 4 * k + i, (96, 54)))
        ann = {"level": i % 3, "motion_RoI": {"x": 200 + i, "y": 100, "width": 800, "height": 601},
               "image_size": [1920, 1080], "general_motion_type": "translation", "behavior": "walking"}
        (path / "test_2k_annotations" / name).mkdir(parents=True)
        (path / "test_2k_annotations" / name / f"{name}.json").write_text(json.dumps(ann))
        flows = path / "test_2k_pre_calc_sgm_flows" / name
        flows.mkdir(parents=True)
        np.save(flows / "guide_flo13.npy", np.full((2, 54, 96), 1.5 + i))
        np.save(flows / "guide_flo31.npy", np.full((2, 54, 96), -1.5 - i))
    return path


def test_round_trip_keeps_frames_labels_and_flows(tmp_path):
    src = _atd_folder(tmp_path / "atd")
    summary = import_atd(src, tmp_path / "root", progress=False)
    assert summary.n_triplets == 3 and summary.n_labelled == 3 and summary.n_flows == 3 and not summary.errors
    root = DatasetRoot.open(tmp_path / "root")
    labels = category_labels(root).set_index("triplet_id")
    row = labels.loc["atd12k-test-Disney_v1_0001_s1"]
    assert (row["difficulty"], row["motion_type"], row["behavior"]) == ("medium", "translation", "walking")
    assert (row["roi_image_w"], row["roi_image_h"], row["source"]) == (1920, 1080, "imported:atd")  # the folder's name
    export_atd(root, tmp_path / "back", progress=False)
    for p in src.rglob("*"):
        if p.is_file():
            q = tmp_path / "back" / p.relative_to(src)
            if p.suffix == ".json":
                assert json.loads(q.read_text()) == json.loads(p.read_text())
            else:
                assert q.read_bytes() == p.read_bytes(), p


def test_official_roi_rescale_uses_the_original_image_size(tmp_path):
    src = _atd_folder(tmp_path / "atd", n=1)
    import_atd(src, tmp_path / "root", progress=False)
    run_benchmark(tmp_path / "root", tmp_path / "run", ["blend"], size=None, progress=False, chamfer=False)
    row = read_results(tmp_path / "run").iloc[0]
    # 1920x1080 → 96x54 is a scale of 20: RoI (200,100,800,601) → (10,5,40,30)
    from atdkit.bench import scoring

    f1, f2, f3 = DatasetRoot.open(tmp_path / "root").read_frames("atd12k-test-Disney_v0_0000_s1")
    pred = (f1.astype(np.float32) / 255 + f3.astype(np.float32) / 255) / 2
    expected = scoring.score(pred, f2, roi=(10, 5, 40, 30), with_chamfer=False)
    assert row["roi_psnr"] == pytest.approx(expected["roi_psnr"], abs=1e-9)
    assert row["roi_ssim"] == pytest.approx(expected["roi_ssim"], abs=1e-9)


def test_bad_json_and_missing_frames_are_recorded_and_others_go_on(tmp_path):
    src = _atd_folder(tmp_path / "atd", n=4)
    names = sorted(p.name for p in (src / "test_2k_540p").iterdir())
    (src / "test_2k_annotations" / names[0] / f"{names[0]}.json").write_text("{not json")
    (src / "test_2k_annotations" / names[1] / f"{names[1]}.json").unlink()
    (src / "test_2k_540p" / names[2] / "frame3.png").write_bytes(b"garbage")
    summary = import_atd(src, tmp_path / "root", progress=False)
    assert summary.n_triplets == 3 and summary.n_labelled == 1
    text = "\n".join(summary.errors)
    assert "malformed annotation JSON" in text and names[0] in text
    assert "annotation JSON missing" in text and names[1] in text
    assert "not a readable image" in text and names[2] in text
    root = DatasetRoot.open(tmp_path / "root")
    labels = category_labels(root).set_index("triplet_id")
    assert labels.loc[f"atd12k-test-{names[0]}", "source"] == "unlabelled"
    assert root.meta()["imports"][0]["errors"] == summary.errors
    # fixing the JSON and importing again labels the triplet, without duplicating triplets
    (src / "test_2k_annotations" / names[0] / f"{names[0]}.json").write_text(json.dumps(
        {"level": 2, "motion_RoI": {"x": 1, "y": 1, "width": 50, "height": 50}, "image_size": [96, 54]}))
    import_atd(src, tmp_path / "root", progress=False)
    labels = category_labels(root).set_index("triplet_id")
    assert labels.loc[f"atd12k-test-{names[0]}", "difficulty"] == "hard" and len(labels) == 3


def test_parse_annotation_rejects_bad_values(tmp_path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"level": 5, "motion_RoI": {"x": 0, "y": 0, "width": 1, "height": 1},
                             "image_size": [10, 10]}))
    with pytest.raises(BadInput, match="level 5"):
        parse_annotation(p)
    p.write_text(json.dumps({"level": 1.0, "motion_RoI": {"x": 0, "y": 0, "width": 1, "height": 1},
                             "image_size": [10, 10]}))
    with pytest.raises(BadInput, match="level 1.0"):
        parse_annotation(p)
    p.write_text(json.dumps({"level": 1, "motion_RoI": {"x": 0, "y": 0, "width": 1, "height": 1},
                             "image_size": "ab"}))
    with pytest.raises(BadInput, match="lacks"):
        parse_annotation(p)
    p.write_text(json.dumps({"level": 1, "motion_RoI": {"x": 0}, "image_size": [10, 10]}))
    with pytest.raises(BadInput, match="lacks"):
        parse_annotation(p)
    p.write_text(json.dumps({"level": 1, "motion_RoI": {"x": 0, "y": 0, "width": 1, "height": 1},
                             "image_size": [10, 10], "behavior": "dancing"}))
    with pytest.raises(BadInput, match="dancing"):
        parse_annotation(p)


def test_train_jpegs_import_as_png_and_not_a_folder_fails(tmp_path):
    import cv2

    d = tmp_path / "atd" / "train_10k" / "Japan_x_1"
    d.mkdir(parents=True)
    for k in (1, 2, 3):
        cv2.imwrite(str(d / f"frame{k}.jpg"), disk_frame(30 + k, (64, 48)))
    summary = import_atd(tmp_path / "atd", tmp_path / "root", progress=False)
    assert summary.n_triplets == 1 and summary.n_labelled == 0
    root = DatasetRoot.open(tmp_path / "root")
    assert read_rgb(root.frame_paths("atd12k-train-Japan_x_1")[0]).shape == (48, 64, 3)
    assert root.triplets().iloc[0]["split"] == "train"
    with pytest.raises(BadInput, match="no ATD-12K folders"):
        import_atd(tmp_path / "root", tmp_path / "r2", progress=False)


@pytest.mark.slow
def test_cli_import_bench_report_export(tmp_path):
    import subprocess
    import sys

    src = _atd_folder(tmp_path / "atd", n=2)
    (src / "test_2k_annotations" / "Disney_v1_0001_s1" / "Disney_v1_0001_s1.json").write_text("[1, 2")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "atdkit", *map(str, args)], capture_output=True, text=True)

    imp = cli("import-atd", tmp_path / "root", src)
    assert imp.returncode == 0, imp.stderr
    assert "imported 2 triplets (1 labelled" in imp.stdout and "malformed annotation JSON" in imp.stderr
    b = cli("bench", tmp_path / "root", "--method", "blend", "--method", "repeat", "--out", tmp_path / "run",
            "--size", "native", "--profile", "atd12k-official", "--profile", "standard")
    assert b.returncode == 0, b.stderr
    rep = cli("report", tmp_path / "run", "--reference", "repeat", "--bootstrap", "100")
    assert rep.returncode == 0, rep.stderr
    assert "| blend | 2 |" in rep.stdout and (tmp_path / "run" / "report" / "index.html").is_file()
    exp = cli("export-atd", tmp_path / "root", "--out", tmp_path / "back")    # the unlabelled one is not accepted
    assert exp.returncode == 0 and "exported 1 triplets, 1 annotation files, 1 flow pairs" in exp.stdout
    assert "left out 1 not accepted" in exp.stdout
    exp = cli("export-atd", tmp_path / "root", "--out", tmp_path / "all", "--include-unaccepted")
    assert exp.returncode == 0 and "exported 2 triplets, 1 annotation files, 2 flow pairs" in exp.stdout


def test_imported_labels_are_credited_to_the_named_annotator_and_never_count_as_human_votes(tmp_path):
    from atdkit.errors import BadArgument
    from atdkit.labels.consensus import compute

    src = _atd_folder(tmp_path / "atd")
    import_atd(src, tmp_path / "root", progress=False, annotator="lab-2021")
    root = DatasetRoot.open(tmp_path / "root")
    labels = category_labels(root)
    assert set(labels["source"].dropna()) == {"imported:lab-2021"}
    consensus = compute(root)
    assert (consensus["n_votes"] == 0).all()  # machine-made: no human vote among them
    with pytest.raises(BadArgument, match="annotator 'two words'"):
        import_atd(src, tmp_path / "other", progress=False, annotator="two words")
