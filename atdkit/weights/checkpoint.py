"""Load a released state dict into a module key-for-key: every name present with
its shape, nothing missing, nothing extra (never a silent ``strict=False``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from atdkit.errors import WeightsMismatch


def read_state_dict(path: str | os.PathLike, strip_prefix: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a ``torch.save``-d state dict (loaded with ``weights_only=True``, on CPU).

    ``strip_prefix`` (e.g. ``"module."`` from ``DataParallel``) must start every key
    and is removed from each; a file that is not a flat tensor dict, or a key
    without the prefix, raises :class:`WeightsMismatch`.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  (any unpickling failure is a bad file)
        raise WeightsMismatch(f"{path}: not a readable PyTorch state dict ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsMismatch(f"{path}: expected a flat dict of tensors (a state dict)")
    if strip_prefix:
        stray = [k for k in state if not k.startswith(strip_prefix)]
        if stray:
            raise WeightsMismatch(f"{path}: key {stray[0]!r} lacks the expected prefix {strip_prefix!r}")
        state = {k[len(strip_prefix):]: v for k, v in state.items()}
    return state


def load_exact(module: nn.Module, path: str | os.PathLike, strip_prefix: str | None = None) -> nn.Module:
    """Load ``path`` into ``module``; any missing, extra or mis-shaped key ⇒ one-line :class:`WeightsMismatch`."""
    state = read_state_dict(path, strip_prefix)
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    shapes = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]!r})")
    if extra:
        problems.append(f"{len(extra)} unexpected (e.g. {extra[0]!r})")
    if shapes:
        k = shapes[0]
        problems.append(f"{len(shapes)} with wrong shape (e.g. {k!r}: file {tuple(state[k].shape)}, "
                        f"model {tuple(expected[k].shape)})")
    if problems:
        raise WeightsMismatch(f"{path}: not a {type(module).__name__} checkpoint: keys {'; '.join(problems)}")
    module.load_state_dict(state, strict=True)
    return module
