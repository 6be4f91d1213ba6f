"""Arguments and option parsers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

from atdkit.errors import BadArgument


def parse_size(text: str, allow_native: bool = False) -> tuple[int, int] | None:
    """'960x540' (or '960×540') → (960, 540); 'native' → None when ``allow_native``."""
    if allow_native and text.lower() == "native":
        return None
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        hint = " or 'native'" if allow_native else ""
        raise BadArgument(f"size {text!r}: expected WIDTHxHEIGHT (e.g. 960x540){hint}") from None
    if w <= 0 or h <= 0:
        raise BadArgument(f"size {text!r}: width and height must be positive")
    return w, h


def _dataset_root(path: Path) -> Path:
    if not (path / "dataset.json").is_file():
        raise typer.BadParameter(f"{path}: not a dataset root (no dataset.json)")
    return path


def _new_or_dataset_root(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path}: exists and is not a folder (a dataset root is one)")
    return path


def root_argument(help: str = "dataset root") -> typer.models.ArgumentInfo:  # noqa: A002 - Typer's word
    """``ROOT``: an existing dataset root, always the command's first positional argument."""
    return typer.Argument(..., metavar="ROOT", help=help, exists=True, file_okay=False, callback=_dataset_root)


def new_root_argument(help: str = "dataset root (created, or extended when it exists)") -> typer.models.ArgumentInfo:  # noqa: A002
    """``ROOT`` of a command that creates the dataset root or adds to it."""
    return typer.Argument(..., metavar="ROOT", help=help, callback=_new_or_dataset_root)
