"""Perceptual-hash near-duplicates across the dataset: a re-encoded copy of a film counts once."""

from __future__ import annotations

import numpy as np

from atdkit.mining.dedup import find_duplicates, hamming, phash
from atdkit.mining.pipeline import film_identity, mine
from atdkit.store.dataset import DatasetRoot
from atdkit.video import open_video
from atdkit.video.writer import write_h264


def test_phash_is_stable_under_noise_and_tells_pictures_apart(small_film):
    frames = list(open_video(small_film))
    noisy = np.clip(frames[5].astype(int) + np.random.default_rng(0).normal(0, 2, frames[5].shape), 0, 255)
    assert hamming(phash(frames[5]), phash(noisy.astype(np.uint8))) <= 4
    assert hamming(phash(frames[0]), phash(frames[-1])) > 4
    assert len(phash(frames[0])) == 16


def test_find_duplicates_keeps_the_first_in_film_order():
    import pandas as pd

    df = pd.DataFrame({"triplet_id": ["b-1", "a-2", "a-1"], "film_id": ["b", "a", "a"], "f1": [1, 2, 1],
                       "stride": [1, 1, 1], "phash": ["ffff000000000000", "0000000000000001", "0000000000000000"]})
    assert find_duplicates(df, 4) == {"a-2": "a-1"}
    assert find_duplicates(df, -1) == {}


def test_reencoded_copy_is_dropped_as_near_duplicate(tmp_path, small_film):
    copy = tmp_path / "reencoded.mp4"
    write_h264(copy, open_video(small_film), crf=26)  # same pictures, other bytes
    out = tmp_path / "root"
    report = mine([small_film, copy], out, progress=False)
    root = DatasetRoot.open(out)
    ids = {film_identity(small_film)[0], film_identity(copy)[0]}
    assert len(ids) == 2 and report.duplicates_dropped > 0
    first, second = sorted(ids)
    kept = root.triplets()
    dups = root.candidates()[root.candidates()["reason"] == "near-duplicate"]
    assert len(dups) >= report.duplicates_dropped  # some are repeats inside a shot, rejected while sampling
    # the film visited later loses its copies (a film may also hold near-duplicates of itself)
    assert dups[dups["film_id"] == second]["detail"].str.contains(f"kept triplet {first}-").sum() >= 3
    assert (kept["film_id"] == second).sum() <= 0.2 * (kept["film_id"] == first).sum()
    for d in dups.itertuples():
        assert not root.frames_dir(f"{d.film_id}-{d.f1:06d}-s{d.stride}").exists()
    films = root.films().set_index("film_id")
    assert films.loc[second, "n_triplets"] == (kept["film_id"] == second).sum()
    again = mine([small_film, copy], out, progress=False)  # idempotent
    assert again.duplicates_dropped == 0 and len(DatasetRoot.open(out).triplets()) == len(kept)
