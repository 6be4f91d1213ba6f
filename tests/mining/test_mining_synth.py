"""Synthetic cel films: determinism, and ground truth that matches the pixels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from mining_helpers import SMALL, load_truth_json

from atdkit.errors import BadInput
from atdkit.synth import synthesize, truth_path
from atdkit.video import open_video


def test_same_seed_same_film_and_sidecar(tmp_path, small_film):
    again = synthesize(tmp_path / "again.mp4", seed=7, style="cel", **SMALL)
    assert again.read_bytes() == small_film.read_bytes()
    assert truth_path(again).read_text() == truth_path(small_film).read_text()
    for a, b in zip(open_video(again), open_video(small_film)):
        assert np.array_equal(a, b)
    other = synthesize(tmp_path / "other.mp4", seed=8, style="cel", **SMALL)
    assert other.read_bytes() != small_film.read_bytes()


def test_a_film_is_the_same_whatever_the_process_encoded_before(tmp_path):
    """The encoder reads memory it never wrote; the film must not depend on what was freed before it
    (the demo's second film came out different on every run before the heap was initialised)."""
    spec = dict(length_s=2.0, width=960, height=540, seed=22, style="anime")
    synthesize(tmp_path / "first.mp4", length_s=2.0, width=960, height=540, seed=11, style="cel")
    here = synthesize(tmp_path / "here.mp4", **spec)
    fresh = tmp_path / "fresh.mp4"
    subprocess.run([sys.executable, "-c", f"from atdkit.synth import synthesize; synthesize({str(fresh)!r}, **{spec!r})"],
                   check=True)
    assert here.read_bytes() == fresh.read_bytes()


def test_truth_describes_shots_holds_pans_and_pieces(small_films):
    seen_cadences, seen_motions, pan_holds = set(), set(), 0
    for film in small_films:
        truth = load_truth_json(film)
        frames = truth["frames"]
        assert len(frames) == truth["n_frames"] == 60 and truth["n_shots"] >= 2
        frames_decoded = list(open_video(film))
        for prev, cur in zip(frames, frames[1:]):
            i = cur["frame"]
            if cur["cut_before"]:
                assert cur["shot"] == prev["shot"] + 1 and not cur["held"]
            else:
                assert cur["shot"] == prev["shot"]
            assert cur["drawing"] == prev["drawing"] + (not cur["held"])
            if cur["held"] and cur["camera"] == prev["camera"]:  # a static hold: the pixels barely change
                diff = np.abs(frames_decoded[i].astype(int) - frames_decoded[i - 1].astype(int)).mean()
                assert diff < 1.0
            if cur["held"]:
                assert all(not p["changed"] for p in cur["pieces"])
            pan_holds += cur["held"] and cur["camera"] != prev["camera"]
        for f in frames:
            seen_cadences.add(f["cadence"])
            for p in f["pieces"]:
                seen_motions.add(p["motion"])
                if p["bbox"]:
                    x, y, w, h = p["bbox"]
                    assert 0 <= x and 0 <= y and x + w <= 320.01 and y + h <= 180.01
    assert seen_cadences >= {2, 3}
    assert len(seen_motions) >= 3
    assert pan_holds > 0  # the camera moves over held drawings somewhere


def test_cli_synth_and_its_errors(tmp_path):
    out = tmp_path / "cli.mp4"
    run = subprocess.run([sys.executable, "-m", "atdkit", "synth", str(out), "--length", "1", "--size", "160x90",
                          "--seed", "3", "--art-style", "anime"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    r = open_video(out)
    assert (r.width, r.height, r.n_frames) == (160, 90, 24)
    assert truth_path(out).is_file()
    bad = subprocess.run([sys.executable, "-m", "atdkit", "synth", str(tmp_path / "odd.mp4"), "--size", "161x90"],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: ") and "even width" in bad.stderr
    with pytest.raises(BadInput, match="unknown style"):
        synthesize(tmp_path / "x.mp4", style="watercolor")
