"""Synthetic films' timing: the truth's middle-drawing offsets, the timing category of mined triplets,
and shot plans in which every motion type and behaviour occurs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from mining_helpers import load_truth_json

from atdkit.mining.pipeline import film_identity, mine
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import latest_annotations
from atdkit.store.schema import BEHAVIORS, MOTION_TYPES
from atdkit.store.timing import TRUTH_CLASSES, timing_class, triplet_timing
from atdkit.synth import synthesize
from atdkit.synth.plan import FilmPlan, Piece, Pose, Shot, ease, make_plan
from atdkit.synth.timing import MOVE_CHANGE, UNEVEN_DRAWINGS, middle_offset
from atdkit.synth.truth import label_from_truth

TIMED = {"length_s": 3.0, "fps": 24, "width": 320, "height": 180}


def _one_piece_plan(curve: str, cadence: int = 1) -> FilmPlan:
    """One shot of 30 frames, a fixed camera, one piece translating from x=60 to x=260 with ``curve``."""
    square = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    piece = Piece(0, "prop", "translation", 20.0, square, (200, 40, 40),
                  [(0, Pose(60.0, 90.0), "linear"), (29, Pose(260.0, 90.0), curve)], eyes=False)
    shot = Shot(0, 0, 30, cadence, (0.0, 0.0), (0.0, 0.0), "linear", False, 1, [piece])
    return FilmPlan(320, 180, 24, 30, 0, "cel", [shot], 80)


def test_an_evenly_timed_translation_has_its_middle_at_the_midpoint():
    plan = _one_piece_plan("linear")
    for f in range(3, 27):
        for g in (1, 2, 3):
            offset, curve = middle_offset(plan, f, g)
            assert offset == pytest.approx(0.0, abs=1e-3) and curve == "linear"


@pytest.mark.parametrize("curve", ["inout", "back", "snap"])
def test_an_eased_move_is_off_the_midpoint_by_what_its_curve_says(curve):
    plan = _one_piece_plan(curve)
    for f, g in ((5, 3), (14, 2), (24, 3)):
        x = [60 + 200 * ease(curve, t / 29) for t in (f - g, f, f + g)]
        offset, got_curve = middle_offset(plan, f, g)
        assert offset == pytest.approx(abs(x[1] - (x[0] + x[2]) / 2), abs=2e-3)
        assert got_curve == curve
    assert middle_offset(plan, 1, 2) is None and middle_offset(plan, 28, 2) is None  # leaves the shot


def test_offsets_name_uneven_drawings_and_move_changes():
    plan = _one_piece_plan("linear", cadence=3)
    offset, curve = middle_offset(plan, 5, 2)  # drawing times 3, 3, 6: the middle is the first drawing again
    assert curve == UNEVEN_DRAWINGS and offset == pytest.approx(200 / 29 * 3 / 2, abs=2e-3)
    turning = _one_piece_plan("linear")
    turning.shots[0].pieces[0].keys.insert(1, (15, Pose(200.0, 90.0), "linear"))
    assert middle_offset(turning, 15, 2)[1] == MOVE_CHANGE and middle_offset(turning, 15, 2)[0] > 1


def test_the_nonlinear_share_sets_how_many_moves_are_accented():
    def accented(share):
        keys = [k for seed in range(6) for s in make_plan(96, seed=seed, nonlinear_share=share).shots
                for p in s.pieces for k in p.keys[1:]]
        return sum(k[2] != "linear" for k in keys) / len(keys)

    assert accented(0.0) == 0.0 and accented(1.0) == 1.0
    assert 0.1 < accented(0.25) < 0.4
    with pytest.raises(ValueError, match="nonlinear_share"):
        make_plan(48, nonlinear_share=1.5)


@pytest.fixture(scope="module")
def timed_root(tmp_path_factory):
    """Four small films (the default timing mix), mined and labelled from their truth."""
    folder = tmp_path_factory.mktemp("timed")
    films = [synthesize(folder / f"t{seed}.mp4", seed=seed, style=style, **TIMED)
             for seed, style in ((1, "cel"), (2, "anime"), (3, "mono"), (4, "cel"))]
    mine(films, folder / "root", progress=False)
    label_from_truth(folder / "root")
    return DatasetRoot.open(folder / "root"), films


def test_timing_category_of_each_triplet_matches_the_truth(timed_root):
    root, films = timed_root
    plans = {film_identity(f)[0]: make_plan(72, 24, 320, 180, seed, style)
             for f, (seed, style) in zip(films, ((1, "cel"), (2, "anime"), (3, "mono"), (4, "cel")))}
    timing = triplet_timing(root).set_index("triplet_id")
    triplets = root.triplets()
    assert len(triplets) >= 10 and (timing["timing_source"] == "synthetic truth").all()
    for t in triplets.itertuples():
        offset, curve = middle_offset(plans[t.film_id], int(t.f2), int(t.stride))  # recomputed from the plan
        row = timing.loc[t.triplet_id]
        assert row["offset_px"] == pytest.approx(offset, abs=1e-3) and row["curve"] == curve
        assert row["timing"] == timing_class(offset, 320)
    assert len(set(timing["timing"])) >= 2 and set(timing["timing"]) <= set(TRUTH_CLASSES)
    # the sidecar holds the same numbers
    truth = load_truth_json(films[0])
    t = triplets[triplets["film_id"] == film_identity(films[0])[0]].iloc[0]
    middle = truth["frames"][int(t.f2)]["middle"][str(int(t.stride))]
    assert middle["offset_px"] == pytest.approx(timing.loc[t.triplet_id, "offset_px"])
    assert label_from_truth(root) == 0 and len(triplet_timing(root)) == len(triplets)  # nothing new on a re-run


def test_every_motion_type_and_behaviour_occurs(timed_root):
    root, _ = timed_root
    ann = latest_annotations(root)
    motions, behaviours = Counter(ann["motion_type"]), Counter(ann["behavior"])
    assert set(motions) == set(MOTION_TYPES), motions
    assert {"walking", "fetching", "speaking", "others"} <= set(behaviours) <= set(BEHAVIORS), behaviours
    assert max(motions.values()) <= 0.6 * len(ann)  # no single type dominates
