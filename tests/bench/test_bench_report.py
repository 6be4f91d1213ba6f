"""Report contents: tables per profile and category with counts, HTML with embedded images, failures."""

import base64
import re

import numpy as np
import pandas as pd
import pytest
from bench_fixtures import build_root, raises_on

from atdkit.bench.report import bootstrap_ci, paired, write_report
from atdkit.bench.runner import run_benchmark
from atdkit.store.atomic import write_table
from atdkit.store.parts import to_table
from atdkit.store.schema import CONSENSUS


@pytest.fixture
def finished_run(tmp_path):
    root = build_root(tmp_path / "root", n=6)
    run_benchmark(root, tmp_path / "run", ["repeat", "blend", "dis-flow"], profiles=("atd12k-official", "standard"),
                  size=None, progress=False, save_predictions=True)
    run_benchmark(root, tmp_path / "run", [raises_on("t002")], profiles=("atd12k-official", "standard"),
                  size=None, progress=False)
    return tmp_path / "run"


def test_report_tables_counts_and_html(finished_run):
    rep = write_report(finished_run, reference="blend", n_gallery=1, n_boot=200)
    md = rep.markdown.read_text()
    # one leaderboard per profile, never mixed
    assert md.count("### Leaderboard") == 2
    board = pd.read_csv(rep.directory / "leaderboard_atd12k-official.csv")
    assert list(board["method"][:1]) == ["dis-flow"]
    assert dict(zip(board["method"], board["n"])) == {"dis-flow": 6, "blend": 6, "repeat": 6, "flaky": 5}
    assert dict(zip(board["method"], board["failures"]))["flaky"] == 1
    assert (board["psnr_lo"] <= board["psnr"]).all() and (board["psnr"] <= board["psnr_hi"]).all()
    by_diff = pd.read_csv(rep.directory / "by_difficulty_atd12k-official.csv")
    counts = by_diff[by_diff["method"] == "blend"].set_index("difficulty")["n"].to_dict()
    assert counts == {"easy": 2, "medium": 2, "hard": 1, "unlabelled": 1}
    # wide per-category tables: one row per method, one column per value with its count
    assert "| method | easy (n=2) | medium (n=2) | hard (n=1) | unlabelled (n=1) |" in md
    assert "| blend | 15.64 [15.64, 15.64] |" in md and "\n| flaky | 15.64 [15.64, 15.64] | 13.83 [13.83, 13.83] | – |" in md
    # categories no triplet has are one line, not a table (the fixture's triplets have no timing)
    assert "No breakdown by timing: no triplet of this run has that." in md and "per timing" not in md
    assert "LPIPS: not computed in this run" in md  # the column's absence is explained
    pair = pd.read_csv(rep.directory / "paired_atd12k-official.csv").set_index("method")
    assert pair.loc["dis-flow", "d_psnr"] > 0 and pair.loc["repeat", "d_psnr"] < 0
    assert pair.loc["flaky", "n"] == 5
    assert "boom on t002" in md and "boom on t002" in pd.read_csv(rep.directory / "failures.csv")["error"][0]
    page = rep.html.read_text()
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    gifs = re.findall(r"data:image/gif;base64,([A-Za-z0-9+/=]+)", page)
    assert len(pngs) > 10 and len(gifs) == 2  # one where methods disagree, one hardest for the top method
    assert "methods disagree (" in page and "hard for dis-flow (" in page and "error colour scale" in page
    assert base64.b64decode(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n" and base64.b64decode(gifs[0])[:6] == b"GIF89a"
    assert "src='http" not in page and "Failures" in page and "unlabelled" in page
    assert "profile atd12k-official" in rep.leaderboard_markdown


def test_the_report_groups_by_the_labels_the_run_scored(finished_run, tmp_path):
    """Labels changed after a run do not regroup its report; a new run scores (and records) the
    new labels, consensus winning over machine labels, with another labels snapshot."""
    from atdkit.bench.runner import read_results
    from atdkit.store.dataset import DatasetRoot

    root = DatasetRoot.open(finished_run.parent / "root")
    cons = pd.DataFrame([{"triplet_id": "t000", "status": "accepted", "difficulty": "hard", "motion_type": "scaling",
                          "behavior": "eating", "source": "human"}])
    write_table(root.path / "consensus.parquet", to_table(cons, CONSENSUS))
    rep = write_report(finished_run, reference="blend", n_gallery=0, n_boot=50)
    by_beh = pd.read_csv(rep.directory / "by_behavior_atd12k-official.csv")
    assert by_beh[(by_beh["method"] == "blend")].set_index("behavior")["n"].to_dict() == \
        {"others": 5, "unlabelled": 1}
    run_benchmark(root, tmp_path / "run2", ["blend"], size=None, progress=False)
    rep2 = write_report(tmp_path / "run2", n_gallery=0, n_boot=50)
    by_beh = pd.read_csv(rep2.directory / "by_behavior_atd12k-official.csv")
    assert by_beh.set_index("behavior")["n"].to_dict() == {"eating": 1, "others": 4, "unlabelled": 1}
    old, new = read_results(finished_run), read_results(tmp_path / "run2")
    assert old["labels_snapshot"].nunique() == 1 and new["labels_snapshot"].nunique() == 1
    assert old["labels_snapshot"][0] != new["labels_snapshot"][0]
    assert set(new.loc[new["triplet_id"] == "t000", "label_source"]) == {"human"}


def test_the_gallery_names_methods_whose_predictions_were_not_saved(finished_run):
    """`flaky` ran without --save-predictions: the report says so and shows no prediction of it
    (it never runs a method to make one)."""
    rep = write_report(finished_run, reference="blend", n_gallery=1, n_boot=50)
    page = rep.html.read_text()
    assert "predictions not saved for flaky" in page
    assert "<figcaption>flaky" not in page and "<figcaption>blend (" in page


def test_the_run_record(finished_run):
    """run.json records each bench session (device, versions, threads); every row records its
    options, weights' sha256, provenance, RoI box and labels; the report shows them."""
    import json

    from atdkit.bench.runner import read_results

    meta = json.loads((finished_run / "run.json").read_text())
    assert len(meta["sessions"]) == 2
    for session in meta["sessions"]:
        assert session["device"] == "cpu" and session["atdkit_version"] and session["threads_per_worker"] >= 1
    df = read_results(finished_run)
    assert set(df["session"]) == {s["session"] for s in meta["sessions"]}
    blend = df[(df["method"] == "blend") & (df["triplet_id"] == "t000")].iloc[0]
    assert (blend["options"], blend["weights_sha256"], blend["provenance"]) == ("{}", "{}", "{}")
    # the fixture's RoI (10, 8, 60, 40) in the 96x64 frame, scored at native size
    assert (blend["roi_x"], blend["roi_y"], blend["roi_w"], blend["roi_h"]) == (10, 8, 60, 40)
    assert (blend["difficulty"], blend["label_source"]) == ("easy", "synthetic-truth")
    last = df[df["triplet_id"] == "t005"]
    assert last["roi_w"].isna().all() and set(last["label_source"]) == {"unlabelled"}
    md = write_report(finished_run, reference="blend", n_gallery=0, n_boot=50).markdown.read_text()
    assert "## Run record" in md and f"| blend | {{}} | {{}} | {{}} | {blend['labels_snapshot']} |" in md


def test_bootstrap_and_paired_statistics():
    lo, hi = bootstrap_ci(np.array([1.0, 2.0, 3.0, 4.0]), n_boot=2000)
    assert 1.0 <= lo < 2.5 < hi <= 4.0
    assert bootstrap_ci(np.array([5.0])) == (5.0, 5.0)
    df = pd.DataFrame({"method": ["a"] * 3 + ["b"] * 3, "triplet_id": ["x", "y", "z"] * 2,
                       "psnr": [30, 31, 32, 29, 29, np.inf], "ssim": [0.9] * 6, "ie": [1, 2, 3, 2, 2, 2]})
    p = paired(df, "b", n_boot=100).iloc[0]
    # inf PSNR counts as 100 dB: differences 1, 2, 32-100
    assert p["d_psnr"] == pytest.approx((1 + 2 + 32 - 100) / 3)
    assert p["better_psnr"] == pytest.approx(2 / 3) and p["better_ie"] == pytest.approx(1 / 3)


def test_report_of_a_folder_without_a_run_is_a_clear_error(tmp_path):
    from atdkit.errors import BadInput

    with pytest.raises(BadInput, match="no run.json"):
        write_report(tmp_path)


def test_the_report_loads_no_method(finished_run):
    """Writing the report (gallery included) imports no method module and loads no entry point."""
    import subprocess
    import sys

    code = ("import sys; from atdkit.bench.report import write_report; "
            f"write_report({str(finished_run)!r}, reference='blend', n_gallery=1, n_boot=20); "
            "print(sorted(m for m in sys.modules if m.startswith(('baselines', 'atdkit.methods.animeinterp'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_metric_table_drives_the_schema_and_the_report_columns(finished_run):
    from atdkit.bench.scoring import METRICS, RESULTS

    names = [m.name for m in METRICS]
    columns = [f.name for f in RESULTS]
    assert [c for c in columns if c in names] == names  # one float column per metric, in table order
    assert all(RESULTS.field(n).type == "double" and RESULTS.field(n).nullable for n in names)
    md = write_report(finished_run, reference="blend", n_gallery=0, n_boot=20).markdown.read_text()
    header = next(line for line in md.splitlines() if line.startswith("| method | n |"))
    shown = [c.strip().removesuffix(" [95% CI]") for c in header.strip("|").split("|")][2:-3]
    from atdkit.bench.runner import read_results

    scored = read_results(finished_run)
    assert shown == [n for n in names if scored[n].notna().any()]  # e.g. no LPIPS column without its weights
    row = next(line for line in md.splitlines() if line.startswith("| dis-flow |"))
    ssim_cell, ie_cell = row.split("|")[4].strip(), row.split("|")[5].strip()
    assert len(ssim_cell.split(" ")[0].split(".")[1]) == 4 and len(ie_cell.split(" ")[0].split(".")[1]) == 2


def test_paired_comparisons_with_the_top_method_and_blend_and_the_provenance(finished_run):
    import json

    rep = write_report(finished_run, n_gallery=0, n_boot=50)
    md = rep.markdown.read_text()
    # default: against the top method (dis-flow here) and against blend, both shown
    assert "### Paired comparison with `dis-flow`" in md and "### Paired comparison with `blend`" in md
    vs_blend = pd.read_csv(rep.directory / "paired_vs_blend_atd12k-official.csv").set_index("method")
    assert vs_blend.loc["dis-flow", "d_psnr"] > 0 and set(vs_blend["reference"]) == {"blend"}
    prov = json.loads((rep.directory / "report.json").read_text())
    assert [s["device"] for s in prov["sessions"]] == ["cpu", "cpu"] and prov["sessions"][0]["atdkit_version"]
    assert prov["label_sources"] == {"synthetic-truth": 5, "unlabelled": 1}
    assert "Provenance." in rep.html.read_text()
    # run.json holds the same per session: each method's weights and the label sources it scored under
    session = json.loads((finished_run / "run.json").read_text())["sessions"][0]
    assert session["weights_sha256"] == {"repeat": {}, "blend": {}, "dis-flow": {}}
    assert session["label_sources"] == {"synthetic-truth": 5, "unlabelled": 1}
    # the source film and the stride, from the dataset root
    assert "### PSNR per source film" in md and "| method | 1 (n=6) |" in md


def test_suspect_ground_truth_is_frame2_not_between_its_ends():
    from bench_fixtures import disk_frame

    from atdkit.bench.report.gallery import suspect_truth

    f1, f2, f3 = disk_frame(30), disk_frame(40), disk_frame(50)
    assert suspect_truth(f1, f2, f3) is None
    assert "from frame 1" in suspect_truth(f1, disk_frame(80), f3)  # past frame 3: not between the ends
    odd = disk_frame(40, color=(40, 200, 40))  # another drawing in the middle
    assert "suspect ground truth: frame 2 differs" in suspect_truth(disk_frame(38), odd, disk_frame(42))


def test_the_leaderboard_shows_each_methods_configuration_beside_its_name(finished_run):
    """Options, weights' sha256 (first 8 hex digits) and provenance (AnimeInterp's SGM settings) stand
    beside the method's name in every leaderboard; a run whose rows of one method mix configurations
    (official VGG and weight-free SGM flows) shows both there, not only in the run record."""
    import json

    import pyarrow as pa

    df = pd.read_parquet(finished_run / "results.parquet")
    vgg = {"sgm_descriptor": "vgg19", "sgm_descriptor_sha256": "dcbb9e9d" + "0" * 56, "sgm_style": "disney",
           "sgm_size": "[960, 540]", "sgm_version": "2"}
    weight_free = dict(vgg, sgm_descriptor="colour-shape", sgm_descriptor_sha256="None")
    blend = df["method"] == "blend"
    df.loc[blend, "options"] = json.dumps({"style": "disney"})
    df.loc[blend, "weights_sha256"] = json.dumps({"animeinterp-full": "ab12cd34" + "f" * 56})
    df.loc[blend, "provenance"] = [json.dumps(vgg if t in ("t000", "t001") else weight_free)
                                   for t in df.loc[blend, "triplet_id"]]
    write_table(finished_run / "results.parquet", pa.Table.from_pandas(df, preserve_index=False))
    md = write_report(finished_run, reference="blend", n_gallery=0, n_boot=20).markdown.read_text()
    boards = md.split("### Leaderboard")[1:]
    assert len(boards) == 2
    for board in boards:
        row = next(line for line in board.splitlines() if line.startswith("| blend ("))
        assert "style=disney; animeinterp-full ab12cd34;" in row
        assert "sgm_descriptor=vgg19, sgm_descriptor_sha256=dcbb9e9d," in row and "sgm_descriptor=colour-shape" in row
        assert "0" * 9 not in row  # digests shortened
        assert any(line.startswith("| dis-flow |") for line in board.splitlines())  # nothing recorded: the name alone


def test_a_method_scored_on_a_subset_is_not_the_yardstick(finished_run, tmp_path):
    """The demo scores slow methods on a few triplets; the default reference is the best of those that
    scored the most triplets."""
    from atdkit.bench.runner import DatasetRoot

    root = DatasetRoot.open(finished_run.parent / "root")
    run_benchmark(root, tmp_path / "sub", ["dis-flow"], size=None, progress=False, triplet_ids=["t000", "t001"])
    run_benchmark(root, tmp_path / "sub", ["blend", "repeat"], size=None, progress=False)
    md = write_report(tmp_path / "sub", n_gallery=0, n_boot=50).markdown.read_text()
    assert "### Paired comparison with `blend`" in md and "### Paired comparison with `dis-flow`" not in md
