"""The benchmark's numbers and the report's tables are those the code gave before issue 16's
refactor of methods, metrics and the report (snapshot in bench_golden.json, see bench_snapshot.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench_snapshot import snapshot

GOLDEN = json.loads((Path(__file__).parent / "bench_golden.json").read_text())


def test_scores_and_report_tables_equal_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("ATDKIT_CACHE", str(tmp_path / "cache"))  # no LPIPS weights: the snapshot has none
    monkeypatch.delenv("ATDKIT_WEIGHTS_DIR", raising=False)
    now = snapshot(tmp_path)
    assert sorted(now["rows"]) == sorted(GOLDEN["rows"])
    for key, scores in GOLDEN["rows"].items():
        for metric, value in scores.items():
            got = now["rows"][key][metric]
            # equal up to float noise: OpenCV's threaded filters may sum in another order (seen 3e-10)
            assert (got is None) == (value is None), (key, metric)
            assert got is None or math.isclose(float(got), float(value), rel_tol=1e-8), (key, metric, got, value)
    assert now["tables"] == GOLDEN["tables"]
