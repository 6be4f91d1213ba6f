"""``adacof``: AdaCoF with the released kernel-size-5 checkpoint of HyeongminLEE/AdaCoF-pytorch.

The checkpoint (``checkpoint/kernelsize_5/ckpt.pth`` in the repository, trained on Vimeo-90K
triplets, F = 5, dilation 1) is the dict the repository's trainer saves: ``epoch`` and the
network's state dict under ``state_dict``. AdaCoF has no time input: it predicts the middle
frame only, so any t other than 0.5 is refused. The network pads the frames itself (reflect,
to a multiple of 32, as released) and crops its output back.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from atdkit.errors import BadInput
from atdkit import weights as weights_registry
from atdkit.methods.base import TripletContext
from atdkit.weights import WeightsSpec
from atdkit.weights.checkpoint import load_exact
from atdkit.baselines.adacof.model import SIZE_MULTIPLE, AdaCoFNet
from atdkit.baselines.padded_net import PaddedNetInterpolator, check_pair

RELEASE_COMMIT = "6009ee99426397163d2f4eab11da56470a45c7ac"
ADACOF_WEIGHTS = WeightsSpec(
    name="adacof",
    filename="adacof_kernelsize_5_ckpt.pth",
    description="AdaCoF kernel size 5, dilation 1, trained on Vimeo-90K (HyeongminLEE/AdaCoF-pytorch "
                "checkpoint/kernelsize_5/ckpt.pth, git blob cdcb7c2661683f14ebc70747d93faed15892e627); "
                "sha256 not known here (the file could not be downloaded when this was written)",
    license="MIT (HyeongminLEE/AdaCoF-pytorch)",
    url=f"https://github.com/HyeongminLEE/AdaCoF-pytorch/raw/{RELEASE_COMMIT}/checkpoint/kernelsize_5/ckpt.pth",
    format="torch checkpoint dict: state dict under state_dict (keys get_kernel.*), plus epoch",
)
KERNEL_SIZE, DILATION = 5, 1  # the released checkpoint's (config.txt; dilation is the scripts' default)


def load_adacof(path: str | os.PathLike, device: torch.device | str = "cpu") -> AdaCoFNet:
    """An eval-mode :class:`AdaCoFNet` (F = 5) with ``path`` loaded key-for-key."""
    net = load_exact(AdaCoFNet(KERNEL_SIZE, DILATION), path, container_key="state_dict")
    return net.eval().to(device)


class AdaCoF(PaddedNetInterpolator):
    name = "adacof"
    license = "MIT"
    description = "AdaCoF (Lee et al. 2020), HyeongminLEE/AdaCoF-pytorch's kernel-size-5 checkpoint; t=0.5 only"
    weights = (ADACOF_WEIGHTS,)
    pad_multiple = 1  # the network pads itself

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None,
                 net: AdaCoFNet | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``net``: an already built
        network (e.g. random weights)."""
        super().__init__(device=device)
        if net is None:
            net = load_adacof(weights_registry.resolve(self.weights[0], override=weights), device)
        self.net = net.eval().to(device)

    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        check_pair(frame1, frame3, t)
        if float(t) != 0.5:
            raise BadInput(f"adacof predicts only the middle frame (t=0.5), got t={t}")
        if min(frame1.shape[:2]) <= SIZE_MULTIPLE // 2:
            raise BadInput(f"adacof needs frames larger than {SIZE_MULTIPLE // 2} pixels each way for its reflect "
                           f"padding, got {frame1.shape[1]}×{frame1.shape[0]}")
        return super().interpolate(frame1, frame3, t, context=context)

    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        return self.net(img0, img1)
