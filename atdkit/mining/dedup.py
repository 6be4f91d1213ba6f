"""Near-duplicate triplets across a whole dataset, by a perceptual hash of frame2.

pHash: the frame in grayscale, area-scaled to 32×32, 2-D DCT, the 8×8 lowest
frequencies compared with their median (DC excluded from the median) → 64 bits,
stored as 16 hex digits. Two triplets are near-duplicates when their hashes
differ in at most ``max_distance`` bits.

:func:`drop_duplicates` keeps what is kept: a triplet already published in
``triplets.parquet`` is never dropped, renamed or rewritten. Only newcomers
(triplets in the parts that ``triplets.parquet`` does not hold yet: the films
this run mined, or a run killed before publishing) are checked, in
(film_id, f1, stride) order, against every published triplet and then against
the newcomers kept before them; a newcomer within ``max_distance`` bits of one
is dropped on its own side: its row moves from its film's triplet part to its
candidate part (reason ``near-duplicate``, detail naming the kept triplet), its
frames are deleted. So adding films, in any order or batch split, never removes
a kept triplet; within one batch the film with the smaller film id wins. Each
step rewrites a whole part atomically and the step is idempotent, so a kill at
any moment is repaired by running it again (:func:`reconcile` then fixes the
films' counts and removes frame folders no triplet references).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

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


def find_duplicates(triplets: pd.DataFrame, max_distance: int, kept: frozenset[str] = frozenset()) -> dict[str, str]:
    """{dropped triplet id: id of the kept triplet it duplicates}. The triplets whose ids are in ``kept``
    are never dropped and come first; the others are visited in (film_id, f1, stride) order."""
    if max_distance < 0 or not len(triplets):
        return {}
    df = triplets.dropna(subset=["phash"])
    df = df.assign(_new=~df["triplet_id"].isin(list(kept))).sort_values(
        ["_new", "film_id", "f1", "stride", "triplet_id"])
    hashes = np.array([int(h, 16) for h in df["phash"]], dtype=np.uint64)
    ids, new = df["triplet_id"].tolist(), df["_new"].tolist()
    kept_idx: list[int] = []
    kept_hashes = np.empty(0, dtype=np.uint64)
    dropped: dict[str, str] = {}
    for i, h in enumerate(hashes):
        if new[i] and len(kept_hashes):
            dist = _popcount(np.bitwise_xor(kept_hashes, h))
            j = int(np.argmin(dist))
            if dist[j] <= max_distance:
                dropped[ids[i]] = ids[kept_idx[j]]
                continue
        kept_idx.append(i)
        kept_hashes = np.append(kept_hashes, h)
    return dropped


def published_ids(root: DatasetRoot) -> frozenset[str]:
    """Ids of the triplets the dataset already publishes (``triplets.parquet``): kept for good."""
    path = root.path / "triplets.parquet"
    if not path.exists():
        return frozenset()
    return frozenset(pq.read_table(path, columns=["triplet_id"]).column("triplet_id").to_pylist())


def drop_duplicates(root: DatasetRoot, max_distance: int) -> int:
    """Move near-duplicate newcomers to candidates (see module doc); returns how many were dropped."""
    triplets = root.triplet_parts.read()
    dropped = find_duplicates(triplets, max_distance, published_ids(root))
    move_to_candidates(root, triplets, dropped, max_distance)
    return len(dropped)


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


def full_plan(root: DatasetRoot, max_distance: int, protected: frozenset[str]) -> dict[str, str]:
    """A full re-deduplication (``atdkit dedup``): every triplet judged again in (film_id, f1, stride)
    order, except those in ``protected`` (labelled or scored), which are kept and judged first."""
    return find_duplicates(root.triplet_parts.read(), max_distance, protected)


def move_to_candidates(root: DatasetRoot, triplets: pd.DataFrame, dropped: dict[str, str], max_distance: int) -> None:
    """Move the ``dropped`` triplets' rows to their films' candidate parts and delete their frames."""
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
                            "detail": [f"duplicates kept triplet {dropped[t]} (frame2 phash within {max_distance} bits)"
                                       for t in rows["triplet_id"]]})
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
