"""Kill-and-resume fault trials, many of them: the suite of tests/faults/ at a larger count.

Each trial runs a workload (two-worker ``mine``, ``bench``, ``atdkit sgm``, annotation submissions
through the queue) in its own process group, SIGKILLs the group at a seeded random moment within
the span of an uninterrupted run (once or twice), runs the work again to the end and compares the
tables (sorted; timestamps, timings and the run id excluded: see tests/faults/fault_harness.py) and
the bytes of every frame, prediction and flow file with the uninterrupted run's.

    .venv/bin/python benchmarks/faults.py [--trials 200] [--seed 0] [--workloads mine,bench,sgm,annotate]

Prints, per workload and in all: trials, trials killed, kills, rows compared, files compared,
differences found (each difference on its own line). Exit status 1 when any difference was found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "faults"))

import fault_harness as harness  # noqa: E402  (tests/faults/fault_harness.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="trials in all, shared among the workloads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workloads", default=",".join(harness.WORKLOADS))
    args = parser.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = set(workloads) - set(harness.WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s) {sorted(unknown)}; choose from {', '.join(harness.WORKLOADS)}")
    per = {w: args.trials // len(workloads) + (i < args.trials % len(workloads)) for i, w in enumerate(workloads)}
    total = harness.Tally()
    print(f"{'workload':10} {'trials':>6} {'killed':>6} {'kills':>5} {'rows':>8} {'files':>7} {'diffs':>5} {'s':>6}")
    with tempfile.TemporaryDirectory(prefix="atdkit-faults-") as tmp:
        base = Path(tmp) / "base"
        films, _ = harness.make_base(base)
        for w in workloads:
            t = time.perf_counter()
            tally = harness.trials(w, per[w], args.seed, base, films, Path(tmp) / "scratch")
            print(f"{w:10} {tally.trials:6d} {tally.killed_trials:6d} {tally.kills:5d} {tally.rows_compared:8d} "
                  f"{tally.files_compared:7d} {len(tally.failures):5d} {time.perf_counter() - t:6.1f}", flush=True)
            for field in ("trials", "killed_trials", "kills", "rows_compared", "files_compared"):
                setattr(total, field, getattr(total, field) + getattr(tally, field))
            total.failures += tally.failures
    print(f"{'all':10} {total.trials:6d} {total.killed_trials:6d} {total.kills:5d} {total.rows_compared:8d} "
          f"{total.files_compared:7d} {len(total.failures):5d}")
    for line in total.failures:
        print("difference:", line)
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
