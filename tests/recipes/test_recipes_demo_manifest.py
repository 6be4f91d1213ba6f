"""data_manifests/demo is the recipe of the demo dataset: films regenerated from their seeds rebuild it."""

from __future__ import annotations

from pathlib import Path

import pytest

from atdkit.demo import MANIFEST, load_manifest
from atdkit.recipes.build import build_from_recipe
from atdkit.recipes.recipe import read_recipe
from atdkit.recipes.verify import verify_root
from atdkit.synth import synthesize

DEMO_RECIPE = Path(__file__).resolve().parents[2] / "data_manifests" / "demo"
STALE = ("data_manifests/demo is stale (the synthetic films or the miner changed): regenerate it as "
         "data_manifests/README.md says")


@pytest.mark.slow
def test_films_regenerated_from_their_seeds_rebuild_the_demo_recipe(tmp_path):
    recipe = read_recipe(DEMO_RECIPE)
    specs = load_manifest(MANIFEST)
    assert sorted(recipe.films["title"]) == sorted(s["name"] for s in specs), STALE
    for s in specs:
        synthesize(tmp_path / "films" / f"{s['name']}.mp4", length_s=s["length_s"], fps=s["fps"],
                   width=s["width"], height=s["height"], seed=s["seed"], style=s["style"])
    report = build_from_recipe(DEMO_RECIPE, tmp_path / "root", [tmp_path / "films"], progress=False)
    assert report.errors == [], STALE
    assert [f["found"] for f in report.films] == ["sha256"] * len(specs), STALE
    assert len(report.record) == len(recipe.triplets) > 0 and set(report.record["status"]) == {"built"}
    assert verify_root(tmp_path / "root", DEMO_RECIPE).matches


def test_the_demo_recipe_was_mined_with_the_current_mining_config():
    """The miner's config carries a version that grows when what it keeps changes: a recipe mined with
    another is stale (cheap; the rebuild test above checks the films)."""
    import json

    from atdkit.mining.config import MiningConfig

    stored = read_recipe(DEMO_RECIPE).dataset_meta["config"]["mining"]
    assert stored == json.loads(json.dumps(MiningConfig().to_dict())), STALE
