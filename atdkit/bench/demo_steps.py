"""The demo's benchmark and report steps (appended to :data:`atdkit.demo.STEPS`).

``bench`` scores ``repeat``, ``blend`` and ``dis-flow`` on the demo dataset,
plus any other installed method whose weights are present: on every triplet when
its first call, timed on one triplet, projects to at most ``ctx.method_budget_s``
seconds for the whole dataset (``atdkit demo --method-budget``; 0 = no limit),
else on an evenly spaced subset of :data:`MIN_SUBSET` to :data:`MAX_SUBSET`
triplets, while the slow methods together fit :data:`SLOW_SHARE` of that budget
(in the registry's order; one that no longer fits is skipped and listed), so the
demo stays a few minutes long and a slow method (GMFSS) still appears, with its
smaller n (``--quick``: the three only). ``report``
writes the report and prints the leaderboard and the path of the HTML page.
"""

from __future__ import annotations

import time

from atdkit.bench.runner import DEFAULT_SIZE, check_methods
from atdkit.ops.resize import resize_lanczos

BASELINES = ("repeat", "blend", "dis-flow")
SLOW_SHARE = 0.4   # the methods too slow for the whole set share this part of the budget, on subsets
MIN_SUBSET = 6     # fewer triplets than this say too little: the method is skipped
MAX_SUBSET = 10


def evenly_spaced(tids: list[str], n: int) -> list[str]:
    """``n`` of ``tids`` spread evenly over the list (all of them when n ≥ len)."""
    if n >= len(tids):
        return list(tids)
    return [tids[int(i * len(tids) / n)] for i in range(n)]


def _extra_methods(ctx, root, tids: list[str]) -> dict[str, list[str]]:
    """Installed methods beyond the baselines whose weights are present → the triplets each can be scored
    on within the budget (all, or an evenly spaced subset)."""
    from atdkit.methods import base

    chosen: dict[str, list[str]] = {}
    slow_pool = SLOW_SHARE * ctx.method_budget_s
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
            per_call = time.perf_counter() - start
        except Exception as exc:  # missing weights, a broken plugin: the demo goes on without it
            first_line = (str(exc).splitlines() or [""])[0]
            ctx.console.print(f"demo bench: skipping {name} ({type(exc).__name__}: {first_line})")
            continue
        projected = per_call * len(tids)
        subset = min(MAX_SUBSET, len(tids), int(slow_pool / max(per_call, 1e-9)))
        if ctx.method_budget_s <= 0 or projected <= ctx.method_budget_s:
            chosen[name] = list(tids)
        elif subset >= MIN_SUBSET:
            chosen[name] = evenly_spaced(tids, subset)
            slow_pool -= subset * per_call
            ctx.console.print(f"demo bench: {name} on {subset} of {len(tids)} triplets (about {per_call:.1f} s a "
                              f"triplet here; all would take {projected:.0f} s > --method-budget "
                              f"{ctx.method_budget_s:.0f} s)")
        else:
            ctx.console.print(f"demo bench: skipping {name} (about {per_call:.1f} s a triplet on this machine: "
                              f"{MIN_SUBSET} triplets do not fit what is left of the slow methods' "
                              f"{SLOW_SHARE:.0%} of --method-budget {ctx.method_budget_s:.0f} s)")
    return chosen


def step_bench(ctx) -> None:
    from atdkit.bench.runner import run_benchmark
    from atdkit.store.dataset import DatasetRoot

    root = DatasetRoot.open(ctx.dataset)
    tids = list(root.triplets()["triplet_id"])
    if not tids:
        ctx.console.print("demo bench: no triplets to score")
        return
    extra = {} if ctx.quick else _extra_methods(ctx, root, tids)
    full = list(BASELINES) + [m for m, sub in extra.items() if len(sub) == len(tids)]
    run = ctx.out / "bench-run"
    summary = run_benchmark(root, run, full, workers=ctx.workers, save_predictions=True)
    rows, errors = summary.rows_written, summary.errors
    for method, sub in extra.items():
        if len(sub) < len(tids):
            part = run_benchmark(root, run, [method], workers=ctx.workers, save_predictions=True, triplet_ids=sub,
                                 shard_size=-(-len(sub) // max(1, ctx.workers)))  # one shard per worker
            rows, errors = rows + part.rows_written, errors + part.errors
    ctx.outputs["bench"] = run
    ctx.console.print(f"[bold]benchmarked[/bold] {', '.join([*full, *(m for m in extra if m not in full)])} on "
                      f"{len(tids)} triplets ({rows} new rows, {errors} with errors) → {run / 'results.parquet'}")


def step_report(ctx) -> None:
    from atdkit.bench.report import write_report

    if "bench" not in ctx.outputs:
        return
    rep = write_report(ctx.outputs["bench"], n_gallery=2)
    ctx.outputs["report"] = rep.html
    print(rep.leaderboard_markdown)
    ctx.console.print(f"[bold green]report:[/bold green] {rep.html}")
