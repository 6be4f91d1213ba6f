"""Cuts, held drawings (also under pans and re-encode noise) and cadence."""

from __future__ import annotations

import cv2
import numpy as np
from mining_helpers import GIF, load_truth_json

from atdkit.mining.shots import ShotTracker, cadence, frame_features, phase_correlate, phase_spectrum, relate
from atdkit.video import open_video


def test_relations_match_the_synthetic_ground_truth(small_films):
    for film in small_films:
        truth = load_truth_json(film)["frames"]
        tracker = ShotTracker()
        for i, frame in enumerate(open_video(film)):
            info = tracker.push(frame_features(frame))
            t = truth[i]
            expected = "first" if i == 0 else "cut" if t["cut_before"] else "held" if t["held"] else "change"
            got = "held" if info.relation in ("hold", "pan") else info.relation
            assert got == expected, (film.name, i, info.relation, t)
            assert info.shot == t["shot"]


def _frame(small_film, i=10):
    return list(open_video(small_film))[i]


def test_reencode_noise_pan_and_zoom(small_film):
    frame = _frame(small_film)
    rng = np.random.default_rng(0)
    noisy = np.clip(frame.astype(int) + rng.normal(0, 1.2, frame.shape).round(), 0, 255).astype(np.uint8)
    assert np.abs(noisy.astype(int) - frame).mean() > 0.7  # at least the noise floor measured on real 1080p
    assert relate(frame_features(frame), frame_features(noisy)).kind == "hold"
    h, w = frame.shape[:2]
    for shift in (0.6, 2.5, 7.0, 19.5, 33.0):  # a camera pan over the held drawing, slow to fast
        m = np.float32([[1, 0, shift], [0, 1, shift / 3]])
        panned = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        rel = relate(frame_features(frame), frame_features(panned))
        assert rel.kind == "pan", (shift, rel)
        assert abs(rel.shift[0] - shift * min(1, 320 / w)) < 0.3
    for crop_y, crop_x in ((10, 18), (20, 36), (30, 50)):  # in-shot reframes/zooms up to 1.45×: never a cut
        zoom = cv2.resize(frame[crop_y:-crop_y, crop_x:-crop_x], (w, h), interpolation=cv2.INTER_LINEAR)
        assert relate(frame_features(frame), frame_features(zoom)).kind == "change"


def test_phase_correlation_of_cached_spectra_is_opencvs(small_film):
    thumbs = [frame_features(f).thumb for f in list(open_video(small_film))[:16]]
    for a, b in zip(thumbs, thumbs[1:]):  # 320×180: even DFT sizes, OpenCV's own values
        shift = phase_correlate(phase_spectrum(a), phase_spectrum(b))
        assert np.allclose(shift, cv2.phaseCorrelate(a, b)[0], atol=1e-4)
    odd = thumbs[0][:135]  # padded to 135 rows: a cyclic shift is found exactly (OpenCV is ½ px off there)
    moved = np.roll(odd, (3, -5), axis=(0, 1))
    assert np.allclose(phase_correlate(phase_spectrum(odd), phase_spectrum(moved)), (-5, 3), atol=1e-3)


def test_flying_drops_over_a_shot_are_not_a_cut(small_film):
    frame = _frame(small_film)
    rng = np.random.default_rng(5)
    drops = frame.copy()
    for _ in range(200):  # a burst of spray/rain drops covering much of the frame
        x, y = int(rng.integers(0, frame.shape[1])), int(rng.integers(0, frame.shape[0]))
        cv2.ellipse(drops, (x, y), (int(rng.integers(3, 9)), int(rng.integers(6, 16))), 20, 0, 360,
                    (235, 245, 255), -1, cv2.LINE_AA)
    rel = relate(frame_features(frame), frame_features(drops))
    assert rel.aligned > 0.3 and rel.kind == "change", rel


def test_a_real_cel_clip_has_no_cut():
    tracker = ShotTracker()
    for frame in open_video(GIF):
        tracker.push(frame_features(frame))
    assert {f.shot for f in tracker.frames} == {0}
    assert tracker.shots()[0]["cadence"] in ("1", "2", "3", "mixed")


def test_cadence_from_run_lengths():
    assert cadence([1, 2, 2, 2, 2, 1]) == "2"
    assert cadence([3, 3, 3, 3]) == "3"
    assert cadence([1, 1, 1]) == "1"
    assert cadence([20]) == "hold"
    assert cadence([2, 1, 3, 1, 3, 2, 1]) == "mixed"
