"""Parsers for option values shared by several commands."""

from __future__ import annotations

from atdkit.errors import BadInput


def parse_size(text: str, allow_native: bool = False) -> tuple[int, int] | None:
    """'960x540' (or '960×540') → (960, 540); 'native' → None when ``allow_native``."""
    if allow_native and text.lower() == "native":
        return None
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        hint = " or 'native'" if allow_native else ""
        raise BadInput(f"size {text!r}: expected WIDTHxHEIGHT (e.g. 960x540){hint}") from None
    if w <= 0 or h <= 0:
        raise BadInput(f"size {text!r}: width and height must be positive")
    return w, h
