"""SIGKILL at seeded random moments, resume, compare with an uninterrupted run (fault_harness).

20 killed-and-resumed trials in all: 8 of annotation submissions, 6 of ``bench``, 3 of ``atdkit sgm``,
3 of two-worker ``mine`` (its spawned workers make it the costly one). benchmarks/faults.py runs more. Every trial's process group (pool workers included) is killed, the work is
run again to the end, and its tables and files must equal the uninterrupted run's.
"""

from __future__ import annotations

import pytest

import fault_harness as harness

TRIALS = {"annotate": 8, "bench": 6, "sgm": 3, "mine": 3}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-base")
    films, _ = harness.make_base(folder)
    return folder, films


@pytest.mark.parametrize("workload", [
    "annotate", "bench",
    pytest.param("sgm", marks=pytest.mark.slow),
    pytest.param("mine", marks=pytest.mark.slow),
])
def test_killed_and_resumed_equals_uninterrupted(workload, base, tmp_path):
    folder, films = base
    tally = harness.trials(workload, TRIALS[workload], seed=14, base=folder, films=films, scratch=tmp_path)
    assert tally.killed_trials == TRIALS[workload], tally     # every trial was killed at least once
    assert tally.rows_compared > 0
    assert tally.failures == []
