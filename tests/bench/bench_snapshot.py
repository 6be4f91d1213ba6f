"""What the benchmark of a small dataset produces, as plain data: every score of every results row
(full float precision) and the report's Markdown tables. ``bench_golden.json`` holds this snapshot as
the code produced it before issue 16's method/metric/report refactor; a test compares the current code
against it, so a refactor that changes a number or a table cell fails.

Regenerate (only when a change of numbers is intended, and say so in the commit):
    PYTHONPATH=. python tests/bench/bench_snapshot.py tests/bench/bench_golden.json
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_fixtures import build_root  # noqa: E402

METHODS = ["repeat", "blend", "dis-flow"]
SCORES = ["psnr", "ssim", "ie", "roi_psnr", "roi_ssim", "roi_ie", "chamfer"]


def _value(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return repr(float(v))


def snapshot(folder: Path) -> dict:
    from atdkit.bench.report import write_report
    from atdkit.bench.runner import read_results, run_benchmark

    root = build_root(folder / "root", n=6)
    run = folder / "run"
    run_benchmark(root, run, METHODS, profiles=("atd12k-official", "standard"), size=None, progress=False)
    df = read_results(run)
    rows = {f"{r['method']}|{r['triplet_id']}|{r['profile']}": {m: _value(r[m]) for m in SCORES}
            for r in df.to_dict("records")}
    report = write_report(run, folder / "report", n_gallery=0, n_boot=200)
    markdown = report.markdown.read_text()
    return {"rows": rows, "tables": table_lines(markdown)}


def table_lines(markdown: str) -> list[str]:
    """The Markdown tables' lines, without the timing columns (s/call, peak MiB: they vary run to run)."""
    out, timed = [], False
    markdown = markdown.split("\n## Run record")[0]  # the run record (options, sessions) is new with issue 16
    for line in markdown.splitlines():
        if not line.startswith("|"):
            timed = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        timed = timed or "s/call" in cells
        out.append(" | ".join(cells[:-2] if timed else cells))
    return out


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        data = snapshot(Path(tmp))
    Path(sys.argv[1]).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{len(data['rows'])} rows, {len(data['tables'])} table lines")
