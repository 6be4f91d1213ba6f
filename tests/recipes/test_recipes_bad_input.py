"""Bad input gives one clear line each: a missing film, a recipe of a newer schema version, a tampered
recipe, a truncated film; a partial build lists exactly which triplets are missing and why."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow.parquet as pq
from cli_runner import run_cli
from recipe_helpers import error_lines

from atdkit.recipes.recipe import read_recipe


def _build(root, recipe, films, capsys, *extra):
    return run_cli(["recipe", "build", str(root), str(recipe), "--films", str(films), *extra], capsys)


def test_a_missing_film_gives_one_line_and_the_partial_build_lists_its_triplets(source, film_paths, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(film_paths[1], mine / film_paths[1].name)      # only the second film
    code, out, err = _build(tmp_path / "root", source["recipe"], mine, capsys)
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1 and "'film1'" in lines[0] and "not found under" in lines[0] and str(mine) in lines[0]
    recipe = read_recipe(source["recipe"])
    gone_film = recipe.films.set_index("title").loc["film1", "film_id"]
    expected = set(recipe.triplets.loc[recipe.triplets["film_id"] == gone_film, "triplet_id"])
    record = pd.read_parquet(tmp_path / "root" / "recipe_build.parquet")
    missing = record[record["status"] == "missing"]
    assert set(missing["triplet_id"]) == expected                                  # exactly those
    assert missing["detail"].str.contains("not found under").all()
    assert f"{len(expected)} triplet(s) not built" in out and all(t in out for t in expected)
    built = pd.read_parquet(tmp_path / "root" / "triplets.parquet")
    assert len(built) == len(recipe.triplets) - len(expected)                      # the other film is built
    consensus = pd.read_parquet(tmp_path / "root" / "consensus.parquet")
    assert set(consensus["triplet_id"]) == set(built["triplet_id"])


def test_a_recipe_of_a_newer_schema_version_is_refused(source, recipe_copy, tmp_path, capsys):
    header = json.loads((recipe_copy / "recipe.json").read_text())
    header["schema_version"] = 99
    (recipe_copy / "recipe.json").write_text(json.dumps(header))
    code, out, err = _build(tmp_path / "root", recipe_copy, source["films"], capsys)
    assert code == 1
    assert error_lines(err) == [f"error: {recipe_copy / 'recipe.json'}: schema version 99 is newer than this "
                                f"atdkit reads (1); upgrade atdkit (it has {__import__('atdkit').__version__})"]
    assert not (tmp_path / "root").exists()


def test_a_tampered_recipe_is_refused(source, recipe_copy, tmp_path, capsys):
    table = pq.read_table(recipe_copy / "triplets.parquet").to_pandas()
    table.loc[0, "f2"] += 1                                    # a frame index changed, the hash not updated
    table.to_parquet(recipe_copy / "triplets.parquet")
    code, out, err = run_cli(["recipe", "verify", str(source["root"]), str(recipe_copy)], capsys)
    assert code == 1
    assert error_lines(err) == [f"error: {recipe_copy / 'triplets.parquet'}: sha256 differs from the one "
                                "recipe.json records (the recipe was altered or damaged)"]
    code, out, err = _build(tmp_path / "root", recipe_copy, source["films"], capsys)
    assert code == 1 and len(error_lines(err)) == 1 and "altered or damaged" in err


def test_a_truncated_film_gives_one_line_naming_it(source, film_paths, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(film_paths[1], mine / film_paths[1].name)
    data = film_paths[0].read_bytes()
    (mine / film_paths[0].name).write_bytes(data[: len(data) // 2])    # same name, cut in half
    code, out, err = _build(tmp_path / "root", source["recipe"], mine, capsys)
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1 and str(mine / film_paths[0].name) in lines[0] and "'film1'" in lines[0], err
    assert "not a readable video" in lines[0] or "truncated" in lines[0]


def test_a_missing_recipe_and_a_missing_films_folder_are_one_line(source, tmp_path, capsys):
    code, _, err = _build(tmp_path / "root", tmp_path / "nowhere", source["films"], capsys)
    assert code == 1 and error_lines(err) == [f"error: {tmp_path / 'nowhere'}: not a recipe (no recipe.json)"]
    code, _, err = _build(tmp_path / "root2", source["recipe"], tmp_path / "nofilms", capsys)
    assert code == 1 and error_lines(err) == [f"error: {tmp_path / 'nofilms'}: not a folder of films"]
