"""DAIN, depth-aware video frame interpolation (Bao et al., CVPR 2019), as released in
baowenbo/DAIN (``networks/DAIN.py``; ``networks/DAIN_slowmotion.py`` for t ≠ 0.5), in pure PyTorch.

For frames I0, I1 (B, 3, H, W, RGB in [0, 1], H and W multiples of :data:`SIZE_MULTIPLE`) and t:

1. Flow: PWC-Net (:class:`~atdkit.baselines.pwcnet.PWCNet`, NVlabs' warp, :data:`~atdkit.baselines.pwcnet.NVLABS`)
   gives the quarter-resolution flows I0→I1 and I1→I0; each is multiplied by 20 and by t (resp.
   1 − t) and upsampled ×4 (bilinear).
2. Depth: the MegaDepth hourglass (:mod:`.hourglass`) gives log depth d of each frame; the
   projection weight is the inverse depth 1e-6 + 1/exp(d).
3. Depth-aware flow projection with hole filling (:mod:`.layers`): the flows from time t back to
   I0 and to I1.
4. Kernel estimation (``initScaleNets_filter``): a U-Net on the two frames (five 3×3 conv + ReLU
   + 2× max-pool stages 16 … 512, a 512 convolution, five bilinear 2× upsamplings each adding the
   features from before the matching pooling and followed by conv + ReLU, down to 16 channels)
   and two heads (conv, ReLU, conv) giving a 4×4 kernel per pixel for each frame.
5. Context (``ctxNet``): the frame, a 7×7 convolution to 64 channels with ReLU and two residual
   blocks dilated 4 and 8, concatenated (3 + 64 + 64 + 64) with the log depth: 196 channels.
6. Adaptive warping (:func:`~.layers.filter_interpolation`) of both frames and both contexts
   with the projected flows and the kernels; the blend (1 − t)·I0' + t·I1'.
7. Frame synthesis (``rectifyNet``): the blend, both warped frames, both projected flows, both
   kernels and both warped contexts (437 channels), a 7×7 convolution to 128 channels with ReLU,
   three residual blocks and a 3×3 convolution to a residual added to the blend.

Parameter names equal ``best.pth``'s except PWC-Net's (``flownets.*``), which
:func:`~atdkit.baselines.pwcnet.rename_nvlabs_keys` maps. The bilinear upsamplings use
``align_corners=False`` and the flow network's warp ``align_corners=True``: the behaviour of the
PyTorch 1.0.1 that the release's ``environment.yaml`` pins.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.baselines.dain.hourglass import hourglass
from atdkit.baselines.dain.layers import depth_aware_projection, filter_interpolation
from atdkit.baselines.pwcnet import FLOW_SCALE, NVLABS, PWCNet

SIZE_MULTIPLE = 64  # PWC-Net's six halvings (the kernel U-Net needs 32, the hourglass 16)
FILTER_SIZE = 4  # the released kernels are 4×4
CONTEXT_CHANNELS = 3 + 3 * 64 + 1  # frame, three feature blocks, log depth
RECTIFY_CHANNELS = 3 * 3 + 2 * 2 + 2 * FILTER_SIZE ** 2 + 2 * CONTEXT_CHANNELS  # 437
DEPTH_EPS = 1e-6


def _unet_layers(cin: int) -> nn.ModuleList:
    """``initScaleNets_filter``: the flat layer list of the kernel U-Net (module docstring)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, 16, 3, padding=1), nn.ReLU()]
    for a, b in ((16, 32), (32, 64), (64, 128), (128, 256), (256, 512)):
        layers += [nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    layers += [nn.Conv2d(512, 512, 3, padding=1), nn.ReLU()]
    for a, b in ((512, 256), (256, 128), (128, 64), (64, 32), (32, 16)):
        layers += [nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(a, b, 3, padding=1),
                   nn.ReLU()]
    return nn.ModuleList(layers)


def _head(cout: int) -> nn.ModuleList:
    return nn.ModuleList([nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, cout, 3, padding=1)])


