"""Near-duplicate triplets: the same sample (all three frames) met again, in a shot or across the dataset.

A triplet is a sample of motion, so two triplets are near-duplicates only when the whole sample repeats
(the same moment looped, re-used or re-encoded), not when one frame looks alike: in a slow camera
push-in every frame 2 of a shot looks alike, yet each triplet is another moment. The rule has two steps:

1. an index: frame 2's perceptual hash (pHash: the frame in grayscale, area-scaled to 32×32, 2-D DCT,
   the 8×8 lowest frequencies compared with their median, DC excluded from the median → 64 bits, stored
   as 16 hex digits in ``triplets.phash``) within ``max_distance`` bits finds the triplets that may
   repeat each other (a repeat shows the same frame 2; a re-encode moved it by at most 2 bits in tests);
2. the decision, on the whole sample (:func:`sample_signature`, :func:`shared_frames`): the pair is a
   near-duplicate when the triplets share at least two of their three pictures. Two frames are the same
   picture when the RMS difference of their 64×64 gray thumbnails (levels 0–255) is at most
   ``max_ratio`` × the triplets' own motion (the smallest RMS difference between consecutive frames of
   either triplet). A loop or a re-used cut (the same frames at other indices), a re-encode (the same
   frames with codec noise: 0.05–0.56 of the motion measured at crf 26–34 and rescaled) and the same
   moment one step later (two frames in common) are near-duplicates; two triplets of one shot kept
   ``min_spacing`` (≥ 2 strides) apart share at most one picture, however alike their frames 2 look (a
   slow push-in), and a frame one step away from another differs by about the motion itself (ratio ≈ 1).

:func:`drop_duplicates` keeps what is kept: a triplet already published in
``triplets.parquet`` is never dropped, renamed or rewritten. Only newcomers
(triplets in the parts that ``triplets.parquet`` does not hold yet: the films
this run mined, or a run killed before publishing) are checked, in
(film_id, f1, stride) order, against every published triplet and then against
the newcomers kept before them (except those of its own shot: the sampler
judged them by the same rule); a newcomer that repeats one is
dropped on its own side: its row moves from its film's triplet part to its
candidate part (reason ``near-duplicate``, detail naming the kept triplet), its
frames are deleted. So adding films, in any order or batch split, never removes
a kept triplet; within one batch the film with the smaller film id wins. Each
step rewrites a whole part atomically and the step is idempotent, so a kill at
any moment is repaired by running it again (:func:`reconcile` then fixes the
films' counts and removes frame folders no triplet references). The thumbnails
of the stored triplets are made from their PNG frames when the index pairs them
with a newcomer; a triplet whose frames cannot be read is neither dropped nor
the reason another is dropped.
"""

from __future__ import annotations

import itertools
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from atdkit.errors import AtdkitError
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.parts import to_table


