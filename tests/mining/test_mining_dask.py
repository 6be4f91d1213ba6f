"""Mining on a real Dask cluster (two worker processes on 127.0.0.1) gives the local result."""

from __future__ import annotations

import pandas as pd
import pytest

from atdkit.mining.pipeline import mine
from atdkit.store.dataset import DatasetRoot


@pytest.mark.slow
def test_dask_cluster_mines_the_same_dataset(tmp_path, small_films):
    distributed = pytest.importorskip("distributed")
    local = tmp_path / "local"
    mine(small_films[:2], local, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        report = mine(small_films[:2], tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
    assert [r["status"] for r in report.results] == ["ok", "ok"]
    a = DatasetRoot.open(local).triplets().sort_values("triplet_id").reset_index(drop=True)
    b = DatasetRoot.open(tmp_path / "dask").triplets().sort_values("triplet_id").reset_index(drop=True)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)
