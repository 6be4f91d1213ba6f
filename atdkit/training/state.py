"""A training run's checkpoint: the official AnimeInterp format plus what resuming needs.

``<run>/checkpoint.ckpt`` is a dict with
* ``model_state_dict`` — the 220 tensors named ``module.…`` exactly as the released
  ``anime_interp_full.ckpt`` (so the official test script, ``atdkit bench -m animeinterp
  --weights animeinterp-full=<run>/checkpoint.ckpt`` and :func:`load_checkpoint` read it);
* ``atdkit_training`` — the step reached, the recipe (:class:`TrainConfig`), the Adam state and
  the loss/validation history.

It is replaced atomically every N steps: a killed run leaves the previous complete checkpoint.
Every value is a tensor, number, string, list or dict, so it loads with ``weights_only=True``.
``<run>/final.ckpt`` (written when the run completes) holds ``model_state_dict`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from atdkit import __version__
from atdkit.errors import BadArgument, WeightsMismatch
from atdkit.methods.animeinterp.checkpoint import PREFIX, STATE_KEY, load_checkpoint
from atdkit.store.atomic import atomic_path
from atdkit.training.config import TrainConfig

CHECKPOINT = "checkpoint.ckpt"
FINAL = "final.ckpt"
TRAINING_KEY = "atdkit_training"


@dataclass
class RunState:
    step: int = 0
    history: list[dict] = field(default_factory=list)
    optimizer: dict | None = None


def official_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {PREFIX + k: v.detach().cpu() for k, v in model.state_dict().items()}


def save(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig,
         state: RunState) -> Path:
    path = Path(run_dir) / CHECKPOINT
    payload = {STATE_KEY: official_state(model),
               TRAINING_KEY: {"step": state.step, "config": config.as_dict(), "optimizer": optimizer.state_dict(),
                              "history": state.history, "atdkit_version": __version__}}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def save_final(run_dir: Path, model: nn.Module) -> Path:
    path = Path(run_dir) / FINAL
    with atomic_path(path) as tmp:
        torch.save({STATE_KEY: official_state(model)}, tmp)
    return path


def resume(run_dir: Path, model: nn.Module, config: TrainConfig) -> RunState | None:
    """Load ``run_dir``'s checkpoint into ``model`` and return its state (None: nothing to resume).
    A checkpoint made with another recipe is refused in one line (it would not continue that run)."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        training = saved[TRAINING_KEY]
    except Exception as exc:  # unreadable or not ours
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise WeightsMismatch(f"{path}: not a readable atdkit training checkpoint ({first}); "
                              "move it away or use another --out") from None
    before = TrainConfig.from_dict(training["config"])
    if before != config:
        differ = [k for k, v in config.as_dict().items() if before.as_dict().get(k) != v]
        raise BadArgument(f"{path}: a run with other settings ({', '.join(differ)}) is in this folder; "
                          "rerun it with the same options to resume, or use another --out")
    load_checkpoint(model, path)
    return RunState(step=int(training["step"]), history=list(training["history"]), optimizer=training["optimizer"])
