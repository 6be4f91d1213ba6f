"""PWC-Net (Sun et al., CVPR 2018) as the PyTorch port of the released weights lays it out
(sniklaus/pytorch-pwc's parameter names, which QVI's ``PWCNetnew.py`` and its checkpoint use).

* ``moduleExtractor``: six levels (1/2 … 1/64) of three 3×3 convolutions with leaky ReLU (0.1),
  the first of stride 2; widths 16, 32, 64, 96, 128, 196.
* ``moduleSix`` … ``moduleTwo``: one decoder per level, coarse to fine. The coarsest correlates
  the features directly; the others upsample the coarser flow and features (4×4 transposed
  convolutions ``moduleUpflow``, ``moduleUpfeat``), backward-warp the second features by the
  flow times the level's scale (0.625, 1.25, 2.5, 5.0 for levels 5 … 2) and correlate; five
  DenseNet-style convolutions (``moduleOne`` … ``moduleFiv``) and the flow head ``moduleSix``.
* ``moduleRefiner``: seven dilated convolutions (dilations 1, 2, 4, 8, 16, 1, 1) adding a
  residual to the level-2 flow.

:meth:`PWCNet.forward` resizes both frames (bilinear) to multiples of 64, estimates the level-2
flow, multiplies it by 20, resizes it back to the input size and rescales its components by
the resize factors. ``align_corners`` is the feature warp's grid sampling (QVI's code ran on
PyTorch 1.5.1, where it is False; the port was written for PyTorch < 1.3, where it behaved as True).

The same network, trained separately, is NVlabs' ``PWCDCNet`` (the layout DAIN's ``best.pth``
uses, ``conv1a`` … ``dc_conv7``): :func:`rename_nvlabs_keys` maps its parameter names onto these.
The two codes differ only in the feature warp, which :class:`WarpVariant` names:

* :data:`SNIKLAUS` (pytorch-pwc): grid ``linspace(-1, 1)`` plus the flow over (size − 1)/2;
  samples kept where the coverage (a warped plane of ones) is above 0.999;
* :data:`NVLABS` (PWCDCNet): grid 2·(x + u)/(W − 1) − 1; coverage at least 0.9999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.correlation import local_correlation
from atdkit.errors import WeightsMismatch
from atdkit.ops.warp import backward_warp, rife_grid

SLOPE = 0.1  # leaky ReLU negative slope
WIDTHS = (16, 32, 64, 96, 128, 196)  # extractor channels, levels 1 … 6
CORRELATION_CHANNELS = 81  # (2·4 + 1)², displacement 4
DENSE_WIDTHS = (128, 128, 96, 64, 32)  # the decoders' densely connected convolutions
WARP_SCALES = {5: 0.625, 4: 1.25, 3: 2.5, 2: 5.0}  # flow (in units of 20 px at level 2) → level pixels
FLOW_SCALE = 20.0
SIZE_MULTIPLE = 64
EXTRACTOR_NAMES = ("moduleOne", "moduleTwo", "moduleThr", "moduleFou", "moduleFiv", "moduleSix")
DECODER_NAMES = {2: "moduleTwo", 3: "moduleThr", 4: "moduleFou", 5: "moduleFiv", 6: "moduleSix"}


def _leaky() -> nn.LeakyReLU:
    return nn.LeakyReLU(negative_slope=SLOPE)


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1), _leaky(),
                         nn.Conv2d(cout, cout, 3, padding=1), _leaky(),
                         nn.Conv2d(cout, cout, 3, padding=1), _leaky())


class Extractor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        for name, cin, cout in zip(EXTRACTOR_NAMES, (3,) + WIDTHS[:-1], WIDTHS):
            setattr(self, name, _stage(cin, cout))
        self.names = EXTRACTOR_NAMES

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        levels = []
        for name in self.names:
            x = getattr(self, name)(x)
            levels.append(x)
        return levels


def decoder_input_channels(level: int) -> int:
    """Channels entering a decoder's dense block: correlation, plus (below level 6) the first
    image's features, the upsampled flow and the upsampled features."""
    return CORRELATION_CHANNELS if level == 6 else CORRELATION_CHANNELS + WIDTHS[level - 1] + 2 + 2


