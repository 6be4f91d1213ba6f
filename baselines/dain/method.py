"""``dain``: depth-aware video frame interpolation, loading baowenbo/DAIN's released ``best.pth``.

``best.pth`` is the plain state dict of the whole DAIN network (``torch.save(model.state_dict())``
in the release's ``train.py``): kernel estimation, context extractor, frame synthesis and depth
network under their own names, and PWC-Net under NVlabs' ``PWCDCNet`` names (``flownets.conv1a…``),
which :func:`~atdkit.baselines.pwcnet.rename_nvlabs_keys` maps onto the project's one PWC-Net.
Every other name and every shape must be exactly the network's.

Frames go in as RGB in [0, 1], padded as the release's ``demo_MiddleBury.py`` pads them:
replicating the border, centred, up to the next multiple of :data:`PAD_MULTIPLE` (by 32 on each
side where a side already is one); the prediction is cropped back. The time t may be anything in
[0, 1]: the release's ``DAIN_slowmotion`` uses the same weights for t ≠ 0.5 (flows scaled by t and
1 − t, blend (1 − t, t)), and at t = 0.5 it computes what ``DAIN`` does.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from atdkit import weights as weights_registry
from atdkit.baselines.dain.model import DAINNet
from atdkit.baselines.padded_net import check_pair, to_frame, to_tensor
from atdkit.baselines.pwcnet import rename_nvlabs_keys
from atdkit.methods.base import Interpolator, TripletContext
from atdkit.weights import WeightsSpec
from atdkit.weights.checkpoint import load_exact

DAIN_WEIGHTS = WeightsSpec(
    name="dain",
    filename="dain_best.pth",
    description="DAIN trained on Vimeo-90K triplets (baowenbo/DAIN README, 'Download pretrained models': "
                "model_weights/best.pth); sha256 not known here (the file could not be downloaded when this "
                "was written)",
    license="MIT (baowenbo/DAIN; its MegaDepth part MIT, Zhengqi Li)",
    url="http://vllab1.ucmerced.edu/~wenbobao/DAIN/best.pth",
    format="torch state dict of the DAIN network (no prefix; PWC-Net under NVlabs PWCDCNet names)",
)
PAD_MULTIPLE = 128  # demo_MiddleBury.py pads each side to the next multiple of 128 …
PAD_WHEN_ALIGNED = 32  # … or by 32 on both ends where it already is one
HINT = "expected baowenbo/DAIN's model_weights/best.pth"


def demo_padding(size: int) -> tuple[int, int]:
    """(before, after) replicate padding of one side of ``size`` pixels, as the release's demo pads."""
    if size % PAD_MULTIPLE == 0:
        return PAD_WHEN_ALIGNED, PAD_WHEN_ALIGNED
    total = (size // PAD_MULTIPLE + 1) * PAD_MULTIPLE - size
    return total // 2, total - total // 2


def dain_names(state: dict[str, torch.Tensor], path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """``best.pth``'s tensors (read from ``path``) under :class:`DAINNet`'s names (PWC-Net keys renamed)."""
    flow = {k[len("flownets."):]: v for k, v in state.items() if k.startswith("flownets.")}
    renamed = {k: v for k, v in state.items() if not k.startswith("flownets.")}
    if flow:  # without any flownets key the check below names the missing PWC-Net
        renamed.update({"flownets." + k: v for k, v in rename_nvlabs_keys(flow, str(path)).items()})
    return renamed


def load_dain(path: str | os.PathLike, device: torch.device | str = "cpu") -> DAINNet:
    """An eval-mode :class:`DAINNet` with ``path`` loaded key-for-key."""
    net = load_exact(DAINNet(), path, hint=HINT, rename=lambda state: dain_names(state, path))
    return net.eval().to(device)


class DAIN(Interpolator):
    name = "dain"
    license = "MIT"
    description = ("DAIN (Bao et al. 2019), baowenbo/DAIN's best.pth: PWC-Net flow, MegaDepth depth, depth-aware "
                   "projection, adaptive warping, frame synthesis; any t")
    weights = (DAIN_WEIGHTS,)

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None,
                 net: DAINNet | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``net``: an already built network."""
        super().__init__(device=device)
        if net is None:
            net = load_dain(weights_registry.resolve(self.weights[0], override=weights), device)
        self.net = net.eval().to(device)

    @torch.inference_mode()
    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        check_pair(frame1, frame3, t)
        h, w = frame1.shape[:2]
        (top, bottom), (left, right) = demo_padding(h), demo_padding(w)

        def prepare(frame: np.ndarray) -> torch.Tensor:
            return F.pad(to_tensor(frame, self.device), (left, right, top, bottom), mode="replicate")

        out = self.net(prepare(frame1), prepare(frame3), float(t))
        return to_frame(out[:, :, top:, left:], h, w)
