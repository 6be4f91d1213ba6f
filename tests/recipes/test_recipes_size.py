"""A recipe of 12,000 triplets (hashes are incompressible) stays under a few MB and reads back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from atdkit.recipes.recipe import read_recipe, recipe_size, write_recipe
from atdkit.store.schema import CANDIDATES, CONSENSUS, RECIPE_FILMS

N_TRIPLETS, N_FILMS = 12_000, 40
LIMIT_BYTES = 4_000_000


def _hex(rng: np.random.Generator, n: int, digits: int) -> list[str]:
    return [bytes(b).hex() for b in rng.integers(0, 256, size=(n, digits // 2), dtype=np.uint8)]


def _tables(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    film_ids = _hex(rng, N_FILMS, 16)
    films = pd.DataFrame({"film_id": film_ids, "title": [f"Film {i}" for i in range(N_FILMS)],
                          "file_name": [f"film{i}.mkv" for i in range(N_FILMS)], "size_bytes": 2_000_000_000,
                          "sha256": _hex(rng, N_FILMS, 64), "stream_sha256": _hex(rng, N_FILMS, 64),
                          "fps": 23.976, "n_frames": 34_000, "width": 1920, "height": 1080, "duration_s": 1418.0,
                          "status": "ok", "backend": "pyav", "n_triplets": N_TRIPLETS // N_FILMS,
                          "cadence": json.dumps([{"shot": s, "start": 80 * s, "end": 80 * s + 80, "cadence": "2"}
                                                 for s in range(300)])})
    film = rng.integers(0, N_FILMS, N_TRIPLETS)
    f1 = rng.integers(0, 34_000, N_TRIPLETS)
    stride = rng.integers(1, 4, N_TRIPLETS)
    frame_hash, frame_phash = _hex(rng, 3 * N_TRIPLETS, 32), _hex(rng, 3 * N_TRIPLETS, 16)
    triplets = pd.DataFrame({
        "triplet_id": [f"{film_ids[k]}-{a:06d}-s{s}" for k, a, s in zip(film, f1, stride)],
        "film_id": [film_ids[k] for k in film], "f1": f1, "f2": f1 + stride, "f3": f1 + 2 * stride, "stride": stride,
        "t1": f1 / 23.976, "t2": (f1 + stride) / 23.976, "t3": (f1 + 2 * stride) / 23.976,
        "shot": f1 // 80, **{c: rng.random(N_TRIPLETS) for c in ("ssim_12", "ssim_23", "ssim_13", "mid_position",
                                                                  "mid_detour", "flow_mean", "flow_p95", "occlusion",
                                                                  "prop_x", "prop_y", "prop_w", "prop_h")},
        "changes_12": 1, "changes_23": 1, "timing_balanced": True, "cadence": "2", "auto_difficulty": "medium",
        "phash": [h[1] for h in zip(range(N_TRIPLETS), frame_phash[1::3])], "split": "train",
        "width": 1920, "height": 1080, "source": "mined",
        "frame_hash": [frame_hash[3 * i:3 * i + 3] for i in range(N_TRIPLETS)],
        "frame_phash": [frame_phash[3 * i:3 * i + 3] for i in range(N_TRIPLETS)]})
    triplets = triplets.drop_duplicates("triplet_id")
    n_cand = 5 * N_TRIPLETS
    cf1 = rng.integers(0, 34_000, n_cand)
    candidates = pd.DataFrame({"film_id": [film_ids[k] for k in rng.integers(0, N_FILMS, n_cand)], "f1": cf1,
                               "f2": cf1 + 1, "f3": cf1 + 2, "stride": 1, "shot": cf1 // 80,
                               "ssim_12": rng.random(n_cand), "ssim_23": rng.random(n_cand),
                               "ssim_13": rng.random(n_cand), "reason": "held drawing", "detail": None})
    labels = pd.DataFrame({"triplet_id": triplets["triplet_id"], "status": "accepted", "n_votes": 3, "n_accept": 3,
                           **{c: rng.random(len(triplets)) * 900 for c in ("roi_x", "roi_y", "roi_w", "roi_h")},
                           "roi_image_w": 1920, "roi_image_h": 1080, "roi_iou": rng.random(len(triplets)),
                           "roi_flag": False, "difficulty": "medium", "motion_type": "rotation",
                           "behavior": "normal", "source": "human", "adjudicated": False})
    assert list(films.columns) != list(RECIPE_FILMS.names) and set(CANDIDATES.names) == set(candidates.columns)
    assert set(labels.columns) <= set(CONSENSUS.names)
    return {"films": films, "triplets": triplets, "candidates": candidates, "labels": labels}


def test_a_12000_triplet_recipe_stays_under_a_few_mb(tmp_path):
    tables = _tables(np.random.default_rng(19))
    assert len(tables["triplets"]) > 11_900
    meta = {"name": "big", "config": {"mining": {"strides": [1, 2, 3]}}}
    candidates = tables.pop("candidates")
    path = write_recipe(tmp_path / "recipe", meta, tables)                     # the default export
    size = recipe_size(path)
    assert size < LIMIT_BYTES, f"{size / 1e6:.2f} MB"
    back = read_recipe(path)
    assert len(back.triplets) == len(tables["triplets"]) and not back.has_candidates and not len(back.candidates)
    assert back.triplets.sort_values("triplet_id")["frame_hash"].map(list).tolist() == \
        tables["triplets"].sort_values("triplet_id")["frame_hash"].tolist()
    full = write_recipe(tmp_path / "full", meta, {**tables, "candidates": candidates})  # --with-candidates
    assert read_recipe(full).has_candidates and len(read_recipe(full).candidates) == len(candidates)
    print(f"12,000-triplet recipe: {size / 1e6:.2f} MB "
          f"({', '.join(f'{p.name} {p.stat().st_size / 1e6:.2f}' for p in sorted(path.iterdir()))}); "
          f"with {len(candidates)} candidates {recipe_size(full) / 1e6:.2f} MB")
