"""``atdkit recipe export|build|verify``: publish a dataset without its frames, rebuild it from one's
own films, check a root against a recipe (see :mod:`atdkit.recipes`)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from atdkit.cli.app import BUILD, app
from atdkit.cli.options import new_root_argument, root_argument
from atdkit.errors import BadArgument

recipe_app = typer.Typer(help="Dataset recipes: publish a dataset without its frames (export), rebuild it "
                              "from one's own films (build), check a root against one (verify).",
                         no_args_is_help=True)
app.add_typer(recipe_app, name="recipe", rich_help_panel=BUILD)
console = Console(stderr=True)


def _titles(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, title = v.partition("=")
        if not sep or not key or not title:
            raise BadArgument(f"--title {v!r}: expected FILM=TITLE (FILM: film id or file name)")
        out[key] = title
    return out


@recipe_app.command()
def export(root: Path = root_argument(),
           out_dir: Path = typer.Argument(..., metavar="OUT_DIR", help="folder the recipe is written into"),
           title: list[str] = typer.Option([], "--title", help="FILM=TITLE: a film's title (FILM: its id or "
                                           "file name; default: the file name without extension); repeatable"),
           with_candidates: bool = typer.Option(False, "--with-candidates", help="also list the rejected candidate "
                                                "triplets (the miner's record; about 20 rows per triplet)")) -> None:
    """Write the recipe of a dataset root: films and frames by their hashes, mining config, labels."""
    from atdkit.recipes.export import export_recipe
    from atdkit.recipes.recipe import read_recipe, recipe_size

    path = export_recipe(root, out_dir, _titles(title), with_candidates)
    recipe = read_recipe(path)
    print(f"wrote recipe {path}: {len(recipe.films)} films, {len(recipe.triplets)} triplets, "
          f"{len(recipe.labels)} labels, {recipe_size(path) / 1e6:.2f} MB")


@recipe_app.command()
def build(root: Path = new_root_argument("dataset root to build (created, or resumed when it exists)"),
          recipe: Path = typer.Argument(..., metavar="RECIPE", help="recipe folder (or its recipe.json)"),
          films: list[Path] = typer.Option([], "--films", help="folder searched for the films (recursive); "
                                           "repeatable"),
          map_file: Path = typer.Option(None, "--map", help="JSON or TOML object: film id or title → film file, "
                                        "for a copy that is another encode or release"),
          tolerance: int = typer.Option(None, "--tolerance", min=0, max=64,
                                        help="accept frames whose pHash is within this many bits (of 64) of the "
                                        "recipe's; how near is recorded in recipe_build.parquet (default: exact)"),
          workers: int = typer.Option(1, help="processes building films in parallel (one film per unit)"),
          scheduler: str = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786")) -> None:
    """Rebuild a dataset from a recipe and one's own films (resumable); only verified frames enter."""
    from atdkit.recipes.build import build_from_recipe
    from atdkit.recipes.locate import read_mapping

    if not films and map_file is None:
        raise BadArgument("say where the films are: --films DIR (repeatable) and/or --map FILE")
    report = build_from_recipe(recipe, root, films, read_mapping(map_file) if map_file else None,
                               tolerance=tolerance, workers=workers, scheduler=scheduler)
    table = Table("film", "found by", "status", "triplets built", "frames exact", "farthest pHash")
    for f in report.films:
        checked = f.get("frames_checked")
        exact = f"{f['frames_exact']}/{checked} ({f['frames_exact'] / max(checked, 1):.0%})" if checked else "-"
        table.add_row(f["title"], f.get("found") or "-", f["status"], f"{f.get('built', 0)}/{f['listed']}", exact,
                      f"{f['max_distance']} bits" if f.get("frames_exact") != checked else "-")
    out = Console()  # the results on stdout; progress and messages on stderr
    out.print(table)
    missing = report.missing
    if len(missing):
        gone = Table("triplet", "status", "why", title=f"{len(missing)} triplet(s) not built")
        for r in missing.itertuples():
            gone.add_row(r.triplet_id, r.status, r.detail or "")
        out.print(gone)
    built = len(report.record) - len(missing)
    console.print(f"dataset: {report.root} ({built} of {len(report.record)} triplets)")
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    if len(missing) or report.errors:
        raise typer.Exit(1)


@recipe_app.command()
def verify(root: Path = root_argument(),
           recipe: Path = typer.Argument(..., metavar="RECIPE", help="recipe folder (or its recipe.json)")) -> None:
    """Check a dataset root against a recipe; print what differs (exit 1 when anything does)."""
    from atdkit.recipes.verify import verify_root

    result = verify_root(root, recipe)
    for line in result.differences:
        print(line)
    c = result.counts
    if result.matches:
        print(f"{root} matches {recipe}: {c['films']} films, {c['triplets']} triplets, {c['frames']} frames, "
              f"{c['labels']} labels")
        return
    print(f"{root} differs from {recipe} in {len(result.differences)} way(s)", file=sys.stderr)
    raise typer.Exit(1)
