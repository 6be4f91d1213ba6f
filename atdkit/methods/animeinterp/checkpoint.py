"""Load and save AnimeInterp checkpoints in the official format, key for key.

The released ``anime_interp_full.ckpt`` is a dict whose ``'model_state_dict'``
holds the 220 tensors of :class:`~atdkit.methods.animeinterp.model.AnimeInterpNet`
saved from ``nn.DataParallel``, i.e. every name starts with ``module.``.
Loading checks every name and shape against the model (no ``strict=False``)
and turns any problem into one line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.store.atomic import atomic_path

STATE_KEY = "model_state_dict"
PREFIX = "module."
FIX = "expected the released anime_interp_full.ckpt (`atdkit weights fetch animeinterp-full`)"


def _examples(names, limit: int = 2) -> str:
    names = sorted(names)
    more = f", … {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``module.``-stripped tensors of an official checkpoint file (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsMissing(f"{path}: AnimeInterp checkpoint not found; {FIX}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable / non-torch / unsafe file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsMismatch(f"{path}: not a readable torch checkpoint ({first[:160]}); {FIX}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get(STATE_KEY), dict):
        keys = _examples(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
        raise WeightsMismatch(f"{path}: no '{STATE_KEY}' dict (found {keys}); {FIX}")
    state = {}
    for name, value in obj[STATE_KEY].items():
        if not isinstance(value, torch.Tensor):
            raise WeightsMismatch(f"{path}: entry {name!r} is {type(value).__name__}, not a tensor; {FIX}")
        state[name[len(PREFIX):] if name.startswith(PREFIX) else name] = value
    return state


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load ``path`` into ``model`` after checking that names and shapes match exactly."""
    state = read_state_dict(path)
    expected = model.state_dict()
    missing = expected.keys() - state.keys()
    unexpected = state.keys() - expected.keys()
    wrong = [k for k in expected.keys() & state.keys() if tuple(state[k].shape) != tuple(expected[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(expected)} weights missing ({_examples(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected ({_examples(unexpected)})")
    if wrong:
        k = sorted(wrong)[0]
        problems.append(f"{len(wrong)} with wrong shapes (e.g. {k}: {tuple(state[k].shape)} vs {tuple(expected[k].shape)})")
    if problems:
        raise WeightsMismatch(f"{path}: " + "; ".join(problems) + f"; {FIX}")
    model.load_state_dict(state, strict=True)
    return model


def save_checkpoint(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write ``model`` in the official layout (``{'model_state_dict': {'module.…': …}}``), atomically."""
    state = {PREFIX + k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({STATE_KEY: state}, tmp)
    return Path(path)
