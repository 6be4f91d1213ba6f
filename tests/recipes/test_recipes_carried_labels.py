"""A rebuilt root's labels come from the recipe, not from votes: recomputing the consensus keeps them,
exporting the rebuilt root carries them on, and the first vote on a triplet starts its consensus anew."""

from __future__ import annotations

import pandas as pd
from cli_runner import run_cli

from atdkit.labels import judgements
from atdkit.labels.consensus import compute
from atdkit.recipes.build import build_from_recipe
from atdkit.recipes.recipe import read_recipe
from atdkit.store.dataset import DatasetRoot


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("triplet_id").reset_index(drop=True)


def test_consensus_on_a_rebuilt_root_keeps_the_recipe_labels(source, tmp_path, capsys):
    root_path = tmp_path / "rebuilt"
    build_from_recipe(source["recipe"], root_path, [source["films"]], progress=False)
    recipe_labels = _labels(read_recipe(source["recipe"]).labels)
    assert recipe_labels["status"].eq("accepted").any()
    assert not (root_path / "labels" / "votes").exists() or not any((root_path / "labels" / "votes").iterdir())

    code, _, err = run_cli(["consensus", str(root_path)], capsys)
    assert code == 0, err
    after = _labels(pd.read_parquet(root_path / "consensus.parquet"))
    pd.testing.assert_frame_equal(after, recipe_labels, check_dtype=False)

    code, out, err = run_cli(["recipe", "export", str(root_path), str(tmp_path / "again")], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(_labels(read_recipe(tmp_path / "again").labels), recipe_labels, check_dtype=False)


def test_a_vote_on_a_carried_triplet_starts_its_consensus_afresh(source, tmp_path):
    root_path = tmp_path / "rebuilt"
    build_from_recipe(source["recipe"], root_path, [source["films"]], progress=False)
    root = DatasetRoot.open(root_path)
    carried = _labels(root.carried_labels())
    accepted = carried.loc[carried["status"] == "accepted", "triplet_id"].iloc[0]
    judgements.write(root, judgements.Judgement(accepted, "ann1", accept=False, reason="scene cut"))

    table = _labels(compute(root)).set_index("triplet_id")
    row = table.loc[accepted]
    assert (row["status"], row["n_votes"], row["n_accept"], row["source"]) == ("pending", 1, 0, "human")
    others = carried[carried["triplet_id"] != accepted].set_index("triplet_id")
    pd.testing.assert_frame_equal(table.loc[others.index], others, check_dtype=False)
