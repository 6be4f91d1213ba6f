"""The demo's last step (appended to :data:`atdkit.demo.STEPS`): export the demo dataset's recipe,
rebuild the dataset from it and the films into ``<out>/rebuilt``, and check that the rebuild matches."""

from __future__ import annotations

import shutil

from atdkit.errors import BadInput
from atdkit.recipes.build import build_from_recipe
from atdkit.recipes.export import export_recipe
from atdkit.recipes.recipe import read_recipe, recipe_size
from atdkit.recipes.verify import verify_root


def step_recipe(ctx) -> None:  # noqa: ANN001 - atdkit.demo.DemoContext (the demo imports this module)
    recipe_dir, rebuilt = ctx.out / "recipe", ctx.out / "rebuilt"
    dataset = ctx.dataset or ctx.out / "dataset"   # set by the mine step (absent with --only recipe)
    export_recipe(dataset, recipe_dir)
    shutil.rmtree(rebuilt, ignore_errors=True)  # the demo's own product: a fresh rebuild every run
    report = build_from_recipe(recipe_dir, rebuilt, [ctx.out / "films"], progress=False)  # 3 short films: one process beats spawning workers
    check = verify_root(rebuilt, recipe_dir)
    if report.errors or not check.matches:
        raise BadInput(f"{rebuilt}: the rebuild from {recipe_dir} did not match: "
                       + "; ".join(report.errors + check.differences)[:500])
    recipe = read_recipe(recipe_dir)
    ctx.outputs["recipe"] = check.counts
    ctx.console.print(f"[bold green]recipe:[/bold green] {recipe_dir} ({len(recipe.films)} films, "
                      f"{len(recipe.triplets)} triplets, {recipe_size(recipe_dir) / 1e3:.0f} kB, no frames); "
                      f"rebuilt from the films into {rebuilt}: {check.counts['triplets']} triplets, "
                      f"{check.counts['frames']} frames and {check.counts['labels']} labels match the recipe")
