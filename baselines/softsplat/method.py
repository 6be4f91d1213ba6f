"""``softsplat``: SoftSplat at any t, loading sniklaus/softmax-splatting's released ``lf`` model.

The file (``network-lf.pytorch``, what the official ``run.py --model lf`` downloads) is a flat
state dict of the flow estimator and the synthesis network whose names read ``moduleFlow.…`` /
``moduleSynthesis.…`` (the official loader replaces ``module`` with ``net``); it is read with
``weights_only=True``, renamed (:func:`~atdkit.baselines.softsplat.model.model_key`) and checked
name for name and shape for shape.

Frames go in as BGR in [0, 1] (as the official script feeds them), replicate-padded on the right
and bottom to even sizes (as the official ``estimate`` does) and, for frames smaller than
:data:`MIN_SIZE` pixels either way, up to that size (the flow estimator's second-coarsest level
must be at least 2 pixels wide and high: its backward warp divides by size − 1, and the official
code returns NaN below it), and the prediction is cropped back.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from atdkit import weights as weights_registry
from atdkit.baselines.padded_net import PaddedNetInterpolator
from atdkit.baselines.softsplat.model import SoftSplatNet, model_key
from atdkit.weights import WeightsSpec
from atdkit.weights.checkpoint import load_exact

SIZE_MULTIPLE = 2  # the official script pads to even sizes
MIN_SIZE = 34  # smallest even size whose 1/32 level (ceil) has 2 pixels
SOFTSPLAT_WEIGHTS = WeightsSpec(
    name="softsplat",
    filename="network-lf.pytorch",
    description="SoftSplat 'lf' model: flow estimator and synthesis network (sniklaus/softmax-splatting run.py "
                "--model lf, which caches it as 'softsplat-lf'); sha256 not known here (the file could not be "
                "downloaded when this was written)",
    license="academic use only; commercial use by arrangement with the authors (sniklaus/softmax-splatting README)",
    url="http://content.sniklaus.com/softsplat/network-lf.pytorch",
    format="torch state dict, names moduleFlow.* and moduleSynthesis.* (module → net gives the official names)",
)


def load_softsplat(path: str | os.PathLike, device: torch.device | str = "cpu") -> SoftSplatNet:
    """An eval-mode :class:`SoftSplatNet` with ``path`` loaded key-for-key."""
    net = load_exact(SoftSplatNet(), path,
                     hint="names shown as atdkit's (the file's moduleFlow.moduleFirst is flow.first)",
                     rename=lambda state: {model_key(k): v for k, v in state.items()})
    return net.eval().to(device)


def _padded(size: int) -> int:
    """The size the network gets: even, and at least :data:`MIN_SIZE`."""
    return max(size + (-size % SIZE_MULTIPLE), MIN_SIZE)


class SoftSplat(PaddedNetInterpolator):
    name = "softsplat"
    license = "academic use only"
    description = "SoftSplat (Niklaus & Liu 2020), sniklaus/softmax-splatting's 'lf' model; any t"
    weights = (SOFTSPLAT_WEIGHTS,)
    pad_multiple = 1  # run_net pads (replicate, to even sizes) as the official script does

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None,
                 net: SoftSplatNet | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``net``: an already built
        network (e.g. random weights)."""
        super().__init__(device=device)
        if net is None:
            net = load_softsplat(weights_registry.resolve(self.weights[0], override=weights), device)
        self.net = net.eval().to(device)

    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        h, w = img0.shape[-2:]
        pad = (0, _padded(w) - w, 0, _padded(h) - h)
        one, two = (F.pad(x.flip(1), pad, mode="replicate") for x in (img0, img1))  # RGB → BGR
        out = self.net(one, two, float(timestep.flatten()[0]))
        return out[:, :, :h, :w].flip(1)
