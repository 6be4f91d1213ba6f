"""The demo's benchmark and report steps (appended to :data:`atdkit.demo.STEPS`).

``bench`` scores ``repeat``, ``blend`` and ``dis-flow`` on the demo dataset, plus
the other installed methods whose weights are present, within one time budget
(``ctx.method_budget_s``, ``atdkit demo --method-budget``; 0 = no limit): each
method's call is timed on one triplet (twice when the first projects past the
budget: it may include one-time set-up), then, fastest first, a method is scored
on every triplet when that fits what is left of the budget, else on an evenly
spaced subset of :data:`MIN_SUBSET` to :data:`MAX_SUBSET` triplets (a slow
method such as GMFSS appears with its smaller n), else skipped and listed
(``--quick``: the three only). ``report`` writes the report and prints the
leaderboard and the path of the HTML page.
"""

from __future__ import annotations

import time

from atdkit.bench.runner import DEFAULT_SIZE, check_methods
from atdkit.ops.resize import resize_lanczos

BASELINES = ("repeat", "blend", "dis-flow")
MIN_SUBSET = 6     # fewer triplets than this say too little: the method is skipped
MAX_SUBSET = 10    # a method that does not fit the whole set is scored on at most this many


def evenly_spaced(tids: list[str], n: int) -> list[str]:
    """``n`` of ``tids`` spread evenly over the list (all of them when n ≥ len)."""
    if n >= len(tids):
        return list(tids)
    return [tids[int(i * len(tids) / n)] for i in range(n)]


def _timed_call(method, f1, f3, context) -> float:
    """Seconds of one interpolation. The timed call has every core to itself; the bench's workers share
    them, so the projection is not divided by the workers."""
    start = time.perf_counter()
    method.interpolate(f1, f3, 0.5, context=context)
    return time.perf_counter() - start


def _extra_methods(ctx, root, tids: list[str]) -> dict[str, list[str]]:
    """Installed methods beyond the baselines whose weights are present → the triplets each is scored on
    within the budget (all, or an evenly spaced subset; see the module doc)."""
    from atdkit.methods import base

    timed: list[tuple[float, str]] = []
    f1, _, f3 = (resize_lanczos(f, DEFAULT_SIZE) for f in root.read_frames(tids[0]))
    for name in base.available():
        if name in BASELINES:
            continue
        try:
            check_methods([name])
            method = base.load(name)
            context = base.TripletContext(root.path, tids[0])
            per_call = _timed_call(method, f1, f3, context)
            if per_call * len(tids) > ctx.method_budget_s > 0:  # the first call may include one-time set-up
                per_call = min(per_call, _timed_call(method, f1, f3, context))
        except Exception as exc:  # missing weights, a broken plugin: the demo goes on without it
            first_line = (str(exc).splitlines() or [""])[0]
            ctx.console.print(f"demo bench: skipping {name} ({type(exc).__name__}: {first_line})")
            continue
        timed.append((per_call, name))
    chosen: dict[str, list[str]] = {}
    per_call = {name: seconds for seconds, name in timed}
    for name, n in budget_plan(timed, len(tids), ctx.method_budget_s).items():
        if n == len(tids):
            chosen[name] = list(tids)
        elif n:
            chosen[name] = evenly_spaced(tids, n)
            ctx.console.print(f"demo bench: {name} on {n} of {len(tids)} triplets (about {per_call[name]:.1f} s a "
                              f"triplet here; the rest of --method-budget {ctx.method_budget_s:.0f} s fits no more)")
        else:
            ctx.console.print(f"demo bench: skipping {name} (about {per_call[name]:.1f} s a triplet on this machine: "
                              f"{MIN_SUBSET} triplets do not fit the rest of --method-budget "
                              f"{ctx.method_budget_s:.0f} s)")
    return chosen


def budget_plan(timed: list[tuple[float, str]], n_triplets: int, budget_s: float) -> dict[str, int]:
    """How many triplets each method is scored on: fastest first, all when its projected time (seconds a
    call × triplets) fits what is left of ``budget_s`` (0 = no limit), else MIN_SUBSET–MAX_SUBSET that
    fit, else 0 (skipped)."""
    plan: dict[str, int] = {}
    left = budget_s
    for per_call, name in sorted(timed):
        if budget_s <= 0 or per_call * n_triplets <= left:
            plan[name] = n_triplets
        else:
            n = min(MAX_SUBSET, n_triplets, int(left / max(per_call, 1e-9)))
            plan[name] = n if n >= MIN_SUBSET else 0
        left -= per_call * plan[name]
    return plan


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
