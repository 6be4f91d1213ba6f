"""Tensor memory layout for fast CPU convolutions."""

from __future__ import annotations

import torch


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """The same (B,C,H,W) values stored channels-last (NHWC strides), oneDNN's fastest CPU conv layout.

    Convolutions give the same numbers up to float summation order in either layout (tests).
    """
    return x.contiguous(memory_format=torch.channels_last)