def phash(frame: np.ndarray) -> str:
    """64-bit perceptual hash (16 hex digits) of an H×W×3 RGB or H×W gray uint8 image."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    bits = low > np.median(low[1:])
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (numpy ≥ 2 has it built in)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return np.unpackbits(x.view(np.uint8)).reshape(len(x), 64).sum(axis=1)


THUMB = 64   # px: the side of each frame's gray thumbnail in a sample signature


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """An H×W×3 uint8 RGB frame → its 64×64 uint8 gray thumbnail, area-scaled in two steps: first by the
    largest whole factor that divides both sides (OpenCV's fast path: 4 ms instead of 24 for 1080p),
    then to 64×64. The frame's aspect is not kept (a copy at another size gives about the same)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    k = max(d for d in range(1, max(1, min(w, h) // THUMB) + 1) if w % d == 0 and h % d == 0)
    if k > 1:
        gray = cv2.resize(gray, (w // k, h // k), interpolation=cv2.INTER_AREA)
    return cv2.resize(gray, (THUMB, THUMB), interpolation=cv2.INTER_AREA)


def sample_signature(frames: Sequence[np.ndarray]) -> np.ndarray:
    """A triplet's three H×W×3 uint8 RGB frames → their 3×64×64 uint8 :func:`thumbnail` s: what
    :func:`shared_frames` compares."""
    return np.stack([thumbnail(f) for f in frames])


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference of two gray images, in levels (0–255)."""
    return float(np.sqrt(np.mean(np.square(a.astype(np.float32) - b.astype(np.float32)))))


def shared_frames(a: np.ndarray, b: np.ndarray, max_ratio: float) -> int:
    """How many frames samples ``a`` and ``b`` (two :func:`sample_signature` s) have in common: pairs of a
    frame of ``a`` and a frame of ``b``, each frame in at most one pair, whose RMS difference is at most
    ``max_ratio`` × the samples' own motion (the smallest RMS difference between consecutive frames of
    either). 3: the same sample (or played backwards); 2: the same moment shifted by one step; 0–1:
    other moments (two triplets of one shot kept ``min_spacing`` ≥ 2·stride frames apart share at
    most one frame)."""
    motion = min(_rms(s[0], s[1]) for s in (a, a[1:], b, b[1:]))
    near = np.array([[_rms(x, y) <= max_ratio * motion for y in b] for x in a])
    return max(int(sum(near[i, j] for j, i in enumerate(order))) for order in itertools.permutations(range(3)))


def repeats(a: np.ndarray, b: np.ndarray, max_ratio: float) -> bool:
    """Sample ``b`` repeats sample ``a``: they share at least two of their three frames
    (:func:`shared_frames`)."""
    return shared_frames(a, b, max_ratio) >= 2


SignatureFn = Callable[[str], "np.ndarray | None"]   # triplet id → sample signature (None: frames unreadable)


def find_duplicates(triplets: pd.DataFrame, max_distance: int, signature: SignatureFn, max_ratio: float,
                    kept: frozenset[str] = frozenset(), shots_judged: bool = False) -> dict[str, str]:
    """{dropped triplet id: id of the kept triplet it repeats}. The triplets whose ids are in ``kept``
    are never dropped and come first; the others are visited in (film_id, f1, stride) order. A triplet
    repeats a kept one when frame 2's pHashes are within ``max_distance`` bits and the samples share two
    pictures (:func:`repeats` with ``max_ratio``; kept triplets within the distance are tried nearest
    first). ``signature`` is asked only for triplets the pHash pairs, once each. ``shots_judged``: two
    triplets of one shot of one film are not compared (the sampler judged them with this rule and these
    limits while mining: the check after ``mine``, not ``atdkit dedup``)."""
    if max_distance < 0 or not len(triplets):
        return {}
    df = triplets.dropna(subset=["phash"])
    df = df.assign(_new=~df["triplet_id"].isin(list(kept))).sort_values(
        ["_new", "film_id", "f1", "stride", "triplet_id"])
    hashes = np.array([int(h, 16) for h in df["phash"]], dtype=np.uint64)
    ids, new = df["triplet_id"].tolist(), df["_new"].tolist()
    shots = list(zip(df["film_id"], df["shot"])) if shots_judged else [None] * len(ids)
    signatures: dict[str, np.ndarray | None] = {}

    def sig(tid: str) -> np.ndarray | None:
        if tid not in signatures:
            signatures[tid] = signature(tid)
        return signatures[tid]

    kept_idx: list[int] = []
    kept_hashes = np.empty(0, dtype=np.uint64)
    dropped: dict[str, str] = {}
    for i, h in enumerate(hashes):
        if new[i] and len(kept_hashes):
            dist = _popcount(np.bitwise_xor(kept_hashes, h))
            near = np.flatnonzero(dist <= max_distance)
            for j in near[np.argsort(dist[near], kind="stable")]:
                if shots[i] is not None and shots[kept_idx[j]] == shots[i]:
                    continue
                other = ids[kept_idx[j]]
                mine, theirs = sig(ids[i]), sig(other)
                if mine is not None and theirs is not None and repeats(theirs, mine, max_ratio):
                    dropped[ids[i]] = other
                    break
            if ids[i] in dropped:
                continue
        kept_idx.append(i)
        kept_hashes = np.append(kept_hashes, h)
    return dropped


def stored_signature(root: DatasetRoot) -> SignatureFn:
    """The sample signature of a stored triplet, from its PNG frames (None when they cannot be read: a
    missing file, or a corrupt one, which reading moves to quarantine)."""
    def signature(tid: str) -> np.ndarray | None:
        try:
            return sample_signature(root.read_frames(tid))
        except AtdkitError as exc:
            print(f"{exc}; the near-duplicate check goes on without triplet {tid}", file=sys.stderr)
            return None
    return signature


def published_ids(root: DatasetRoot) -> frozenset[str]:
    """Ids of the triplets the dataset already publishes (``triplets.parquet``): kept for good."""
    path = root.path / "triplets.parquet"
    if not path.exists():
        return frozenset()
    return frozenset(pq.read_table(path, columns=["triplet_id"]).column("triplet_id").to_pylist())


def drop_duplicates(root: DatasetRoot, max_distance: int, max_ratio: float) -> int:
    """Move near-duplicate newcomers to candidates (see module doc); returns how many were dropped."""
    triplets = root.triplet_parts.read()
    dropped = find_duplicates(triplets, max_distance, stored_signature(root), max_ratio, published_ids(root),
                              shots_judged=True)
    move_to_candidates(root, triplets, dropped, duplicate_detail(max_distance, max_ratio))
    return len(dropped)


def duplicate_detail(max_distance: int, max_ratio: float) -> str:
    """What the ``near-duplicate`` candidate row says after the kept triplet's id."""
    return f"frame2 phash within {max_distance} bits, frames within {max_ratio:g}× their motion"


def labelled_ids(root: DatasetRoot, runs: list[Path] = ()) -> frozenset[str]:
    """Triplets something refers to: votes, annotations, ``consensus.parquet`` rows, and the
    ``results.parquet`` of the bench runs ``runs`` (run folders live outside the root)."""
    from atdkit.store.labels import latest_annotations, latest_votes

    ids: set[str] = set()
    for labels in (latest_votes(root), latest_annotations(root)):
        ids |= set(labels["triplet_id"]) if len(labels) else set()
    for table in [root.path / "consensus.parquet", *(Path(r) / "results.parquet" for r in runs)]:
        if table.exists():
            ids |= set(pq.read_table(table, columns=["triplet_id"]).column("triplet_id").to_pylist())
    return frozenset(ids)


def full_plan(root: DatasetRoot, max_distance: int, max_ratio: float, protected: frozenset[str]) -> dict[str, str]:
    """A full re-deduplication (``atdkit dedup``): every triplet judged again in (film_id, f1, stride)
    order, except those in ``protected`` (labelled or scored), which are kept and judged first."""
    return find_duplicates(root.triplet_parts.read(), max_distance, stored_signature(root), max_ratio, protected)


def move_to_candidates(root: DatasetRoot, triplets: pd.DataFrame, dropped: dict[str, str], why: str) -> None:
    """Move the ``dropped`` triplets' rows to their films' candidate parts (detail: the kept triplet's id,
    then ``why``) and delete their frames."""
    if not dropped:
        return
    gone = triplets[triplets["triplet_id"].isin(list(dropped))]
    for film_id, rows in gone.groupby("film_id"):
        cand_path = root.candidate_parts.directory / f"{film_id}.parquet"
        trip_path = root.triplet_parts.directory / f"{film_id}.parquet"
        film_path = root.film_parts.directory / f"{film_id}.parquet"
        new = pd.DataFrame({"film_id": rows["film_id"], "f1": rows["f1"], "f2": rows["f2"], "f3": rows["f3"],
                            "stride": rows["stride"], "shot": rows["shot"], "ssim_12": rows["ssim_12"],
                            "ssim_23": rows["ssim_23"], "ssim_13": rows["ssim_13"], "reason": "near-duplicate",
                            "detail": [f"duplicates kept triplet {dropped[t]} ({why})" for t in rows["triplet_id"]]})
        old = pq.read_table(cand_path).to_pandas() if cand_path.exists() else new.iloc[:0]
        merged = pd.concat([old, new], ignore_index=True).drop_duplicates(
            subset=["f1", "stride", "reason"], keep="first").sort_values(["f1", "stride"], kind="stable")
        atomic.write_table(cand_path, to_table(merged, root.candidate_parts.schema))
        if trip_path.exists():
            trip = pq.read_table(trip_path).to_pandas()
            trip = trip[~trip["triplet_id"].isin(list(dropped))]
            atomic.write_table(trip_path, to_table(trip, root.triplet_parts.schema))
            if film_path.exists():
                film = pq.read_table(film_path).to_pandas()
                film["n_triplets"] = len(trip)
                atomic.write_table(film_path, to_table(film, root.film_parts.schema))
        for tid in rows["triplet_id"]:
            shutil.rmtree(root.frames_dir(tid), ignore_errors=True)


def reconcile(root: DatasetRoot) -> int:
    """Repair what a kill between the steps above leaves: each mined film's ``n_triplets`` set to its
    triplet part's rows, and frame folders of mined films that no triplet references removed (a mined
    film is never mined again, so nothing writes them any more). Returns how many folders were removed."""
    films = root.film_parts.read()
    ok = set(films.loc[films["status"] == "ok", "film_id"]) if len(films) else set()
    referenced = set(root.triplet_parts.read()["triplet_id"])
    for film_id in ok:
        film_path = root.film_parts.directory / f"{film_id}.parquet"
        trip_path = root.triplet_parts.directory / f"{film_id}.parquet"
        n = pq.read_metadata(trip_path).num_rows if trip_path.exists() else 0
        film = pq.read_table(film_path).to_pandas()
        if (film["n_triplets"] != n).any():
            film["n_triplets"] = n
            atomic.write_table(film_path, to_table(film, root.film_parts.schema))
    removed = 0
    frames = root.path / "frames"
    for folder in sorted(frames.iterdir()) if frames.is_dir() else []:
        film_id = folder.name.rsplit("-", 2)[0]
        if folder.is_dir() and film_id in ok and folder.name not in referenced:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
