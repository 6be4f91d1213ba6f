"""Cuts (and large motion inside a shot that is not one), held drawings (also under pans and re-encode noise),
cadence per run of drawings."""

from __future__ import annotations

import json

import cv2
import numpy as np
from mining_helpers import GIF, TESTDATA, close_up, hand_over, load_truth_json

from atdkit.mining.config import MiningConfig
from atdkit.mining.pipeline import mine
from atdkit.mining.shots import ShotTracker, cadence_at, cadence_runs, frame_features, relate, shot_cadence
from atdkit.mining.similarity import to_working, working_size
from atdkit.ops.global_motion import phase_correlate, phase_spectrum
from atdkit.store.dataset import DatasetRoot
from atdkit.video import open_video
from atdkit.video.writer import write_h264


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


def test_the_real_cuts_of_big_buck_bunny_and_no_others():
    """30 s of a real film: opening titles with fades, camera and character motion, and three hard cuts
    (at frames 283, 376 and 551, testdata/README.md): exactly those are found."""
    reader = open_video(TESTDATA / "big_buck_bunny_0_30.webm", sequential=True)
    size = working_size(reader.width, reader.height, (960, 540))
    tracker = ShotTracker()
    for frame in reader.frames(0):
        tracker.push(frame_features(to_working(frame, size, "rgb")))
    reader.close()
    assert len(tracker.frames) == 720
    assert [f.index for f in tracker.frames if f.relation == "cut"] == [283, 376, 551]


def _cadence(lengths):
    return shot_cadence([c for c, _, _ in cadence_runs(lengths)])


def test_cadence_from_run_lengths():
    assert _cadence([1, 2, 2, 2, 2, 1]) == "2"
    assert _cadence([3, 3, 3, 3]) == "3"
    assert _cadence([1, 1, 1]) == "1"
    assert _cadence([20]) == "hold"
    assert _cadence([2, 1, 3, 1, 3, 2, 1]) == "mixed"
    assert cadence_runs([2, 2, 2, 3, 2, 2, 2]) == [("2", 7, 15)]           # one accent stays on twos
    assert cadence_runs([2, 2, 2, 8, 2, 2]) == [("2", 3, 6), ("hold", 1, 8), ("2", 2, 4)]
    assert _cadence([2, 2, 2, 8, 2, 2]) == "2"                             # a held pose keeps the cadence
    # twos, then threes: two runs, and the shot is not "on threes"
    assert cadence_runs([1, 2, 2, 2, 2, 3, 3, 3, 3, 2]) == [("2", 5, 9), ("3", 5, 14)]
    assert _cadence([1, 2, 2, 2, 2, 3, 3, 3, 3, 2]) == "mixed"


def _track(path):
    tracker = ShotTracker()
    for frame in open_video(path):
        tracker.push(frame_features(frame))
    return tracker


def test_a_fast_large_sweep_inside_a_shot_is_not_a_cut_and_a_real_cut_is(tmp_path):
    """A close-up under a shaking camera, a hand sweeping across it at 40 % of the frame width per frame,
    then a cut to another shot: only the real cut is found."""
    rng = np.random.default_rng(3)
    shake = rng.uniform(-6, 6, (40, 2))
    shot_a = [close_up(shake[i]) for i in range(6)]
    shot_a += [hand_over(close_up(shake[6 + k]), x) for k, x in enumerate(np.linspace(-0.3, 1.3, 5))]
    shot_a += [close_up(shake[11 + i]) for i in range(5)]
    shot_b = [np.roll(_frame_of_another_shot(), 3 * i, axis=1) for i in range(10)]
    film = tmp_path / "sweep.mp4"
    write_h264(film, shot_a + shot_b)
    frames = list(open_video(film))
    features = [frame_features(f) for f in frames]
    # the sweep is large: its frame pairs pass the first cut test (much changes after alignment)
    assert max(relate(a, b).aligned for a, b in zip(features[5:11], features[6:12])) > 0.6
    tracker = _track(film)
    assert [f.index for f in tracker.frames if f.relation == "cut"] == [len(shot_a)]
    assert [(s["start"], s["end"]) for s in tracker.shots()] == [(0, 16), (16, 26)]
    # a film segment tracks from `cut_window` frames before its start: it decides every frame from there
    # on as the whole pass does (so the dataset does not depend on the segmentation)
    window = tracker.params.cut_window
    for start in range(window, len(frames)):
        late = ShotTracker(first_index=start - window)
        for f in features[start - window:]:
            late.push(f)
        assert [f.relation for f in late.frames[window:]] == [f.relation for f in tracker.frames[start:]], start


def test_a_close_up_whose_framing_jumps_as_the_eyes_open_is_not_a_cut():
    """Flat colours give ORB little to match, and much changes: the motion-compensated match keeps it in shot."""
    closed = frame_features(close_up(eye_open=0.2))
    h, w = closed.frame.shape[:2]
    for z in (1.3, 1.5, 1.8):
        ch, cw = int(h / z), int(w / z)
        y, x = (h - ch) // 2, (w - cw) // 3
        jumped = cv2.resize(close_up(eye_open=1.0)[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
        rel = relate(closed, frame_features(jumped))
        assert rel.aligned > 0.3 and rel.hist > 0.05, (z, rel)  # it passes the first two cut tests…
        assert rel.kind == "change" and rel.matched >= 0.5, (z, rel)  # …not the match


def _frame_of_another_shot():
    """A landscape: sky, a green hill and a red house (480×270)."""
    img = np.zeros((270, 480, 3), np.uint8)
    img[:] = (120, 180, 235)
    cv2.ellipse(img, (240, 300), (400, 140), 0, 0, 360, (70, 150, 60), -1, cv2.LINE_AA)
    cv2.rectangle(img, (300, 120), (380, 190), (190, 50, 40), -1)
    cv2.rectangle(img, (300, 120), (380, 190), (30, 20, 20), 3)
    return img


def test_a_film_on_twos_then_threes_has_two_runs(tmp_path):
    """A shot whose drawings are held 2 frames, then 3: runs "2" then "3", the shot "mixed", and each
    frame knows its run's cadence."""
    drawings = [close_up((0, 0), eye_open=e) for e in np.linspace(0.1, 1.0, 14)]
    holds = [2] * 7 + [3] * 7
    frames = [d for d, n in zip(drawings, holds) for _ in range(n)]
    film = tmp_path / "twos_threes.mp4"
    write_h264(film, frames)
    shots = _track(film).shots()
    assert len(shots) == 1 and shots[0]["cadence"] == "mixed" and shots[0]["drawings"] == 14
    assert [(r["cadence"], r["start"], r["end"], r["drawings"]) for r in shots[0]["runs"]] == \
        [("2", 0, 14, 7), ("3", 14, 35, 7)]
    assert cadence_at(shots, 5) == "2" and cadence_at(shots, 20) == "3" and cadence_at(shots, 35) is None
    # mined: the film's row keeps the runs, and each triplet the cadence of its frame 2's run
    config = MiningConfig(ssim_low=0.0, ssim_high=1.0, mid_tolerance=0.5, mid_max_detour=10.0)
    assert not mine([film], tmp_path / "root", config, progress=False).failed
    root = DatasetRoot.open(tmp_path / "root")
    (mined_shot,) = json.loads(root.films()["cadence"].iloc[0])
    assert mined_shot["cadence"] == "mixed" and [r["cadence"] for r in mined_shot["runs"]] == ["2", "3"]
    triplets = root.triplets()
    assert set(triplets["cadence"]) == {"2", "3"}
    assert all(triplets["cadence"] == ["2" if f2 < 14 else "3" for f2 in triplets["f2"]])
