"""Fixtures for the recipe tests: two small synthetic films, mined and labelled from their truth once
per session, and the recipe exported from that root. Tests copy what they change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atdkit.labels.consensus import write_consensus
from atdkit.mining.pipeline import mine
from atdkit.recipes.export import export_recipe
from atdkit.store.dataset import DatasetRoot
from atdkit.synth import synthesize
from atdkit.synth.truth import label_from_truth

SMALL = {"length_s": 2.5, "fps": 24, "width": 320, "height": 180}


@pytest.fixture(scope="session")
def source(tmp_path_factory) -> dict[str, Path]:
    """{"films": folder of two films, "root": their mined, labelled root, "recipe": its recipe}."""
    base = tmp_path_factory.mktemp("recipe-source")
    films = [synthesize(base / "films" / f"film{seed}.mp4", seed=seed, style=style, **SMALL)
             for seed, style in ((1, "cel"), (2, "anime"))]
    root = base / "root"
    report = mine(films, root, progress=False)
    assert not report.failed
    assert label_from_truth(root) > 0
    write_consensus(DatasetRoot.open(root))  # what `atdkit consensus` does
    return {"films": base / "films", "root": root, "recipe": export_recipe(root, base / "recipe")}


@pytest.fixture
def recipe_copy(source, tmp_path) -> Path:
    """A copy of the session's recipe that a test may alter."""
    return Path(shutil.copytree(source["recipe"], tmp_path / "recipe"))


@pytest.fixture
def film_paths(source) -> list[Path]:
    return sorted(source["films"].glob("*.mp4"))