@dataclass(frozen=True)
class WarpVariant:
    """How a PWC-Net code backward-warps the second features (module docstring)."""

    grid: str  # "rife" (linspace + scaled flow) or "pixel" (absolute coordinates), as in atdkit.ops.warp
    coverage_min: float  # samples whose coverage is below this (or equal, unless inclusive) are zeroed
    coverage_inclusive: bool


SNIKLAUS = WarpVariant("rife", 0.999, False)
NVLABS = WarpVariant("pixel", 0.9999, True)


def warp_features(features: torch.Tensor, flow: torch.Tensor, align_corners: bool,
                  variant: WarpVariant = SNIKLAUS) -> torch.Tensor:
    """Backward-warp ``features`` by ``flow`` (pixels), zeroing partly-outside samples (module docstring)."""
    ones = features.new_ones((features.shape[0], 1, *features.shape[2:]))
    planes = torch.cat([features, ones], 1)
    if variant.grid == "rife":  # with either align_corners, as the QVI release runs it
        out = F.grid_sample(planes, rife_grid(flow).to(features.dtype), mode="bilinear", padding_mode="zeros",
                            align_corners=align_corners)
    else:
        out = backward_warp(planes, flow.to(features.dtype), align_corners=align_corners, convention=variant.grid)
    coverage = out[:, -1:]
    kept = coverage >= variant.coverage_min if variant.coverage_inclusive else coverage > variant.coverage_min
    return out[:, :-1] * kept.to(out.dtype)


class Decoder(nn.Module):
    def __init__(self, level: int) -> None:
        super().__init__()
        cin = decoder_input_channels(level)
        if level < 6:
            below = decoder_input_channels(level + 1) + sum(DENSE_WIDTHS)
            self.moduleUpflow = nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1)
            self.moduleUpfeat = nn.ConvTranspose2d(below, 2, 4, stride=2, padding=1)
        self.level = level
        names = ("moduleOne", "moduleTwo", "moduleThr", "moduleFou", "moduleFiv")
        for i, (name, cout) in enumerate(zip(names, DENSE_WIDTHS)):
            setattr(self, name, nn.Sequential(nn.Conv2d(cin + sum(DENSE_WIDTHS[:i]), cout, 3, padding=1), _leaky()))
        self.dense = names
        self.moduleSix = nn.Sequential(nn.Conv2d(cin + sum(DENSE_WIDTHS), 2, 3, padding=1))

    def forward(self, first: torch.Tensor, second: torch.Tensor, previous: tuple[torch.Tensor, torch.Tensor] | None,
                align_corners: bool, variant: WarpVariant) -> tuple[torch.Tensor, torch.Tensor]:
        """(flow, features) of this level from the first/second features and the coarser level's."""
        if previous is None:
            feat = F.leaky_relu(local_correlation(first, second), SLOPE)
        else:
            flow = self.moduleUpflow(previous[0])
            up = self.moduleUpfeat(previous[1])
            warped = warp_features(second, flow * WARP_SCALES[self.level], align_corners, variant)
            feat = torch.cat([F.leaky_relu(local_correlation(first, warped), SLOPE), first, flow, up], 1)
        for name in self.dense:
            feat = torch.cat([getattr(self, name)(feat), feat], 1)
        return self.moduleSix(feat), feat


class Refiner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cin = decoder_input_channels(2) + sum(DENSE_WIDTHS)
        layers: list[nn.Module] = []
        for i, (cout, dilation) in enumerate(zip((128, 128, 128, 96, 64, 32, 2), (1, 2, 4, 8, 16, 1, 1))):
            layers.append(nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation))
            if i < 6:
                layers.append(_leaky())
            cin = cout
        self.moduleMain = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.moduleMain(x)


