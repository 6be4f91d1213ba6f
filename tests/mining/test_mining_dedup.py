"""Near-duplicates: the same sample (a loop, a re-encode) counts once, distinct moments that look alike (a slow
push-in) are all kept; inside a shot and across the dataset."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
from mining_helpers import push_in

from atdkit.mining.dedup import find_duplicates, hamming, phash, repeats, sample_signature, shared_frames
from atdkit.mining.pipeline import MiningConfig, film_identity, mine
from atdkit.store.dataset import DatasetRoot
from atdkit.video import open_video
from atdkit.video.writer import write_h264


def test_phash_is_stable_under_noise_and_tells_pictures_apart(small_film):
    frames = list(open_video(small_film))
    noisy = np.clip(frames[5].astype(int) + np.random.default_rng(0).normal(0, 2, frames[5].shape), 0, 255)
    assert hamming(phash(frames[5]), phash(noisy.astype(np.uint8))) <= 4
    assert hamming(phash(frames[0]), phash(frames[-1])) > 4
    assert len(phash(frames[0])) == 16


def _drifting_samples(n: int, rng) -> list[np.ndarray]:
    """Signatures of n consecutive stride-1 samples of one slow drift: sample i holds frames i, i+1, i+2
    of a textured picture moving 0.6 px a frame (so every frame 2 looks alike)."""
    big = cv2.GaussianBlur(rng.integers(0, 256, (80, 120), dtype=np.uint8), (0, 0), 2)
    frames = [cv2.cvtColor(cv2.warpAffine(big, np.float32([[1, 0, -0.6 * k], [0, 1, 0]]), (120, 80)),
                           cv2.COLOR_GRAY2RGB) for k in range(n + 2)]
    return [sample_signature(frames[i:i + 3]) for i in range(n)]


def test_shared_frames_counts_the_pictures_two_samples_have_in_common():
    rng = np.random.default_rng(0)
    s = _drifting_samples(8, rng)
    noisy = np.clip(s[0] + rng.normal(0, 1.0, s[0].shape), 0, 255).astype(np.uint8)
    assert shared_frames(s[0], s[0], 0.75) == 3
    assert shared_frames(s[0], noisy, 0.75) == 3            # codec-like noise: the same pictures
    assert shared_frames(s[0], s[0][::-1], 0.75) == 3       # played backwards: the same sample
    assert shared_frames(s[0], s[1], 0.75) == 2             # one frame later: two frames in common
    assert shared_frames(s[0], s[2], 0.75) == 1
    assert shared_frames(s[0], s[6], 0.75) == 0             # another moment of the same drift
    assert repeats(s[0], s[1], 0.75) and not repeats(s[0], s[2], 0.75)


def test_find_duplicates_keeps_the_first_in_film_order_and_judges_the_whole_sample():
    import pandas as pd

    s = _drifting_samples(8, np.random.default_rng(1))
    zero = "0000000000000000"
    signatures = {"b-1": s[7], "a-1": s[0], "a-2": np.minimum(s[0], 254) + 1, "a-3": s[6], "a-4": s[1], "a-5": None}
    df = pd.DataFrame({"triplet_id": list(signatures), "film_id": ["b", "a", "a", "a", "a", "a"],
                       "f1": [1, 1, 2, 3, 4, 5], "stride": [1] * 6,
                       "phash": ["ffff000000000000", zero, "0000000000000001", zero, zero, zero]})
    asked = []

    def signature(tid):
        asked.append(tid)
        return signatures[tid]

    # a-2 repeats a-1 (the same pictures), a-4 is a-1 one frame later (two frames in common); a-3 is
    # another moment whose frame 2 looks alike (frame 2's pHash alone dropped it); a-5's frames are unreadable
    assert find_duplicates(df, 4, signature, 0.75) == {"a-2": "a-1", "a-4": "a-1"}
    assert "b-1" not in asked and len(asked) == len(set(asked))   # only what the pHash pairs, once each
    assert find_duplicates(df, -1, signature, 0.75) == {}
    assert find_duplicates(df, 4, signature, 0.75, kept=frozenset({"a-4"})) == {"a-1": "a-4", "a-2": "a-4"}
    # after mining, two triplets of one shot were judged by the sampler already: only other shots are compared
    in_shots = df.assign(shot=[0, 0, 0, 0, 1, 0])
    assert find_duplicates(in_shots, 4, signature, 0.75, shots_judged=True) == {"a-4": "a-1"}


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


def _frames_of(tid: str) -> tuple[str, tuple[int, int, int]]:
    """A mined triplet id (``film-000012-s2``) → its film id and frame indices."""
    film_id, f1, stride = tid.rsplit("-", 2)
    f1, g = int(f1), int(stride[1:])
    return film_id, (f1, f1 + g, f1 + 2 * g)


def _in_common(a: tuple, b: tuple, steps: float) -> int:
    """Pictures two triplets have in common, from the truth: pairs of push-in frames (each frame in one
    pair) less than ``steps`` × the smaller stride apart. ``a``, ``b``: (push-in frames, stride)."""
    limit = steps * min(a[1], b[1])
    return max(sum(abs(x - y) <= limit for x, y in zip(a[0], order)) for order in itertools.permutations(b[0]))


def _judged(root: DatasetRoot, films: dict) -> tuple[list, list, list]:
    """Near-duplicate decisions against the truth of films cut from one push-in (``films`` maps each
    film to the push-in frame its frame f shows). Pictures at most half a stride apart are the same
    picture, a stride or more apart other pictures (the rule's 0.75 of the motion lies between).
    Returns the dropped triplets with at most one picture within a stride of the kept triplet they name
    (distinct moments dropped), the kept pairs with two or more of the same pictures (repeats kept), and
    the kept pairs of distinct moments whose frames 2 have pHashes within 4 bits (what frame 2's pHash
    alone calls near-duplicates)."""
    to_source = {film_identity(path)[0]: fn for path, fn in films.items()}

    def shows(film_id, frames):
        return tuple(to_source[film_id](f) for f in frames), frames[1] - frames[0]

    kept = root.triplets()
    pictures = {t.triplet_id: shows(t.film_id, (t.f1, t.f2, t.f3)) for t in kept.itertuples()}
    cands = root.candidates()
    dropped_distinct = []
    for c in cands[cands["reason"] == "near-duplicate"].itertuples():
        other = c.detail.split("duplicates kept triplet ")[1].split(" ")[0]
        if _in_common(shows(c.film_id, (c.f1, c.f2, c.f3)), shows(*_frames_of(other)), 0.99) <= 1:
            dropped_distinct.append((c.film_id, c.f1, c.stride, other))
    hashes = dict(zip(kept["triplet_id"], kept["phash"]))
    repeats_kept, alike_distinct = [], []
    for a, b in itertools.combinations(sorted(pictures), 2):
        if _in_common(pictures[a], pictures[b], 0.5) >= 2:
            repeats_kept.append((a, b))
        elif _in_common(pictures[a], pictures[b], 0.99) <= 1 and hamming(hashes[a], hashes[b]) <= 4:
            alike_distinct.append((a, b))
    return dropped_distinct, repeats_kept, alike_distinct


def test_distinct_moments_of_a_slow_push_in_survive_near_duplicate_removal(tmp_path):
    """In a slow push-in every frame 2 looks alike (pHashes within 4 bits), yet each triplet is another
    moment: inside the shot and across films (the same shot cut 3 frames later) such triplets are kept.
    Frame 2's pHash alone (the rule before: any two frames count as alike) dropped them."""
    frames = push_in(75)
    early, late = tmp_path / "push.mp4", tmp_path / "push-cut-later.mp4"
    write_h264(early, frames[:72], crf=18)
    write_h264(late, frames[3:], crf=18)
    films = {early: lambda f: f, late: lambda f: f + 3}
    mine([early, late], tmp_path / "root", progress=False)
    dropped_distinct, repeats_kept, alike_distinct = _judged(DatasetRoot.open(tmp_path / "root"), films)
    assert not dropped_distinct and not repeats_kept
    assert len(alike_distinct) >= 5
    assert {_frames_of(a)[0] for pair in alike_distinct for a in pair} == {film_identity(p)[0] for p in films}

    frame2_alone = MiningConfig(repeat_ratio=1e9)  # every frame "the same picture": frame 2's pHash decides
    mine([early, late], tmp_path / "frame2", frame2_alone, progress=False)
    dropped_distinct, _, alike_distinct = _judged(DatasetRoot.open(tmp_path / "frame2"), films)
    assert len(dropped_distinct) >= 5 and not alike_distinct


def test_repeats_of_a_moment_are_dropped_in_a_loop_and_a_reencode(tmp_path):
    """The same moment again: a film that plays its first 40 frames twice (a re-used cut) and a re-encode
    of the push-in at another quality. No two kept triplets share two pictures, and each dropped one
    shares at least two with the kept triplet its candidate row names."""
    frames = push_in(72)
    film, copy, loop = tmp_path / "push.mp4", tmp_path / "push-crf30.mp4", tmp_path / "loop.mp4"
    write_h264(film, frames, crf=18)
    write_h264(copy, open_video(film), crf=30)
    write_h264(loop, frames[:40] + frames[:40], crf=18)
    films = {film: lambda f: f, copy: lambda f: f, loop: lambda f: f % 40}
    report = mine(list(films), tmp_path / "root", progress=False)
    root = DatasetRoot.open(tmp_path / "root")
    dropped_distinct, repeats_kept, _ = _judged(root, films)
    assert not repeats_kept and not dropped_distinct
    cands = root.candidates()
    dups = cands[cands["reason"] == "near-duplicate"]
    by_film = dups.groupby("film_id").size()
    for path in (copy, loop):  # the loop's second pass repeats its first (in one shot) or the film's
        assert by_film.get(film_identity(path)[0], 0) >= 3
    kept = root.films().set_index("film_id")["n_triplets"]
    first, second = sorted(film_identity(p)[0] for p in (film, copy))
    assert report.duplicates_dropped > 0 and kept[second] < kept[first] / 3  # what it keeps: other moments


def test_a_root_mined_before_the_whole_sample_rule_takes_it_and_keeps_its_triplets(tmp_path, small_film):
    """A root whose dataset.json predates the rule (config version 3, no repeat_ratio; its triplet table
    is the same: frame 2's pHash stays the index) is mined into and deduplicated without an error: it
    takes the rule (one line on stderr), its triplets stay byte for byte, a re-encode's copies are dropped.
    A stored triplet whose frames cannot be read is compared with nothing (one line naming it)."""
    import json
    import subprocess
    import sys

    out = tmp_path / "root"
    mine([small_film], out, progress=False)
    root = DatasetRoot.open(out)
    meta = root.meta()
    del meta["config"]["mining"]["repeat_ratio"]
    meta["config"]["mining"]["version"] = 3
    root.write_meta(meta)
    before = root.triplets().sort_values("triplet_id").reset_index(drop=True)
    frames = {p: p.read_bytes() for p in (out / "frames").rglob("*.png")}

    def atdkit(*args):
        return subprocess.run([sys.executable, "-m", "atdkit", *map(str, args)], capture_output=True, text=True,
                              timeout=600)

    dry = atdkit("dedup", out)
    assert dry.returncode == 0, dry.stderr
    said = " ".join(dry.stderr.split())  # the console wraps long lines
    assert "0 triplet(s) would move" in said and "frames within 0.75× their motion" in said

    unreadable = before["triplet_id"][0]
    (root.frames_dir(unreadable) / "frame3.png").write_bytes(b"not a png")
    copy = tmp_path / "reencoded.mp4"
    write_h264(copy, open_video(small_film), crf=28)
    run = atdkit("mine", out, copy)
    assert run.returncode == 0, run.stderr
    said = " ".join(run.stderr.split())
    assert "judged on frame 2 alone" in said
    assert f"the near-duplicate check goes on without triplet {unreadable}" in said
    stored = DatasetRoot.open(out).meta()["config"]["mining"]
    assert stored["version"] == 4 and stored["repeat_ratio"] == 0.75
    root = DatasetRoot.open(out)
    now = root.triplets()
    first = now[now["film_id"] == before["film_id"][0]].sort_values("triplet_id").reset_index(drop=True)
    assert first.equals(before)
    assert all(p.read_bytes() == data for p, data in frames.items() if p.parent.name != unreadable or
               p.name != "frame3.png")
    dups = root.candidates()[root.candidates()["reason"] == "near-duplicate"]
    copy_id = film_identity(copy)[0]
    assert (dups["film_id"] == copy_id).sum() >= 3
    assert not dups["detail"].str.contains(unreadable).any()  # paired by the pHash (the line above), not judged
    again = atdkit("mine", out, copy)  # the upgraded root is the root's config now: no line again
    assert again.returncode == 0 and "judged on frame 2 alone" not in again.stderr
