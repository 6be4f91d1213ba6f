import pytest
import torch


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Tests run two per machine (xdist): one intra-op thread each avoids oversubscription."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
