"""Peak memory per call: what the runner records in ``peak_mem_mb``."""

import numpy as np

from atdkit.bench.memory import METHOD, PeakMemory


def _work(mib: int) -> float:
    a = np.ones(mib * 1024 * 1024 // 8)  # touched: resident
    return float(a.sum())


def test_repeated_calls_report_their_working_memory():
    """A second identical call reports the same growth (freed memory is trimmed between calls)."""
    seen = []
    for _ in range(2):
        with PeakMemory() as pm:
            _work(200)
        seen.append(pm.peak_mb)
    low = 190 if METHOD == "rss" else 195
    assert all(low <= mb <= 260 for mb in seen), seen


def test_a_call_that_allocates_little_reports_little():
    _work(200)
    with PeakMemory() as pm:
        _work(1)
    assert pm.peak_mb < 30
