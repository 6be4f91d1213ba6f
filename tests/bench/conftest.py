import pytest
from bench_fixtures import build_root

from atdkit.store.dataset import DatasetRoot


@pytest.fixture
def small_root(tmp_path) -> DatasetRoot:
    return build_root(tmp_path / "root")
