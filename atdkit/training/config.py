"""The training recipe of AnimeInterp's two phases, each hyper-parameter with the paper's value as default.

The authors never released their training code; the values come from the paper and the
official loaders (``../shared/SPEC.md`` §6.1 and Part A "Training"):

* phase 1 — without SGM: L1 loss, Adam, lr 1e-4 multiplied by 0.1 at epochs 100 and 150,
  200 epochs, batch 16; RFR initialised from RAFT weights where the user has them
  (``rfr_init``). Frames resized to 640×360 and randomly cropped to 352×352, the official
  phase-1 loader's defaults (``datas/AniTriplet.py``).
* phase 2 — the whole system on animation triplets with SGM flows as RFR's initialisation:
  Adam, lr 1e-6, 50 epochs, frames resized to 960×540 and randomly cropped to 380×380,
  batch 16, horizontal flips and temporal reversal.

Which of the two the official loader's ``shift`` augmentation was used with is unknown
(SPEC §6.1); it is not applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from atdkit.errors import BadArgument

PHASES = (1, 2)


@dataclass(frozen=True)
class TrainConfig:
    """One training run's recipe. ``phase_defaults(p)`` gives the paper's values for phase ``p``;
    everything that changes the numbers a run produces is here (and is checked on resume)."""

    phase: int = 2
    epochs: int = field(default=50, metadata={"help": "passes over the training triplets"})
    lr: float = field(default=1e-6, metadata={"help": "Adam learning rate at epoch 0"})
    milestones: tuple[int, ...] = field(default=(), metadata={"help": "epochs at which lr is multiplied by gamma"})
    gamma: float = field(default=0.1, metadata={"help": "lr factor at each milestone"})
    batch_size: int = field(default=16, metadata={"help": "triplets per step"})
    resize: tuple[int, int] = field(default=(960, 540), metadata={"help": "frames resized to WIDTHxHEIGHT (Lanczos)"})
    crop: tuple[int, int] = field(default=(380, 380), metadata={"help": "random crop WIDTHxHEIGHT of the resized frames"})
    flip: bool = field(default=True, metadata={"help": "random horizontal flips (p = 0.5)"})
    reverse: bool = field(default=True, metadata={"help": "random temporal reversal 3-2-1 (p = 0.5)"})
    use_sgm: bool = field(default=True, metadata={"help": "initialise RFR with the triplet's SGM flows"})
    seed: int = field(default=0, metadata={"help": "data order and augmentation (same seed ⇒ same run)"})
    train_split: str = field(default="train", metadata={"help": "the triplets' split trained on"})
    val_split: str = field(default="test", metadata={"help": "the triplets' split validated on"})

    def __post_init__(self):
        if self.phase not in PHASES:
            raise BadArgument(f"phase must be 1 or 2, got {self.phase}")
        if self.epochs < 1 or self.batch_size < 1:
            raise BadArgument(f"epochs and batch size must be ≥ 1, got {self.epochs} and {self.batch_size}")
        if not self.lr > 0 or not 0 < self.gamma <= 1:
            raise BadArgument(f"lr must be > 0 and gamma in (0, 1], got {self.lr} and {self.gamma}")
        cw, ch = self.crop
        rw, rh = self.resize
        if cw > rw or ch > rh:
            raise BadArgument(f"crop {cw}x{ch} is larger than the resized frames {rw}x{rh}")
        if min(cw, ch) < 64 or cw % 4 or ch % 4:
            raise BadArgument(f"crop {cw}x{ch}: each side must be a multiple of 4 (GridNet) and ≥ 64 (RFR's pyramid)")

    def lr_at(self, epoch: int) -> float:
        """The step schedule (MultiStepLR): lr × gamma^(milestones passed)."""
        return self.lr * self.gamma ** sum(epoch >= m for m in self.milestones)

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names})


def phase_defaults(phase: int) -> TrainConfig:
    """The paper's recipe for ``phase`` (1: no SGM, real video; 2: SGM, animation triplets)."""
    if phase == 1:
        return TrainConfig(phase=1, epochs=200, lr=1e-4, milestones=(100, 150), resize=(640, 360),
                           crop=(352, 352), use_sgm=False)
    if phase == 2:
        return TrainConfig(phase=2)
    raise BadArgument(f"phase must be 1 or 2, got {phase}")


def help_text(name: str) -> str:
    return next(f.metadata.get("help", name) for f in dataclasses.fields(TrainConfig) if f.name == name)
