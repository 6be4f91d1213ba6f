"""``superslomo``: Super SloMo at any t, loading avinashpaliwal/Super-SloMo's released checkpoint.

The checkpoint (``SuperSloMo.ckpt``, trained on Adobe240fps) is the dict the repository's
``train.py`` saves: the two U-Nets' state dicts under ``state_dictFC`` (flow computation) and
``state_dictAT`` (arbitrary-time flow interpolation), beside training records (epoch, losses,
a ``datetime`` timestamp) that are read with ``weights_only=True`` and ignored.

Frames go in as RGB in [0, 1] minus the training mean (as in ``train.py``; the official video
script skips the subtraction on CPU by an accident of its device test, we never do), zero-padded
on the right and bottom to a multiple of 32 (the official scripts resize to a multiple of 32
instead), and the prediction is cropped back.
"""

from __future__ import annotations

import datetime
import os

import torch

from atdkit import weights as weights_registry
from atdkit.methods.base import Option
from atdkit.weights import WeightsSpec
from atdkit.weights.checkpoint import check_state_dict, read_state_dicts
from atdkit.baselines.padded_net import PaddedNetInterpolator
from atdkit.baselines.superslomo.model import SIZE_MULTIPLE, TRAINING_MEAN, SuperSloMoNet

SUPERSLOMO_WEIGHTS = WeightsSpec(
    name="superslomo",
    filename="SuperSloMo.ckpt",
    description="Super SloMo flow-computation and arbitrary-time flow-interpolation U-Nets trained on "
                "Adobe240fps (avinashpaliwal/Super-SloMo README, 'Pretrained model'); a Google Drive file: "
                "when the download returns a confirmation page, fetch it in a browser and pass --weights; "
                "sha256 not known here (the file could not be downloaded when this was written)",
    license="MIT (avinashpaliwal/Super-SloMo)",
    url="https://drive.google.com/uc?export=download&id=1IvobLDbRiBgZr3ryCRrWL8xDbMZ-KnpF",
    format="torch checkpoint dict: U-Net state dicts under state_dictFC and state_dictAT, plus training records",
)
PARTS = (("flow", "state_dictFC"), ("interp", "state_dictAT"))  # our submodule, its key in the file


def load_superslomo(path: str | os.PathLike, device: torch.device | str = "cpu",
                    align_corners: bool = True) -> SuperSloMoNet:
    """An eval-mode :class:`SuperSloMoNet` with both U-Nets of ``path`` loaded key-for-key."""
    net = SuperSloMoNet(align_corners=align_corners)
    states = read_state_dicts(path, tuple(key for _, key in PARTS), safe_globals=(datetime.datetime,))
    for part, key in PARTS:
        check_state_dict(getattr(net, part), states[key], f"{path} [{key}]")
        getattr(net, part).load_state_dict(states[key], strict=True)
    return net.eval().to(device)


class SuperSloMo(PaddedNetInterpolator):
    name = "superslomo"
    license = "MIT"
    description = "Super SloMo (Jiang et al. 2018), avinashpaliwal/Super-SloMo's Adobe240fps checkpoint; any t"
    weights = (SUPERSLOMO_WEIGHTS,)
    options = (Option("align_corners", bool, True, (),
                      "grid sampling as in PyTorch 0.4.1, which trained the weights (false: as the official "
                      "script runs on PyTorch >= 1.3)"),)

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None, align_corners: bool = True,
                 net: SuperSloMoNet | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``align_corners``: the warp's
        grid sampling (see the option); ``net``: an already built network (e.g. random weights)."""
        super().__init__(device=device)
        if net is None:
            net = load_superslomo(weights_registry.resolve(self.weights[0], override=weights), device, align_corners)
        self.net = net.eval().to(device)
        self.net.align_corners = bool(align_corners)
        self.pad_multiple = SIZE_MULTIPLE
        self.mean = torch.tensor(TRAINING_MEAN, device=device).view(1, 3, 1, 1)

    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        t = float(timestep.flatten()[0])
        return self.net(img0 - self.mean, img1 - self.mean, t) + self.mean
