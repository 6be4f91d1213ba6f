"""The same film re-encoded at another quality: strict mode refuses it with the per-film match share,
tolerance mode rebuilds it and records how near each triplet was."""

from __future__ import annotations

import json
import re

import pandas as pd
from cli_runner import run_cli
from recipe_helpers import error_lines, reencode

from atdkit.recipes.recipe import read_recipe
from atdkit.recipes.verify import verify_root


def _other_encode(film_paths, tmp_path):
    film = film_paths[0]
    mine = tmp_path / "mine"
    mine.mkdir()
    copy = reencode(film, mine / film.name, crf=30)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({film.stem: f"mine/{film.name}"}))  # by title, relative to the map file
    return film, copy, mapping


def test_strict_mode_refuses_another_encode_with_its_match_share(source, film_paths, tmp_path, capsys):
    film, copy, mapping = _other_encode(film_paths, tmp_path)
    root = tmp_path / "root"
    code, out, err = run_cli(["recipe", "build", str(root), str(source["recipe"]), "--films",
                              str(source["films"]), "--map", str(mapping)], capsys)
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1, err
    share = re.search(r"(\d+) of (\d+) frames \((\d+)%\) match the recipe", lines[0])
    assert share and str(copy) in lines[0] and "--tolerance" in lines[0]
    assert int(share[3]) < 50
    recipe = read_recipe(source["recipe"])
    film_id = recipe.films.set_index("title").loc[film.stem, "film_id"]
    listed = set(recipe.triplets.loc[recipe.triplets["film_id"] == film_id, "triplet_id"])
    record = pd.read_parquet(root / "recipe_build.parquet").set_index("triplet_id")
    refused = set(record.index[record["status"] == "mismatch"])
    assert refused and refused <= listed
    triplets = pd.read_parquet(root / "triplets.parquet")
    assert refused.isdisjoint(triplets["triplet_id"])                           # unverified never enter
    assert not any((root / "frames" / t).exists() for t in refused)
    assert set(triplets["film_id"]) <= set(recipe.films["film_id"])
    for tid in refused:  # the listing names each and says why
        assert tid in out


def test_tolerance_mode_rebuilds_another_encode_and_records_how_near(source, film_paths, tmp_path, capsys):
    film, copy, mapping = _other_encode(film_paths, tmp_path)
    root = tmp_path / "root"
    code, out, err = run_cli(["recipe", "build", str(root), str(source["recipe"]), "--films",
                              str(source["films"]), "--map", str(mapping), "--tolerance", "12"], capsys)
    assert code == 0, err
    record = pd.read_parquet(root / "recipe_build.parquet")
    recipe = read_recipe(source["recipe"])
    assert len(record) == len(recipe.triplets) and record["status"].isin(["built", "near"]).all()
    near = record[record["status"] == "near"]
    assert len(near) and (near["frames_exact"] < 3).all()
    assert near["phash_distance"].between(0, 12).all()
    assert near["film_path"].eq(str(copy.absolute())).all()
    assert "bits" in out  # the per-film table says how near
    # the near frames are the other encode's pixels: verify names them, the rest matches
    differences = verify_root(root, source["recipe"]).differences
    assert any(line.startswith("frames: ") and "different" in line for line in differences)
    assert not any(line.startswith("films:") for line in differences)


def test_a_copy_of_another_size_is_refused_in_one_line(source, film_paths, tmp_path, capsys):
    import cv2

    from atdkit.video import open_video
    from atdkit.video.writer import write_h264

    film = film_paths[0]
    smaller = tmp_path / "smaller.mp4"
    with open_video(film, "pyav", sequential=True) as reader:
        write_h264(smaller, (cv2.resize(f, (256, 144), interpolation=cv2.INTER_AREA) for f in reader.frames(0)),
                   fps=reader.fps)
    mapping = tmp_path / "map.toml"
    mapping.write_text(f'"{film.stem}" = "smaller.mp4"\n')
    code, out, err = run_cli(["recipe", "build", str(tmp_path / "root"), str(source["recipe"]), "--films",
                              str(source["films"]), "--map", str(mapping), "--tolerance", "64"], capsys)
    assert code == 1
    assert error_lines(err) == [f"error: {smaller}: film '{film.stem}' "
                                f"({read_recipe(source['recipe']).films.set_index('title').loc[film.stem, 'film_id']}): "
                                "its frames are 256×144, the recipe's 320×180"]
