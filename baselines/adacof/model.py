"""AdaCoF (Lee et al., CVPR 2020) as released in HyeongminLEE/AdaCoF-pytorch, in pure PyTorch.

For frames I0, I2 (B, 3, H, W in [0, 1]; the midpoint only, there is no time input):

1. Both frames are reflect-padded on the right/bottom to multiples of :data:`SIZE_MULTIPLE`.
2. ``get_kernel`` (a U-Net of five conv ×3 + average-pooling stages and four bilinear
   upsampling stages with additive skips, on the frames minus :data:`KERNEL_INPUT_MEAN`)
   predicts, per output pixel and per frame, F×F tap weights (softmax), vertical (α) and
   horizontal (β) tap offsets, and one occlusion map (sigmoid).
3. Each frame, replicate-padded by (F−1)·d/2, goes through :func:`adacof_sample`; the frame
   is V·warp(I0) + (1−V)·warp(I2), cropped back to H×W.

Parameter names equal the released checkpoint's (``get_kernel.moduleConv1.0.weight`` …).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.baselines.adacof.sampling import adacof_sample

SIZE_MULTIPLE = 32  # five 2× poolings
KERNEL_INPUT_MEAN = (0.4631, 0.4352, 0.3990)  # subtracted from the frames fed to the kernel estimator


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1)


def _up() -> nn.Upsample:
    return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)


def _relu() -> nn.ReLU:
    return nn.ReLU(inplace=False)


def basic(cin: int, cout: int) -> nn.Sequential:
    """Three 3×3 convolutions with ReLU."""
    return nn.Sequential(_conv(cin, cout), _relu(), _conv(cout, cout), _relu(), _conv(cout, cout), _relu())


def upsample(channels: int) -> nn.Sequential:
    return nn.Sequential(_up(), _conv(channels, channels), _relu())


def tap_head(taps: int, final: nn.Module | None = None) -> nn.Sequential:
    """The offset head (``final`` None) or weight head (``final`` a softmax over taps): three
    convolutions from 64 channels to ``taps``, 2× upsampling, a last convolution."""
    layers = [_conv(64, 64), _relu(), _conv(64, 64), _relu(), _conv(64, taps), _relu(), _up(), _conv(taps, taps)]
    return nn.Sequential(*layers, *([final] if final is not None else []))


def occlusion_head() -> nn.Sequential:
    return nn.Sequential(_conv(64, 64), _relu(), _conv(64, 64), _relu(), _conv(64, 64), _relu(), _up(),
                         _conv(64, 1), nn.Sigmoid())


class KernelEstimation(nn.Module):
    """Per-pixel tap weights, offsets and occlusion for both frames (released attribute names)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        taps = kernel_size ** 2
        widths = (6, 32, 64, 128, 256, 512)
        for level in range(1, 6):
            setattr(self, f"moduleConv{level}", basic(widths[level - 1], widths[level]))
            setattr(self, f"modulePool{level}", nn.AvgPool2d(kernel_size=2, stride=2))
        self.moduleDeconv5, self.moduleUpsample5 = basic(512, 512), upsample(512)
        self.moduleDeconv4, self.moduleUpsample4 = basic(512, 256), upsample(256)
        self.moduleDeconv3, self.moduleUpsample3 = basic(256, 128), upsample(128)
        self.moduleDeconv2, self.moduleUpsample2 = basic(128, 64), upsample(64)
        for frame in (1, 2):
            setattr(self, f"moduleWeight{frame}", tap_head(taps, nn.Softmax(dim=1)))
            setattr(self, f"moduleAlpha{frame}", tap_head(taps))
            setattr(self, f"moduleBeta{frame}", tap_head(taps))
        self.moduleOcclusion = occlusion_head()

    def forward(self, frame0: torch.Tensor, frame2: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(weight1, alpha1, beta1, weight2, alpha2, beta2, occlusion) at the input's resolution."""
        x = torch.cat((frame0, frame2), 1)
        skips = []
        for level in range(1, 6):
            x = getattr(self, f"moduleConv{level}")(x)
            skips.append(x)
            x = getattr(self, f"modulePool{level}")(x)
        for level in (5, 4, 3, 2):
            x = getattr(self, f"moduleUpsample{level}")(getattr(self, f"moduleDeconv{level}")(x))
            x = x + skips[level - 1]
        return tuple(getattr(self, f"module{head}")(x) for head in
                     ("Weight1", "Alpha1", "Beta1", "Weight2", "Alpha2", "Beta2", "Occlusion"))


class AdaCoFNet(nn.Module):
    """The released network: ``get_kernel`` plus the AdaCoF warp of each frame."""

    def __init__(self, kernel_size: int = 5, dilation: int = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.kernel_pad = (kernel_size - 1) * dilation // 2
        self.get_kernel = KernelEstimation(kernel_size)

    def forward(self, frame0: torch.Tensor, frame2: torch.Tensor) -> torch.Tensor:
        """The middle frame of ``frame0`` and ``frame2`` (B, 3, H, W in [0, 1]; each side more
        than 16 pixels for the reflect padding)."""
        h, w = frame0.shape[-2:]
        pad = (0, -w % SIZE_MULTIPLE, 0, -h % SIZE_MULTIPLE)
        if any(pad):
            frame0, frame2 = F.pad(frame0, pad, mode="reflect"), F.pad(frame2, pad, mode="reflect")
        mean = frame0.new_tensor(KERNEL_INPUT_MEAN).view(1, 3, 1, 1)
        w1, a1, b1, w2, a2, b2, occ = self.get_kernel(frame0 - mean, frame2 - mean)
        border = (self.kernel_pad,) * 4
        warped0 = adacof_sample(F.pad(frame0, border, mode="replicate"), w1, a1, b1, self.dilation)
        warped2 = adacof_sample(F.pad(frame2, border, mode="replicate"), w2, a2, b2, self.dilation)
        return (occ * warped0 + (1 - occ) * warped2)[..., :h, :w]
