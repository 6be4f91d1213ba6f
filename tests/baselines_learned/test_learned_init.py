"""Every learned network built without a checkpoint holds numbers its initialisation chose, never
whatever memory ``torch.empty`` returned: random-weight runs (tests, ``benchmarks/methods.py``,
training from scratch) must not depend on what the allocator held before.

Each network is built twice from one seed with the allocator's free memory filled with 7.0 in
between; an uninitialised tensor would take those values the second time (GMFlow's trident
convolution did: its weight was 1e33 after another test had run, and every flow came out NaN)."""

from __future__ import annotations

import importlib

import pytest
import torch

# "module:Class" or "module:Class:argument" for a class built with one argument
NETWORKS = ["atdkit.baselines.gmfss.model:GMFSSUnionNet", "atdkit.baselines.gmfss.fortuna:GMFSSFortunaNet:union",
            "atdkit.baselines.rife.ifnet:IFNet:4.6", "atdkit.methods.animeinterp.model:AnimeInterpNet",
            "atdkit.baselines.superslomo.model:SuperSloMoNet", "atdkit.baselines.adacof.model:AdaCoFNet",
            "atdkit.baselines.qvi.model:QVINet", "atdkit.baselines.dain.model:DAINNet",
            "atdkit.baselines.softsplat.model:SoftSplatNet"]


def _build(path: str) -> dict[str, torch.Tensor]:
    module, name, *args = path.split(":")
    cls = getattr(importlib.import_module(module), name)
    torch.manual_seed(0)
    net = cls(*args)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def _dirty_the_allocator() -> None:
    for n in (1 << 10, 1 << 16, 1 << 20, 1 << 22, 1 << 24):
        torch.full((n,), 7.0)


@pytest.mark.parametrize("path", NETWORKS, ids=[p.split(":")[1] for p in NETWORKS])
def test_a_network_built_from_a_seed_is_the_same_every_time_and_finite(path):
    first = _build(path)
    _dirty_the_allocator()
    second = _build(path)
    assert first.keys() == second.keys()
    for key in first:
        assert torch.isfinite(first[key].float()).all(), key
        assert torch.equal(first[key], second[key]), key