def run_unet(layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
    """The layers in order; the input of each pooling is kept and added to the output of the
    matching upsampling (last kept, first added)."""
    kept = []
    for layer in layers:
        if isinstance(layer, nn.MaxPool2d):
            kept.append(x)
        x = layer(x)
        if isinstance(layer, nn.Upsample):
            x = x + kept.pop()
    return x


def _dilated_conv(cin: int, cout: int, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False)


class ResidualBlock(nn.Module):
    """relu(x + conv2(relu(conv1(x)))), 3×3 convolutions without bias, conv1 dilated."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = _dilated_conv(channels, channels, dilation)
        self.conv2 = _dilated_conv(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))) + x)


class ContextExtractor(nn.Module):
    """``ctxNet`` (S2DF_3dense): the frame and three feature blocks, concatenated (195 channels)."""

    def __init__(self) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 64, 7, padding=3, bias=False), nn.ReLU())
        self.block2 = ResidualBlock(64, dilation=4)
        self.block3 = ResidualBlock(64, dilation=8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.block1(x)
        b2 = self.block2(b1)
        return torch.cat([x, b1, b2, self.block3(b2)], 1)


class Rectifier(nn.Module):
    """``rectifyNet`` (MultipleBasicBlock_4): the residual added to the blended frame."""

    def __init__(self, cin: int = RECTIFY_CHANNELS, width: int = 128) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(cin, width, 7, padding=3), nn.ReLU())
        self.block2, self.block3, self.block4 = (ResidualBlock(width) for _ in range(3))
        self.block5 = nn.Sequential(nn.Conv2d(width, 3, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block5(self.block4(self.block3(self.block2(self.block1(x)))))


class DAINNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.initScaleNets_filter = _unet_layers(6)
        self.initScaleNets_filter1 = _head(FILTER_SIZE ** 2)
        self.initScaleNets_filter2 = _head(FILTER_SIZE ** 2)
        self.ctxNet = ContextExtractor()
        self.rectifyNet = Rectifier()
        self.flownets = PWCNet(align_corners=True, variant=NVLABS)
        self.depthNet = hourglass()

    def flow_to_time(self, first: torch.Tensor, second: torch.Tensor, scale: float) -> torch.Tensor:
        """Full-resolution flow first → second times ``scale`` (the time offset), in pixels."""
        flow = FLOW_SCALE * self.flownets.level2_flow(first, second) * scale
        return F.interpolate(flow, scale_factor=4, mode="bilinear", align_corners=False)

    def forward(self, i0: torch.Tensor, i1: torch.Tensor, t: float = 0.5) -> torch.Tensor:
        """The frame at ``t`` between ``i0`` and ``i1`` (module docstring)."""
        n = i0.shape[0]
        log_depth = self.depthNet(torch.cat([i0, i1], 0))
        depth0, depth1 = log_depth[:n], log_depth[n:]
        features = run_unet(self.initScaleNets_filter, torch.cat([i0, i1], 1))
        kernel0 = run_unet(self.initScaleNets_filter1, features)
        kernel1 = run_unet(self.initScaleNets_filter2, features)
        flow0 = depth_aware_projection(self.flow_to_time(i0, i1, t), DEPTH_EPS + 1 / torch.exp(depth0))
        flow1 = depth_aware_projection(self.flow_to_time(i1, i0, 1 - t), DEPTH_EPS + 1 / torch.exp(depth1))
        warped0, warped1 = filter_interpolation(i0, flow0, kernel0), filter_interpolation(i1, flow1, kernel1)
        blend = warped0 * (1.0 - t) + warped1 * t
        # the contexts (196 channels each) are built and warped one at a time, and let go once concatenated
        parts = [blend, warped0, warped1, flow0, flow1, kernel0, kernel1,
                 filter_interpolation(torch.cat([self.ctxNet(i0), depth0], 1), flow0, kernel0),
                 filter_interpolation(torch.cat([self.ctxNet(i1), depth1], 1), flow1, kernel1)]
        rectify_input = torch.cat(parts, 1)
        del parts
        return self.rectifyNet(rectify_input) + blend
