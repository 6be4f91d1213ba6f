"""Load a released state dict into a module key-for-key: every name present with
its shape, nothing missing, nothing extra (never a silent ``strict=False``).

Every problem becomes one line naming the file, what is wrong and (``hint``)
how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from atdkit.errors import WeightsMismatch, WeightsMissing


def _examples(names, limit: int = 2) -> str:
    names = sorted(names)
    more = f", … {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _suffix(hint: str) -> str:
    return f"; {hint}" if hint else ""


def _load(path: Path, safe_globals: tuple, hint: str):
    """``torch.load`` with ``weights_only=True`` (plus the classes in ``safe_globals``, e.g.
    ``datetime.datetime`` for a training timestamp saved beside the weights), on CPU."""
    if not path.is_file():
        raise WeightsMissing(f"{path}: checkpoint file not found{_suffix(hint)}")
    try:
        with torch.serialization.safe_globals(list(safe_globals)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling failure is a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise WeightsMismatch(f"{path}: not a readable PyTorch checkpoint ({first}){_suffix(hint)}") from None


def _tensors(obj, path: Path, container_key: str | None, hint: str) -> dict[str, torch.Tensor]:
    if container_key is not None:
        if not isinstance(obj, dict) or not isinstance(obj.get(container_key), dict):
            found = _examples(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
            raise WeightsMismatch(f"{path}: no '{container_key}' dict (found {found}){_suffix(hint)}")
        obj = obj[container_key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsMismatch(f"{path}: expected a flat dict of tensors (a state dict){_suffix(hint)}")
    return dict(obj)


def read_state_dict(path: str | os.PathLike, strip_prefix: str | None = None, *, container_key: str | None = None,
                    prefix_required: bool = True, hint: str = "") -> dict[str, torch.Tensor]:
    """Tensors of a ``torch.save``-d state dict (loaded with ``weights_only=True``, on CPU).

    ``container_key``: the state dict sits under this key of the saved dict
    (e.g. ``'model_state_dict'``). ``strip_prefix`` (e.g. ``"module."`` from
    ``DataParallel``) is removed from every key; with ``prefix_required`` a key
    without it is an error, otherwise such keys are kept as they are.
    """
    path = Path(path)
    obj = _tensors(_load(path, (), hint), path, container_key, hint)
    if not strip_prefix:
        return obj
    if prefix_required:
        stray = [k for k in obj if not k.startswith(strip_prefix)]
        if stray:
            raise WeightsMismatch(f"{path}: key {stray[0]!r} lacks the expected prefix {strip_prefix!r}{_suffix(hint)}")
    return {k[len(strip_prefix):] if k.startswith(strip_prefix) else k: v for k, v in obj.items()}


def read_state_dicts(path: str | os.PathLike, container_keys: tuple[str, ...], *, safe_globals: tuple = (),
                     hint: str = "") -> dict[str, dict[str, torch.Tensor]]:
    """The state dicts under each of ``container_keys`` of one saved dict, read once (a file
    holding several networks, e.g. Super SloMo's); other entries of the dict are ignored."""
    path = Path(path)
    obj = _load(path, tuple(safe_globals), hint)
    return {key: _tensors(obj, path, key, hint) for key in container_keys}


def check_state_dict(module: nn.Module, state: dict[str, torch.Tensor], source: str | os.PathLike,
                     hint: str = "") -> None:
    """Raise one-line :class:`WeightsMismatch` unless ``state`` has exactly ``module``'s names and shapes."""
    expected = module.state_dict()
    missing = expected.keys() - state.keys()
    extra = state.keys() - expected.keys()
    wrong = sorted(k for k in expected.keys() & state.keys() if tuple(state[k].shape) != tuple(expected[k].shape))
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(expected)} weights missing ({_examples(missing)})")
    if extra:
        problems.append(f"{len(extra)} unexpected ({_examples(extra)})")
    if wrong:
        k = wrong[0]
        problems.append(f"{len(wrong)} with wrong shapes (e.g. {k}: {tuple(state[k].shape)} in the file, "
                        f"{tuple(expected[k].shape)} in the model)")
    if problems:
        raise WeightsMismatch(f"{source}: not a {type(module).__name__} checkpoint: "
                              f"{'; '.join(problems)}{_suffix(hint)}")


def load_exact(module: nn.Module, path: str | os.PathLike, strip_prefix: str | None = None, *,
               container_key: str | None = None, prefix_required: bool = True, hint: str = "",
               rename: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None) -> nn.Module:
    """Load ``path`` into ``module`` after checking names and shapes match exactly; returns the module.
    ``rename``: the file's names → the module's (a checkpoint-filter function), applied before the check."""
    state = read_state_dict(path, strip_prefix, container_key=container_key, prefix_required=prefix_required,
                            hint=hint)
    if rename is not None:
        state = rename(state)
    check_state_dict(module, state, path, hint)
    module.load_state_dict(state, strict=True)
    return module