class PWCNet(nn.Module):
    """Optical flow from ``first`` to ``second`` (B, 3, H, W, as the caller normalises them) in pixels;
    ``variant``: the feature warp of the code whose weights it runs (module docstring)."""

    def __init__(self, align_corners: bool = False, variant: WarpVariant = SNIKLAUS) -> None:
        super().__init__()
        self.moduleExtractor = Extractor()
        self.moduleTwo, self.moduleThr, self.moduleFou = Decoder(2), Decoder(3), Decoder(4)
        self.moduleFiv, self.moduleSix = Decoder(5), Decoder(6)
        self.moduleRefiner = Refiner()
        self.align_corners = align_corners
        self.variant = variant

    def level2_flow(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """The network's raw output (level 2, units of 20 px) for inputs whose sides are multiples of 64."""
        f1, f2 = self.moduleExtractor(first), self.moduleExtractor(second)
        estimate = None
        for i, decoder in enumerate((self.moduleSix, self.moduleFiv, self.moduleFou, self.moduleThr, self.moduleTwo)):
            estimate = decoder(f1[-1 - i], f2[-1 - i], estimate, self.align_corners, self.variant)
        return estimate[0] + self.moduleRefiner(estimate[1])

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        h, w = first.shape[-2:]
        ph, pw = (int(math.ceil(s / SIZE_MULTIPLE) * SIZE_MULTIPLE) for s in (h, w))
        first = F.interpolate(first, size=(ph, pw), mode="bilinear", align_corners=False)
        second = F.interpolate(second, size=(ph, pw), mode="bilinear", align_corners=False)
        flow = FLOW_SCALE * F.interpolate(self.level2_flow(first, second), size=(h, w), mode="bilinear",
                                          align_corners=False)
        return torch.cat([flow[:, :1] * (w / pw), flow[:, 1:] * (h / ph)], 1)


NVLABS_UNUSED = {"deconv2.weight": (2, 2, 4, 4), "deconv2.bias": (2,)}  # defined in PWCDCNet, never called


def _nvlabs_module_names() -> dict[str, str]:
    """NVlabs PWCDCNet module name → this layout's (the parameter leaf, weight or bias, is the same)."""
    names = {}
    for level in range(1, 7):
        order = ("aa", "a", "b") if level == 6 else ("a", "aa", "b")  # the order PWCDCNet.forward applies them
        for index, suffix in zip((0, 2, 4), order):
            names[f"conv{level}{suffix}.0"] = f"moduleExtractor.{EXTRACTOR_NAMES[level - 1]}.{index}"
    for level, decoder in DECODER_NAMES.items():
        for k, dense in enumerate(("moduleOne", "moduleTwo", "moduleThr", "moduleFou", "moduleFiv")):
            names[f"conv{level}_{k}.0"] = f"{decoder}.{dense}.0"
        names[f"predict_flow{level}"] = f"{decoder}.moduleSix.0"
        if level > 2:  # level L's upsampling layers feed the decoder of level L − 1
            names[f"deconv{level}"] = f"{DECODER_NAMES[level - 1]}.moduleUpflow"
            names[f"upfeat{level}"] = f"{DECODER_NAMES[level - 1]}.moduleUpfeat"
    for k in range(1, 7):
        names[f"dc_conv{k}.0"] = f"moduleRefiner.moduleMain.{2 * (k - 1)}"
    names["dc_conv7"] = "moduleRefiner.moduleMain.12"
    return names


def rename_nvlabs_keys(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """A PWCDCNet state dict (NVlabs names, no prefix) under :class:`PWCNet`'s names.

    The unused ``deconv2`` must be there with its shape and is dropped; any other name outside the
    NVlabs layout is an error (one line naming ``source``). The caller's loader checks that every
    parameter is there with its shape."""
    for key, shape in NVLABS_UNUSED.items():
        if key not in state:
            raise WeightsMismatch(f"{source}: not a PWCDCNet state dict: {key} missing")
        if tuple(state[key].shape) != shape:
            raise WeightsMismatch(f"{source}: {key} has shape {tuple(state[key].shape)}, expected {shape}")
    names = _nvlabs_module_names()
    renamed = {}
    for key, value in state.items():
        module, _, leaf = key.rpartition(".")
        if key in NVLABS_UNUSED:
            continue
        if module not in names:
            raise WeightsMismatch(f"{source}: {key!r} is not a PWCDCNet parameter")
        renamed[f"{names[module]}.{leaf}"] = value
    return renamed
