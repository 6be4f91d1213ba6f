"""SoftSplat (Niklaus & Liu, CVPR 2020), the full ``lf`` model of sniklaus/softmax-splatting.

:class:`SoftSplatNet` is the official ``Network`` for one time t: both frames are normalised
together (the mean of the two frames' means; the standard deviation pooled over both, biased,
plus 1e-7), the flow estimator (:mod:`.flow`) gives both flows, the synthesis network
(:mod:`.synthesis`) the normalised frame at t, which is de-normalised. The released weights were
trained on **BGR** frames in [0, 1] (the official script flips PIL's RGB); the method flips.

Parameter names: the official module ``netFlow.netExtractor.netFirst`` is ours
``flow.extractor.first`` (each component's ``net`` prefix dropped, the next letter lower-cased);
the released file names them ``moduleFlow.…`` (the official loader replaces ``module`` with
``net``). :func:`model_key` and :func:`released_key` translate.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from atdkit.baselines.softsplat.flow import FlowEstimator
from atdkit.baselines.softsplat.synthesis import Synthesis

NORMALISE_EPS = 1e-7
_PREFIXED = re.compile(r"^(?:module|net)([A-Z]\w*)$")
_PLAIN = re.compile(r"^[a-z][A-Za-z]*$")


def model_key(key: str) -> str:
    """A released (``moduleFlow.moduleExtractor.…``) or official (``netFlow.…``) name → ours."""
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        match = _PREFIXED.match(part)
        if match:
            parts[i] = match.group(1)[0].lower() + match.group(1)[1:]
    return ".".join(parts)


def released_key(key: str) -> str:
    """Our name → the released file's (``module`` + the component capitalised; grid names, layer
    indices and the parameter name unchanged)."""
    parts = key.split(".")
    return ".".join([("module" + p[0].upper() + p[1:]) if _PLAIN.match(p) else p for p in parts[:-1]] + parts[-1:])


def normalise(one: torch.Tensor, two: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(one', two', mean, std): both frames standardised with their joint per-sample statistics."""
    frames = (one, two)
    mean = sum(f.mean([1, 2, 3], True) for f in frames) / len(frames)
    var = sum(f.std([1, 2, 3], False, True).square() + (mean - f.mean([1, 2, 3], True)).square()
              for f in frames) / len(frames)
    std = var.sqrt()
    return (one - mean) / (std + NORMALISE_EPS), (two - mean) / (std + NORMALISE_EPS), mean, std


class SoftSplatNet(nn.Module):
    """``flow`` (the official ``netFlow``) and ``synthesis`` (``netSynthesis``)."""

    def __init__(self) -> None:
        super().__init__()
        self.flow = FlowEstimator()
        self.synthesis = Synthesis()

    def forward(self, one: torch.Tensor, two: torch.Tensor, t: float) -> torch.Tensor:
        """The frame at ``t`` ∈ [0, 1] between BGR frames ``one`` and ``two`` (B, 3, H, W) in [0, 1]
        (H and W even, as the official script pads them)."""
        one, two, mean, std = normalise(one, two)
        forward, backward = self.flow(one, two)
        return self.synthesis(one, two, forward, backward, float(t)) * std + mean
