"""Where frame 2 lies between frames 1 and 3: measured, recorded per triplet, and off-centre triplets
rejected with a reason."""

from __future__ import annotations

import numpy as np
from mining_helpers import close_up, hand_over

from atdkit.mining.pipeline import MiningConfig, mine
from atdkit.motion import middle_position
from atdkit.store.dataset import DatasetRoot
from atdkit.video.writer import write_h264


def test_middle_position_of_a_moving_piece_and_of_a_shaking_camera():
    def at(*xs, cams=((0, 0),) * 3):
        return middle_position(*(hand_over(close_up(c), x) for x, c in zip(xs, cams)))

    mid = at(0.30, 0.45, 0.60)
    assert abs(mid.position - 0.5) < 0.05 and mid.detour < 0.8
    near_start, near_end = at(0.30, 0.35, 0.60), at(0.30, 0.55, 0.60)
    assert abs(near_start.position - 1 / 6) < 0.07 and abs(near_end.position - 5 / 6) < 0.07
    # a camera shaken on frame 2: farther from both ends than they are from each other
    shaken = at(0.40, 0.42, 0.44, cams=((0, 0), (7, -5), (1, 1)))
    assert shaken.detour > 1.03
    # an even pan with the piece moving: between, in the middle
    pan = at(0.40, 0.45, 0.50, cams=((0, 0), (5, 0), (10, 0)))
    assert abs(pan.position - 0.5) < 0.1 and pan.detour < 1


def test_triplets_off_centre_are_rejected_and_those_in_the_middle_kept(tmp_path):
    """A hand moving evenly, then a drawing only a tenth of the way, then evenly again: the triplets
    whose middle frame is that drawing, or whose end it is and middle sits next to it, go to the
    candidates as "middle frame off-centre"; the even ones are kept with their position."""
    xs = [0.20, 0.26, 0.32, 0.38, 0.39, 0.50, 0.56, 0.62, 0.68]
    film = write_h264_frames(tmp_path / "uneven.mp4", [hand_over(close_up(), x) for x in xs])
    config = MiningConfig(strides=(1,), ssim_low=0.0, ssim_high=1.0, min_spacing=1)
    report = mine([film], tmp_path / "root", config, progress=False)
    assert not report.failed, report.failed
    root = DatasetRoot.open(tmp_path / "root")
    kept = root.triplets().set_index("f1")
    rejected = root.candidates().set_index("f1")
    assert sorted(kept.index) == [0, 1, 4, 5, 6]
    assert set(rejected.loc[[2, 3], "reason"]) == {"middle frame off-centre"}
    position = {f1: float(rejected.loc[f1, "detail"].split()[1]) for f1 in (2, 3)}  # "position 0.78 (…)"
    assert position[2] > 0.7 and position[3] < 0.3    # 6/7 and 1/12 of the way
    assert all(abs(kept["mid_position"] - 0.5) <= config.mid_tolerance) and all(kept["mid_detour"] <= 1)
    assert all(abs(kept.loc[[0, 1, 5, 6], "mid_position"] - 0.5) < 0.1)   # the even steps


def write_h264_frames(path, frames):
    write_h264(path, frames)
    return path
