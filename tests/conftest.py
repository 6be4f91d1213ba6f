"""Session-wide test settings shared by every area."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The small real clips live in ../shared/testdata beside the checkout (CI lays a copy there too);
# $ATDKIT_TESTDATA overrides. Every area reads the clips through this variable.
os.environ.setdefault("ATDKIT_TESTDATA", str(REPO.parent / "shared" / "testdata"))


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Tests run two at a time (xdist on 2 cores): one intra-op torch thread each avoids
    oversubscription, which made torch tests several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
