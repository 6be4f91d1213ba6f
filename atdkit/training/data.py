"""Training samples from a dataset root: frames decoded once into a cache, a data order fixed by the seed.

The cache (``<run>/cache/<W>x<H>/<triplet_id>.npz``) holds a triplet's three frames
Lanczos-resized to the training size (uint8, RGB) and, for SGM training, its two guidance
flows nearest-resized and rescaled to that size (float32, official rule). It is written
atomically once per triplet, so a killed preparation resumes where it stopped.

The order of the samples and every augmentation are functions of (seed, epoch, position),
never of a worker's RNG state: sample ``slot = epoch × per_epoch + position`` is the same
crop, flip and reversal of the same triplet in every run with that seed, which is what makes
a resumed run continue exactly where the killed one stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from atdkit.methods.animeinterp.flows import ensure_flows, resize_flow
from atdkit.ops.resize import resize_lanczos
from atdkit.store.atomic import atomic_path
from atdkit.store.dataset import DatasetRoot
from atdkit.training.config import TrainConfig


def cache_path(cache_dir: Path, triplet_id: str) -> Path:
    return cache_dir / f"{triplet_id}.npz"


def _holds_flows(path: Path) -> bool:
    with np.load(path) as cached:
        return "flows" in cached.files


def prepare_cache(root: DatasetRoot, triplet_ids: Sequence[str], cache_dir: Path, size: tuple[int, int],
                  with_flows: bool, sgm=None, tick: Callable[[], None] | None = None) -> None:
    """Decode and resize every triplet's frames (and, ``with_flows``, its SGM flows: from the root's
    cache when they are those of ``sgm``'s settings, else computed and cached there) once."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for tid in triplet_ids:
        path = cache_path(cache_dir, tid)
        if not path.is_file() or (with_flows and not _holds_flows(path)):
            frames = np.stack([resize_lanczos(f, size) for f in root.read_frames(tid)])
            arrays = {"frames": frames}
            if with_flows:
                arrays["flows"] = np.stack([resize_flow(f, *size) for f in ensure_flows(root, tid, sgm)])
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **arrays)
        if tick is not None:
            tick()


def split_ids(root: DatasetRoot, config: TrainConfig) -> tuple[list[str], list[str]]:
    """(training, validation) triplet ids from the root's ``split`` column. A root whose triplets
    carry no split at all trains on every triplet and validates on none (said on stderr)."""
    triplets = root.triplets().sort_values("triplet_id")
    split = triplets["split"] if "split" in triplets else None
    if split is None or split.isna().all():
        print(f"{root.path}: no triplet has a split; training on all {len(triplets)}, no validation",
              file=sys.stderr)
        return list(triplets["triplet_id"]), []
    return (list(triplets.loc[split == config.train_split, "triplet_id"]),
            list(triplets.loc[split == config.val_split, "triplet_id"]))


def augmentation(seed: int, slot: int, size: tuple[int, int], crop: tuple[int, int],
                 flip: bool, reverse: bool) -> tuple[int, int, bool, bool]:
    """(x0, y0, flipped, reversed) of sample ``slot``: a pure function of the seed and the slot."""
    rng = np.random.default_rng([seed, slot])
    x0 = int(rng.integers(0, size[0] - crop[0] + 1))
    y0 = int(rng.integers(0, size[1] - crop[1] + 1))
    flipped = bool(rng.random() < 0.5) if flip else False
    reversed_ = bool(rng.random() < 0.5) if reverse else False
    return x0, y0, flipped, reversed_


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The permutation of the ``n`` training triplets in ``epoch``."""
    return np.random.default_rng([seed, 1_000_003, epoch]).permutation(n)


class TrainingSamples(torch.utils.data.Dataset):
    """Item ``slot`` → (frame1, frame2, frame3 as (3,h,w) float in [0,1], flow13, flow31 (2,h,w) or
    empty), cropped and augmented as :func:`augmentation` says. Frame 2 is the target."""

    def __init__(self, cache_dir: Path, triplet_ids: Sequence[str], config: TrainConfig, per_epoch: int):
        self.cache_dir, self.ids, self.config, self.per_epoch = Path(cache_dir), list(triplet_ids), config, per_epoch

    def triplet_of(self, slot: int) -> str:
        epoch, position = divmod(slot, self.per_epoch)
        return self.ids[epoch_order(self.config.seed, epoch, len(self.ids))[position]]

    def __len__(self) -> int:
        return self.per_epoch * self.config.epochs

    def __getitem__(self, slot: int):
        if not 0 <= slot < len(self):
            raise IndexError(f"sample {slot} outside 0…{len(self) - 1}")
        c = self.config
        with np.load(cache_path(self.cache_dir, self.triplet_of(slot))) as z:
            frames = z["frames"]
            flows = z["flows"] if c.use_sgm else None
        x0, y0, flipped, reversed_ = augmentation(c.seed, slot, c.resize, c.crop, c.flip, c.reverse)
        rows, cols = slice(y0, y0 + c.crop[1]), slice(x0, x0 + c.crop[0])
        frames = frames[:, rows, cols]
        if flows is not None:
            flows = flows[:, :, rows, cols].copy()
        if reversed_:  # 3-2-1: the flows swap roles
            frames = frames[::-1]
            if flows is not None:
                flows = flows[::-1]
        if flipped:
            frames = frames[:, :, ::-1]
            if flows is not None:
                flows = flows[:, :, :, ::-1].copy()
                flows[:, 0] *= -1  # x component
        images = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255.0)
        flow_tensor = torch.from_numpy(np.ascontiguousarray(flows)) if flows is not None else torch.empty(0)
        return images[0], images[1], images[2], flow_tensor
