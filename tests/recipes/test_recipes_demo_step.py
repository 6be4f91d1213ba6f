"""`atdkit demo` ends by exporting the dataset's recipe, rebuilding the dataset from it and the films, and
saying that the rebuild matched."""

from __future__ import annotations

import io
import json

from rich.console import Console

from atdkit.demo import STEPS, run_demo
from atdkit.recipes.verify import verify_root


def test_the_demo_ends_by_rebuilding_its_dataset_from_the_recipe(tmp_path):
    names = [name for name, _ in STEPS]
    assert names.index("recipe") > max(names.index(n) for n in ("label", "bench", "report"))  # after the work
    manifest = tmp_path / "films.json"
    manifest.write_text(json.dumps({"films": [
        {"name": "a", "seed": 5, "length_s": 2.0, "fps": 24, "width": 320, "height": 180, "style": "cel"},
        {"name": "b", "seed": 6, "length_s": 2.0, "fps": 24, "width": 320, "height": 180, "style": "mono"}]}))
    text = io.StringIO()
    ctx = run_demo(tmp_path / "demo", workers=1, console=Console(file=text, width=400), manifest=manifest,
                   only=["synthesize", "mine", "label", "recipe"])
    out = text.getvalue()
    assert "match the recipe" in out and str(tmp_path / "demo" / "rebuilt") in out
    n = ctx.outputs["recipe"]["triplets"]
    assert n > 0 and f"{n} triplets, {3 * n} frames and {n} labels match the recipe" in out
    assert verify_root(tmp_path / "demo" / "rebuilt", tmp_path / "demo" / "recipe").matches
    assert verify_root(tmp_path / "demo" / "dataset", tmp_path / "demo" / "recipe").matches  # the recipe is the dataset's
