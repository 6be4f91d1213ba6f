"""Leaderboards and the HTML report of a benchmark run.

For each metric profile separately (a table never mixes profiles):
- the leaderboard over whole frame and RoI (every metric of
  :data:`atdkit.bench.scoring.METRICS` that has values), with the count of
  scored triplets, means and percentile bootstrap 95% confidence intervals of
  the mean, median seconds and memory;
- the same per difficulty, per general motion type and per behaviour for the
  breakdown metrics (PSNR, SSIM, IE; whole-frame values, as the official
  script's per-level means do), grouped by the labels each row was scored
  under (recorded by the run); rows without labels form the group ``unlabelled``;
- a paired comparison of every method with the reference method on the
  triplets both scored: mean difference (method − reference) with a bootstrap
  95% interval, the share of triplets where the method is better, and the
  Wilcoxon signed-rank p-value;
- the run record: per method its options, weights' sha256, provenance and the
  labels snapshots scored; per bench session the device, versions and threads.

Aggregation note: a metric's ``cap`` (PSNR: 100 dB) stands for +inf in means
(the stored per-row values keep +inf).

Outputs in the report folder: ``leaderboard.md``, CSV files, and
``index.html`` — one self-contained page (charts and images embedded as
base64 PNG/GIF) with bar charts per category, a frame gallery of the best and
worst triplets from the predictions saved with ``--save-predictions`` (it
names the methods whose predictions were not saved; it never runs a method),
and the list of failures.

Modules: :mod:`.statistics` (aggregates), :mod:`.tables` (the table model and
its Markdown), :mod:`.html` (HTML of the same tables, the page), :mod:`.charts`,
:mod:`.gallery`, :mod:`.write` (assembles the report).
"""

from atdkit.bench.report.statistics import bootstrap_ci, leaderboard, paired, summarize
from atdkit.bench.report.write import Report, write_report

__all__ = ["Report", "bootstrap_ci", "leaderboard", "paired", "summarize", "write_report"]
