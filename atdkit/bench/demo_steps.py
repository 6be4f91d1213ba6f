"""The demo's benchmark and report steps (appended to :data:`atdkit.demo.STEPS`).

``bench`` scores ``repeat``, ``blend`` and ``dis-flow`` on the demo dataset,
plus any other installed method whose weights are present and whose first call,
timed on one triplet, projects to at most ``ctx.method_budget_s`` seconds for
the whole dataset (``atdkit demo --method-budget``; 0 = no limit), so the demo
stays a few minutes long; skipped methods are listed (``--quick``: the three
only). ``report`` writes the
report and prints the leaderboard and the path of the HTML page.
"""

from __future__ import annotations

import time

from atdkit.bench.runner import DEFAULT_SIZE, check_methods
from atdkit.ops.resize import resize_lanczos

BASELINES = ("repeat", "blend", "dis-flow")


def _fast_extra_methods(ctx, root, tids: list[str]) -> list[str]:
    """Installed methods beyond the baselines whose weights are present and that are fast enough here."""
    from atdkit.methods import base

    chosen = []
    f1, _, f3 = (resize_lanczos(f, DEFAULT_SIZE) for f in root.read_frames(tids[0]))
    for name in base.available():
        if name in BASELINES:
            continue
        try:
            check_methods([name])
            method = base.load(name)
            start = time.perf_counter()
            method.interpolate(f1, f3, 0.5, context=base.TripletContext(root.path, tids[0]))
            # The timed call had every core to itself; the workers share them, so no division by workers.
            projected = (time.perf_counter() - start) * len(tids)
        except Exception as exc:  # missing weights, a broken plugin: the demo goes on without it
            first_line = (str(exc).splitlines() or [""])[0]
            ctx.console.print(f"demo bench: skipping {name} ({type(exc).__name__}: {first_line})")
            continue
        if ctx.method_budget_s <= 0 or projected <= ctx.method_budget_s:
            chosen.append(name)
        else:
            ctx.console.print(f"demo bench: skipping {name} (about {projected:.0f} s for {len(tids)} triplets "
                              f"on this machine > --method-budget {ctx.method_budget_s:.0f} s)")
    return chosen


def step_bench(ctx) -> None:
    from atdkit.bench.runner import run_benchmark
    from atdkit.store.dataset import DatasetRoot

    root = DatasetRoot.open(ctx.dataset)
    tids = list(root.triplets()["triplet_id"])
    if not tids:
        ctx.console.print("demo bench: no triplets to score")
        return
    methods = list(BASELINES) + ([] if ctx.quick else _fast_extra_methods(ctx, root, tids))
    run = ctx.out / "bench-run"
    summary = run_benchmark(root, run, methods, workers=ctx.workers, save_predictions=True)
    ctx.outputs["bench"] = run
    ctx.console.print(f"[bold]benchmarked[/bold] {', '.join(methods)} on {len(tids)} triplets "
                      f"({summary.rows_written} new rows, {summary.errors} with errors) → {run / 'results.parquet'}")


def step_report(ctx) -> None:
    from atdkit.bench.report import write_report

    if "bench" not in ctx.outputs:
        return
    rep = write_report(ctx.outputs["bench"], n_gallery=2)
    ctx.outputs["report"] = rep.html
    print(rep.leaderboard_markdown)
    ctx.console.print(f"[bold green]report:[/bold green] {rep.html}")
