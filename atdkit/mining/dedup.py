"""Near-duplicate triplets across a whole dataset, by a perceptual hash of frame2.

pHash: the frame in grayscale, area-scaled to 32×32, 2-D DCT, the 8×8 lowest
frequencies compared with their median (DC excluded from the median) → 64 bits,
stored as 16 hex digits. Two triplets are near-duplicates when their hashes
differ in at most ``max_distance`` bits.

:func:`drop_duplicates` visits the dataset's triplets in (film_id, f1, stride)
order — independent of the order films were mined in — and drops every triplet
within ``max_distance`` of one kept before it: its row moves from the film's
triplet part to its candidate part (reason ``near-duplicate``, detail = the
kept triplet's id), its frames are deleted. Each step rewrites a whole part
atomically and the step is idempotent, so a kill at any moment is repaired by
running it again.
"""

from __future__ import annotations

import shutil

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


def find_duplicates(triplets: pd.DataFrame, max_distance: int) -> dict[str, str]:
    """{dropped triplet id: id of the kept triplet it duplicates}, visiting in (film_id, f1, stride) order."""
    if max_distance < 0 or not len(triplets):
        return {}
    df = triplets.dropna(subset=["phash"]).sort_values(["film_id", "f1", "stride", "triplet_id"])
    hashes = np.array([int(h, 16) for h in df["phash"]], dtype=np.uint64)
    ids = df["triplet_id"].tolist()
    kept_idx: list[int] = []
    kept_hashes = np.empty(0, dtype=np.uint64)
    dropped: dict[str, str] = {}
    for i, h in enumerate(hashes):
        if len(kept_hashes):
            dist = _popcount(np.bitwise_xor(kept_hashes, h))
            j = int(np.argmin(dist))
            if dist[j] <= max_distance:
                dropped[ids[i]] = ids[kept_idx[j]]
                continue
        kept_idx.append(i)
        kept_hashes = np.append(kept_hashes, h)
    return dropped


def drop_duplicates(root: DatasetRoot, max_distance: int) -> int:
    """Move near-duplicate triplets to candidates (see module doc); returns how many were dropped."""
    triplets = root.triplet_parts.read()
    dropped = find_duplicates(triplets, max_distance)
    if not dropped:
        return 0
    gone = triplets[triplets["triplet_id"].isin(list(dropped))]
    for film_id, rows in gone.groupby("film_id"):
        cand_path = root.candidate_parts.directory / f"{film_id}.parquet"
        trip_path = root.triplet_parts.directory / f"{film_id}.parquet"
        film_path = root.film_parts.directory / f"{film_id}.parquet"
        new = pd.DataFrame({"film_id": rows["film_id"], "f1": rows["f1"], "f2": rows["f2"], "f3": rows["f3"],
                            "stride": rows["stride"], "shot": rows["shot"], "ssim_12": rows["ssim_12"],
                            "ssim_23": rows["ssim_23"], "ssim_13": rows["ssim_13"], "reason": "near-duplicate",
                            "detail": [f"phash within {max_distance} bits of {dropped[t]}" for t in rows["triplet_id"]]})
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
    return len(dropped)
