"""Load and save AnimeInterp checkpoints in the official format, key for key.

The released ``anime_interp_full.ckpt`` is a dict whose ``'model_state_dict'``
holds the 220 tensors of :class:`~atdkit.methods.animeinterp.model.AnimeInterpNet`
saved from ``nn.DataParallel``, i.e. every name starts with ``module.``.
Loading checks every name and shape against the model (no ``strict=False``,
see :mod:`atdkit.weights.checkpoint`) and turns any problem into one line
naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from atdkit.store.atomic import atomic_path
from atdkit.weights.checkpoint import load_exact
from atdkit.weights.checkpoint import read_state_dict as _read_state_dict

STATE_KEY = "model_state_dict"
PREFIX = "module."
FIX = "expected the released anime_interp_full.ckpt (`atdkit weights fetch animeinterp-full`)"


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``module.``-stripped tensors of an official checkpoint file (``weights_only=True``)."""
    return _read_state_dict(path, PREFIX, container_key=STATE_KEY, prefix_required=False, hint=FIX)


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load ``path`` into ``model`` after checking that names and shapes match exactly."""
    return load_exact(model, path, PREFIX, container_key=STATE_KEY, prefix_required=False, hint=FIX)


def save_checkpoint(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write ``model`` in the official layout (``{'model_state_dict': {'module.…': …}}``), atomically."""
    state = {PREFIX + k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({STATE_KEY: state}, tmp)
    return Path(path)
